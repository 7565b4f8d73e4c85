/**
 * Runs the lab: every selected experiment on the student's code and, where the course's reference
 * solutions are at hand, on those too, then says where the student's curves depart.
 */
import { loadManifest } from '../manifest.js';
import { departures, type Departure } from './compare.js';
import { EXPERIMENTS, type Experiment, type Finding } from './experiments.js';
import { Blocked, StudentCode, type Compile } from './student.js';

export interface Outcome {
  experiment: Experiment;
  /** The student's finding, or why the experiment could not run. */
  mine: Finding | Blocked;
  reference: Finding | null;
  departures: Departure[];
}

export interface LabOptions {
  /** The student's folder, shaped like exercises/. */
  dir: string;
  compile: Compile;
  /**
   * What the student's curves are compared with: the findings saved beforehand (the template
   * ships them; the course caches them), else the reference solutions' folder run the same way,
   * or nothing.
   */
  reference: { dir?: string; findings?: Record<string, Finding> } | null;
  /** Exercise slugs: run only the experiments that use one of them; empty for all. */
  only?: string[];
  callTimeoutMs?: number;
}

/** Where a point of each plot is, in words ("layer 3", "step 2", "learning rate 0.05"). */
export const AT: Record<string, (x: number) => string> = {
  'gradient-flow': (x) => `layer ${x}`,
  saturation: (x) => `layer ${x}`,
  'dead-vs-bias': (x) => `bias ${x}`,
  'dead-neuron-z': (x) => `step ${x}`,
  'dead-neuron-grad': (x) => `step ${x}`,
  'training-loss': (x) => `step ${x}`,
  'training-first-layer': (x) => `step ${x}`,
  'training-dead': (x) => `hidden layer ${x}`,
  // the plot's x is log₁₀ of the learning rate; the words give the rate itself
  'lr-sweep': (x) => `learning rate ${Number((10 ** x).toPrecision(3))}`,
};
export const at = (plot: string, x: number): string => (AT[plot] ?? ((v: number) => `x = ${v}`))(x);

/** What each plot's y is, named for the words that say where a curve departs. */
export const QUANTITY: Record<string, string> = {
  'gradient-flow': 'the gradient norm ‖dW‖',
  saturation: 'the saturated share',
  'dead-vs-bias': 'the dead share',
  'dead-neuron-z': 'the pre-activation z',
  'dead-neuron-grad': 'the gradient norm ‖∂loss/∂(w, b)‖',
  'training-loss': 'the loss',
  'training-first-layer': 'the first layer\'s gradient norm ‖dW₁‖',
  'training-dead': 'the dead share',
  'lr-sweep': 'the last loss',
};

/** The experiments of this course (their exercises are in the manifest), those using `only` if given. */
export function selectExperiments(only: string[] = []): Experiment[] {
  const slugs = new Set(loadManifest().exercises.map((e) => e.slug));
  const known = EXPERIMENTS.filter((e) => e.uses.every((u) => slugs.has(u)));
  return only.length === 0 ? known : known.filter((e) => e.uses.some((u) => only.includes(u)));
}

async function attempt(e: Experiment, code: StudentCode): Promise<Finding | Blocked> {
  try {
    return await e.run(code);
  } catch (err) {
    if (err instanceof Blocked) return err;
    throw err;
  }
}

export async function runLab(opts: LabOptions): Promise<Outcome[]> {
  const mine = new StudentCode({ dir: opts.dir, compile: opts.compile, callTimeoutMs: opts.callTimeoutMs });
  const saved = opts.reference?.findings ?? {};
  const reference = opts.reference?.dir ? new StudentCode({ dir: opts.reference.dir, compile: opts.compile, callTimeoutMs: opts.callTimeoutMs }) : null;
  const outcomes: Outcome[] = [];
  try {
    for (const experiment of selectExperiments(opts.only)) {
      const found = await attempt(experiment, mine);
      const ref = !experiment.comparable || found instanceof Blocked ? null
        : saved[experiment.id] ?? (reference ? await attempt(experiment, reference) : null);
      const refFinding = ref instanceof Blocked ? null : ref;
      outcomes.push({
        experiment,
        mine: found,
        reference: refFinding,
        departures: found instanceof Blocked || !refFinding ? [] : departures(found.series, refFinding.series, at, (p) => QUANTITY[p] ?? 'the value'),
      });
    }
  } finally {
    await mine.close();
    await reference?.close();
  }
  return outcomes;
}
