/**
 * Hidden suite of 06-dead-neurons: deadUnitFraction, saturatedFraction, gradientFlow and
 * trainNeuron against the fixtures (fractions and labels exact, trainNeuron to CS231n relative
 * error ≤ 1e-7), and the dead-neuron story on the student's own numbers: after one large step a
 * ReLU neuron's w and b never change again, bit for bit, while the same push only saturates a
 * tanh neuron, whose weights keep moving, and a leaky ReLU neuron comes back above 0.
 *
 * Known mistakes (≥ 0 as alive, saturation per unit, history after the update, …) are recomputed
 * here, in the trusted process, and a wrong answer that matches one fails with its diagnosis.
 */
import { loadFixture, rebuildDenseLayer, type FixtureByKind, type FixtureKind, type TrainNeuronFixture } from '../../fixtures/load.js';
import type { ActivationName, Matrix, Vector } from '../../exercises/lib/types.js';
import type { Diagnosis } from '../results.js';
import { caseName, doesTheMath, expectNumber, expectRel, fail, findMistake, findMistakeAcross, fmt, type KnownMistake, maxRelError, mistake, speaking, withContext, worstRelError } from './check.js';
import { defineSuite, type TestContext } from './harness.js';
import { ACT } from './activations.js';

const SLUG = '06-dead-neurons';
const MISTAKE_REL = 1e-6;
/** Fractions are k/n: exact up to the rounding of a sum of 1/n. */
const FRACTION_ATOL = 1e-12;

const memo = new Map<string, unknown>();
function fixture<K extends FixtureKind>(name: string, kind: K): FixtureByKind[K] {
  if (!memo.has(name)) memo.set(name, loadFixture(SLUG, name, kind));
  return memo.get(name) as FixtureByKind[K];
}

// ---------------------------------------------------------------------------------------------
// The trusted reference and its known-mistake variants.


const M = {
  deadZeroAlive: { id: 'dead-zero-counted-alive', hint: 'A pre-activation of exactly 0 outputs 0 and passes back ReLU′(0) = 0: a unit that is ≤ 0 (not only < 0) on every example is dead.' },
  deadPerEntry: { id: 'dead-per-entry', hint: 'Dead is a property of a unit (a column) over all examples, not of single entries: count the columns that are ≤ 0 in every row.' },
  deadAnyExample: { id: 'dead-any-example', hint: 'A unit is dead only if it is ≤ 0 on EVERY example; one positive example keeps it alive (it still learns from that example).' },
  deadRows: { id: 'dead-rows-not-columns', hint: 'Rows are examples and columns are units ([examples][units]): count columns, not rows.' },
  satPerUnit: { id: 'saturated-per-unit', hint: 'Saturation is a property of an entry (one example, one unit): count the saturated entries and divide by the number of entries, not by the number of units.' },
  satInclusive: { id: 'saturated-threshold-inclusive', hint: 'Saturated means act′(z) strictly below the threshold: an entry exactly on it (σ′(0) = 0.25 with a threshold of 0.25) is not saturated. Compare with <, not ≤.' },
  satThreshold: { id: 'saturated-threshold-ignored', hint: 'Compare with the gradThreshold you are given; 1e-3 is only its default.' },
  satActSwapped: { id: 'saturated-act-swapped', hint: 'act′ is σ′ for \'sigmoid\' and tanh′ for \'tanh\': check which derivative each name selects.' },
  satGradOfAct: { id: 'saturated-grad-of-activation', hint: 'act′ is evaluated at the pre-activation z itself, not at act(z).' },
  flowInverted: { id: 'flow-ratio-inverted', hint: 'ratio = first / last, and gradNorms are listed input side first: a tiny first norm is vanishing.' },
  flowBounds: { id: 'flow-boundaries', hint: 'The boundaries themselves are healthy: vanishing only strictly below 1e-2, exploding only strictly above 1e2.' },
  historyAfter: { id: 'history-after-update', hint: 'Each history entry describes the neuron BEFORE that step’s update: history[0] is the neuron you were given.' },
  noActGrad: { id: 'train-missing-activation-derivative', hint: '∂loss/∂z = (a − target)·act′(z): the activation’s derivative is part of the chain rule.' },
  noInput: { id: 'train-missing-input-factor', hint: '∂loss/∂wᵢ = ∂loss/∂z · ∂z/∂wᵢ: what is ∂z/∂wᵢ when z = w·x + b?' },
  ascent: { id: 'train-gradient-ascent', hint: 'Gradient descent SUBTRACTS lr times the gradient.' },
  lossNoHalf: { id: 'train-loss-missing-half', hint: 'The loss is ½(a − target)², with the ½.' },
} satisfies Record<string, Diagnosis>;

function deadFraction(z: Matrix, v: 'correct' | 'strict' | 'perEntry' | 'anyExample' | 'rows' = 'correct'): number {
  const n = z.length;
  const units = n ? z[0].length : 0;
  if (n === 0 || units === 0) return 0;
  const dead = (x: number) => (v === 'strict' ? x < 0 : x <= 0);
  if (v === 'perEntry') return z.flat().filter(dead).length / (n * units);
  if (v === 'rows') return z.filter((row) => row.every(dead)).length / n;
  let count = 0;
  for (let j = 0; j < units; j++) {
    const col = z.map((row) => row[j]);
    if (v === 'anyExample' ? col.some(dead) : col.every(dead)) count++;
  }
  return count / units;
}

function deadMistakes(z: Matrix): KnownMistake[] {
  return [
    mistake(M.deadZeroAlive, deadFraction(z, 'strict')),
    mistake(M.deadAnyExample, deadFraction(z, 'anyExample')),
    mistake(M.deadPerEntry, deadFraction(z, 'perEntry')),
    mistake(M.deadRows, deadFraction(z, 'rows')),
  ];
}

type SatAct = 'sigmoid' | 'tanh';
function saturated(z: Matrix, act: SatAct, threshold: number, v: 'correct' | 'perUnitAll' | 'perUnitAny' | 'swapped' | 'ofAct' | 'inclusive' = 'correct'): number {
  const n = z.length;
  const units = n ? z[0].length : 0;
  if (n * units === 0) return 0;
  const used = v === 'swapped' ? (act === 'sigmoid' ? 'tanh' : 'sigmoid') : act;
  const sat = (x: number) => {
    const g = ACT[used].df(v === 'ofAct' ? ACT[act].f(x) : x);
    return v === 'inclusive' ? g <= threshold : g < threshold;
  };
  if (v === 'perUnitAll' || v === 'perUnitAny') {
    let count = 0;
    for (let j = 0; j < units; j++) {
      const col = z.map((row) => row[j]);
      if (v === 'perUnitAll' ? col.every(sat) : col.some(sat)) count++;
    }
    return count / units;
  }
  return z.flat().filter(sat).length / (n * units);
}

function satMistakes(z: Matrix, act: SatAct, threshold: number): KnownMistake[] {
  return [
    mistake(M.satThreshold, saturated(z, act, 1e-3)),
    mistake(M.satPerUnit, saturated(z, act, threshold, 'perUnitAll')),
    mistake(M.satPerUnit, saturated(z, act, threshold, 'perUnitAny')),
    mistake(M.satActSwapped, saturated(z, act, threshold, 'swapped')),
    // before 'ofAct': with a threshold of 0.25, σ′(σ(z)) < 0.25 for every z, as ≤ is on σ′(0) = 0.25
    mistake(M.satInclusive, saturated(z, act, threshold, 'inclusive')),
    mistake(M.satGradOfAct, saturated(z, act, threshold, 'ofAct')),
  ];
}

type Flow = 'vanishing' | 'exploding' | 'healthy';
function flow(norms: number[], v: 'correct' | 'inverted' | 'inclusive' = 'correct'): Flow {
  const ratio = v === 'inverted' ? norms[norms.length - 1] / norms[0] : norms[0] / norms[norms.length - 1];
  if (v === 'inclusive') return ratio <= 1e-2 ? 'vanishing' : ratio >= 1e2 ? 'exploding' : 'healthy';
  return ratio < 1e-2 ? 'vanishing' : ratio > 1e2 ? 'exploding' : 'healthy';
}

type TrainInputs = TrainNeuronFixture['cases'][number]['inputs'];
type Trained = { w: Vector; b: number; history: { z: number; a: number; loss: number }[] };

function train(i: TrainInputs, v: 'correct' | 'afterUpdate' | 'noActGrad' | 'noInput' | 'ascent' | 'lossNoHalf' = 'correct'): Trained {
  const { f, df } = ACT[i.act];
  let w = i.w.slice();
  let b = i.b;
  const history: Trained['history'] = [];
  const look = () => {
    let z = b;
    for (let k = 0; k < w.length; k++) z += w[k] * i.x[k];
    const a = f(z);
    return { z, a, loss: (v === 'lossNoHalf' ? 1 : 0.5) * (a - i.target) ** 2 };
  };
  for (let t = 0; t < i.steps; t++) {
    const now = look();
    if (v !== 'afterUpdate') history.push(now);
    const dz = (now.a - i.target) * (v === 'noActGrad' ? 1 : df(now.z)) * (v === 'ascent' ? -1 : 1);
    w = w.map((wk, k) => wk - i.lr * dz * (v === 'noInput' ? 1 : i.x[k]));
    b -= i.lr * dz;
    if (v === 'afterUpdate') history.push(look());
  }
  return { w, b, history };
}

function trainMistakes(i: TrainInputs): KnownMistake[] {
  return [
    mistake(M.historyAfter, train(i, 'afterUpdate')),
    mistake(M.noActGrad, train(i, 'noActGrad')),
    mistake(M.noInput, train(i, 'noInput')),
    mistake(M.ascent, train(i, 'ascent')),
    mistake(M.lossNoHalf, train(i, 'lossNoHalf')),
  ];
}

// ---------------------------------------------------------------------------------------------
// Checks.

function expectFraction(ctx: Pick<TestContext, 'hidden'>, got: unknown, want: number, what: string, diagnosis?: Diagnosis): void {
  const g = expectNumber(got, what);
  if (!(Math.abs(g - want) <= FRACTION_ATOL)) {
    fail(`${what}: expected ${ctx.hidden ? '(hidden)' : fmt(want)}, got ${fmt(g)}`, diagnosis);
  }
}

/**
 * The layer's pre-activations at one bias, on a subset of its inputs that keeps every unit's
 * verdict: the first 16 inputs plus, for every unit that fires at this bias, an input on which it
 * fires (a greedy cover among each unit's best input). A dead unit is ≤ 0 on any subset, so the
 * correct fraction is the fixture's, at a fraction of the data: 1000 × 256 numbers per bias take
 * seconds to copy in and out of the sandbox.
 */
function decidingRows(full: Matrix, bias: number): Matrix {
  const units = full[0].length;
  const fires = (i: number, j: number): boolean => full[i][j] + bias > 0;
  const best = Array.from({ length: units }, (_, j) => {
    let bi = 0;
    for (let i = 1; i < full.length; i++) if (full[i][j] > full[bi][j]) bi = i;
    return bi;
  });
  const candidates = [...new Set(best)];
  const rows = new Set(Array.from({ length: Math.min(16, full.length) }, (_, i) => i));
  const open = new Set(best.flatMap((i, j) => (fires(i, j) && ![...rows].some((r) => fires(r, j)) ? [j] : [])));
  while (open.size) {
    let pick = candidates[0];
    let covers = -1;
    for (const i of candidates) {
      let c = 0;
      for (const j of open) if (fires(i, j)) c++;
      if (c > covers) [pick, covers] = [i, c];
    }
    rows.add(pick);
    for (const j of [...open]) if (fires(pick, j)) open.delete(j);
  }
  return [...rows].sort((a, b) => a - b).map((i) => full[i].map((v) => v + bias));
}

/** The deciding rows of the dead-relu-bias fixture at each bias, and the catalogued mistakes' answers on them (see decidingRows). */
let deciding: { zs: Matrix[]; mistakes: KnownMistake[][] } | undefined;

const shapeOf = (z: Matrix): string => `[${z.length}x${z[0]?.length ?? 0}]`;

const callTrain = (i: TrainInputs): unknown[] => [i.w, i.b, i.x, i.target, i.act, i.lr, i.steps];
const trainCall = (i: TrainInputs): string => `trainNeuron(w = ${fmt(i.w)}, b = ${fmt(i.b)}, x = ${fmt(i.x)}, target ${fmt(i.target)}, '${i.act}', lr ${fmt(i.lr)}, ${i.steps} steps)`;

/** The student's trainNeuron on a fixture case, compared with the fixture (relative error ≤ 1e-7). */
async function checkTrain(ctx: TestContext, c: { inputs: TrainInputs; expected: Trained }, tol: number, shown: Pick<TestContext, 'hidden'> = ctx): Promise<Trained> {
  const got = await ctx.call('trainNeuron', ...callTrain(c.inputs));
  withContext(trainCall(c.inputs), () => expectRel(shown, got, c.expected, tol, 'result'),
    findMistake(got, c.expected, trainMistakes(c.inputs), MISTAKE_REL));
  return got as Trained;
}

/** A train-neuron fixture's CS231n tolerance (1e-7). */
function relTolerance(name: string): number {
  const t = fixture(name, 'train-neuron').tolerance;
  if (t.type !== 'relError') throw new Error(`fixtures/${SLUG}/${name}.json: the suite expects a relError tolerance, got ${JSON.stringify(t)}`);
  return t.max;
}

function storyCase(act: ActivationName, steps: number): { inputs: TrainInputs; expected: Trained } {
  const c = fixture('dead-neuron-story', 'train-neuron').cases.find((k) => k.inputs.act === act && k.inputs.steps === steps);
  if (!c) throw new Error(`fixtures/06-dead-neurons/dead-neuron-story.json has no '${act}' case with ${steps} steps`);
  return c;
}

/** From the story's push (lr 50, target 0.5) the reference leaky ReLU is back above 0 at history[93]. */
const LEAKY_RECOVERY_STEPS = 94;

/** The student's trainNeuron on a story case, checked for shape only (the values are trainNeuron.history's). */
async function storyRun(ctx: TestContext, i: TrainInputs): Promise<Trained> {
  const got = await ctx.call('trainNeuron', ...callTrain(i));
  const shape = { w: i.w.map(() => 0), b: 0, history: Array.from({ length: i.steps }, () => ({ z: 0, a: 0, loss: 0 })) };
  const w = worstRelError(got, shape);
  if (w.problem) fail(`${trainCall(i)}: result${w.path} ${w.problem}`);
  return got as Trained;
}

/**
 * The fix: from the same push, leaky ReLU's slope keeps a gradient and the neuron comes back
 * (z > 0 again at history[93] with the reference), where ReLU never does.
 */
async function expectLeakyRecovers(ctx: TestContext): Promise<void> {
  const i = { ...storyCase('leakyRelu', 10).inputs, steps: LEAKY_RECOVERY_STEPS };
  const h = (await storyRun(ctx, i)).history;
  const story = `a leaky ReLU neuron after the same large step (${trainCall(i)})`;
  if (!(h[1].z < 0)) fail(`${story}: history[1].z = ${fmt(h[1].z)} should be below 0 after the first update, as for ReLU`);
  if (!h.some((e, t) => t > 0 && e.z > 0)) {
    fail(`${story}: z should climb back above 0 within ${i.steps} steps (the slope 0.01 keeps a gradient where ReLU′ is 0), but history[${i.steps - 1}].z = ${fmt(h[i.steps - 1].z)}`);
  }
}

/**
 * A made-up history (z pushed below 0 and frozen there, or climbing on cue) shows the story without
 * any training: the story counts only if the student's one step from the story's start trains the
 * neuron. That is: the step is the contract's or a known mistake's; or its w or its b is right (one
 * wrong line, lr forgotten on b); or it moves w along the contract's step, between a quarter and four
 * times it (a factor 2 in ∂loss/∂z). Later steps are the student's own, as the story needs.
 */
function trainsOneStep(one: Trained, i1: TrainInputs): 'math' | 'size' | null {
  const want = train(i1);
  if (doesTheMath(one, want, trainMistakes(i1))) return 'math';
  if (maxRelError(one?.w, want.w) <= 1e-6 || maxRelError(one?.b, want.b) <= 1e-6) return 'math';
  const step = (w: unknown): number[] | null => (Array.isArray(w) && w.length === i1.w.length && w.every((v) => typeof v === 'number') ? w.map((v, k) => v - i1.w[k]) : null);
  const got = step(one?.w);
  const right = step(want.w) as number[];
  const k = got ? got[0] / right[0] : NaN;
  // within a factor 4 of the contract's step: the story's x = [1, 1] gives every step that moves
  // both weights alike this direction, so the size must be the network's too, not any small number
  return k >= 0.25 && k <= 4 && maxRelError(got, right.map((v) => v * k)) <= 1e-6 ? 'size' : null;
}

/**
 * A second start for a step paid by its size only: other weights, x = [0.5, −1.5] and a target of 2,
 * where ∂loss/∂z has the other sign than in the stories. An attacker's hand-picked step per
 * activation (13 for ReLU's true 50, 5 for tanh's 3.7, no derivative computed) fell inside the
 * factor 4 on the stories' x = [1, 1]; one constant cannot on both starts, a factor 2 in ∂loss/∂z can.
 */
const SECOND_START = { w: [0.3, -0.2], b: 0.1, x: [0.5, -1.5], target: 2 };

async function expectOneRealStep(ctx: TestContext, one: Trained, i: TrainInputs, story: string): Promise<void> {
  const how = trainsOneStep(one, { ...i, steps: 1 });
  const i2 = { ...i, ...SECOND_START, steps: 1 };
  if (!how || (how === 'size' && !trainsOneStep(await storyRun(ctx, i2), i2))) {
    fail(`${story}: one step of your trainNeuron from this start is neither the contract’s nor a known mistake’s, so the story cannot be told with it; trainNeuron.history says how it differs`);
  }
}

const same = (a: unknown, b: unknown): boolean => Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((v, i) => Object.is(v, b[i])) : Object.is(a, b);

export default defineSuite(SLUG, (test) => {
  test('diagnostics.deadUnitFraction.values', async (ctx) => {
    const f = fixture('dead-relu-bias', 'dead-relu-bias');
    const r = f.recipe;
    // the same inputs and catalogued answers for every student: worked out once per worker
    deciding ??= (() => {
      const full = rebuildDenseLayer(r).preActivations(0); // x·W (+ 0, exactly)
      const inputs = f.expected.byBias.map((e) => decidingRows(full, e.bias));
      return { zs: inputs, mistakes: inputs.map(deadMistakes) };
    })();
    const { zs, mistakes } = deciding;
    const got = await ctx.callMany('deadUnitFraction', zs.map((z) => [z]));
    const diagnosis = findMistakeAcross(f.expected.byBias.map((e, k) => ({ got: got[k], correct: e.fraction, mistakes: mistakes[k] })), MISTAKE_REL);
    f.expected.byBias.forEach((e, k) => {
      const what = `deadUnitFraction of a ${r.fanIn} → ${r.fanOut} ReLU layer (${r.init}) with every bias ${fmt(e.bias)}, on ${zs[k].length} of its ${r.batch} standard-normal inputs, among them one that makes each live unit fire` +
        (speaking(ctx, f).hidden ? '' : ` (${e.deadUnits} of ${r.fanOut} units are ≤ 0 on every input)`);
      expectFraction(speaking(ctx, f), got[k], e.fraction, what, diagnosis);
    });
  });

  test('diagnostics.deadUnitFraction.edges', async (ctx) => {
    const f = fixture('dead-fraction', 'dead-fraction');
    const cases = f.cases;
    const got = await ctx.callMany('deadUnitFraction', cases.map((c) => [c.inputs.preActivations]));
    const diagnosis = findMistakeAcross(cases.map((c, k) => ({ got: got[k], correct: c.expected.fraction, mistakes: deadMistakes(c.inputs.preActivations) })), MISTAKE_REL);
    cases.forEach((c, k) => {
      const z = c.inputs.preActivations;
      expectFraction(ctx, got[k], c.expected.fraction, `deadUnitFraction on a ${shapeOf(z)} matrix (${caseName(f, k, cases.length, c.label)})`, diagnosis);
    });
  });

  const satTest = (withThreshold: boolean) => async (ctx: TestContext): Promise<void> => {
    const f = fixture('saturated-fraction', 'saturated-fraction');
    const cases = f.cases.filter((c) => (c.inputs.threshold !== null) === withThreshold);
    const got = await ctx.callMany('saturatedFraction', cases.map(({ inputs: i }) => (i.threshold === null ? [i.preActivations, i.act] : [i.preActivations, i.act, i.threshold])));
    const diagnosis = findMistakeAcross(cases.map(({ inputs: i, expected }, k) => ({ got: got[k], correct: expected.fraction, mistakes: satMistakes(i.preActivations, i.act, i.threshold ?? 1e-3) })), MISTAKE_REL);
    cases.forEach(({ inputs: i, expected, label }, k) => {
      const call = `saturatedFraction(z ${shapeOf(i.preActivations)}, '${i.act}'${i.threshold === null ? '' : `, ${fmt(i.threshold)}`}) (${caseName(f, k, cases.length, label)})`;
      expectFraction(speaking(ctx, f), got[k], expected.fraction, call, diagnosis);
    });
  };
  test('diagnostics.saturatedFraction.values', satTest(false));
  test('diagnostics.saturatedFraction.threshold', satTest(true));

  test('diagnostics.gradientFlow.classes', async (ctx) => {
    const f = fixture('gradient-flow', 'gradient-flow');
    const cases = f.cases;
    // a hidden fixture in a visible test: neither the class it expects nor its case's label, which
    // says that class, is printed, nor first / last (its expected ratio); the norms are the student's own input
    const quiet = speaking(ctx, f).hidden;
    const got = await ctx.callMany('gradientFlow', cases.map((c) => [c.inputs.gradNorms]));
    cases.forEach((c, k) => {
      const want = c.expected.flow;
      if (got[k] !== want) {
        const n = c.inputs.gradNorms;
        const diagnosis = findMistake(got[k], want, [mistake(M.flowInverted, flow(n, 'inverted')), mistake(M.flowBounds, flow(n, 'inclusive'))]);
        // first / last is the hidden fixture's expected ratio: printed only for a public case (the
        // norms themselves are the student's input, shown either way)
        fail(`gradientFlow(${fmt(n)}) (${caseName(f, k, cases.length, c.label)}${quiet ? '' : `; first / last = ${fmt(n[0] / n[n.length - 1])}`}): expected ${quiet ? '(hidden)' : `'${want}'`}, got ${fmt(got[k])}`, diagnosis);
      }
    });
  });

  test('diagnostics.trainNeuron.history', async (ctx) => {
    // hidden fixtures: this visible test says where and how far, never their values (see speaking)
    const hidden = speaking(ctx, { visibility: 'hidden' });
    for (const c of fixture('train-neuron', 'train-neuron').cases) await checkTrain(ctx, c, relTolerance('train-neuron'), hidden);
    // plain SGD with a large step where the slope of leakyRelu keeps it alive
    for (const steps of [1, 10]) await checkTrain(ctx, storyCase('leakyRelu', steps), relTolerance('dead-neuron-story'), hidden);
    // no step: no history, and the neuron as it was given
    const none: TrainInputs = { w: [0.25, -0.5, 1.5], b: -0.75, x: [1, 2, -1], target: 0.3, act: 'sigmoid', lr: 0.5, steps: 0 };
    await checkTrain(ctx, { inputs: none, expected: { w: none.w, b: none.b, history: [] } }, relTolerance('train-neuron'));
  });

  test('diagnostics.trainNeuron.deadRelu', async (ctx) => {
    // the phenomenon on the student's own numbers: exactness is trainNeuron.history's job
    const i = storyCase('relu', 10).inputs;
    const one = await storyRun(ctx, { ...i, steps: 1 });
    const ten = await storyRun(ctx, i);
    const story = `a ReLU neuron after one large step (${trainCall(i)})`;
    await expectOneRealStep(ctx, one, i, story);
    const h = ten.history;
    if (!(h[1].z < 0)) fail(`${story}: history[1].z = ${fmt(h[1].z)} should be below 0 after the first update (the neuron is dead)`);
    for (let t = 2; t < h.length; t++) {
      for (const key of ['z', 'a', 'loss'] as const) {
        if (!Object.is(h[t][key], h[1][key])) {
          // the student's own numbers (on a hidden fixture's inputs), marked as theirs
          fail(`${story}: its gradient is exactly 0 from step 1 on, so every later history entry must be identical, bit for bit; history[${t}].${key} is yours ${fmt(h[t][key])} but history[1].${key} is yours ${fmt(h[1][key])}`);
        }
      }
    }
    if (!same(ten.w, one.w) || !same(ten.b, one.b)) {
      fail(`${story}: w and b must never change after the first step, yet after 10 steps w = ${fmt(ten.w)}, b = ${fmt(ten.b)} and after 1 step w = ${fmt(one.w)}, b = ${fmt(one.b)}: a dead ReLU’s update is lr · 0 = 0 exactly`);
    }
    await expectLeakyRecovers(ctx);
  });

  test('diagnostics.trainNeuron.tanhSaturates', async (ctx) => {
    const i = storyCase('tanh', 10).inputs;
    const one = await storyRun(ctx, { ...i, steps: 1 });
    const ten = await storyRun(ctx, i);
    const story = `a tanh neuron after the same large step (${trainCall(i)})`;
    await expectOneRealStep(ctx, one, i, story);
    const h = ten.history;
    const grad = ACT.tanh.df(h[1].z);
    if (!(grad < 1e-3 && grad > 0)) {
      fail(`${story}: history[1].z = ${fmt(h[1].z)} should be saturated, with 0 < tanh′(z) < 1e-3; tanh′ there is ${fmt(grad)}`);
    }
    for (let t = 2; t < h.length; t++) {
      if (!(h[t].z > h[t - 1].z)) {
        fail(`${story}: the gradient is tiny but not 0, so z must keep climbing back toward 0 step after step; history[${t}].z = ${fmt(h[t].z)} is not above history[${t - 1}].z = ${fmt(h[t - 1].z)}`);
      }
    }
    if (same(ten.w, one.w) && same(ten.b, one.b)) {
      fail(`${story}: w and b after 10 steps are identical to those after 1 step; a saturated tanh neuron still moves (tanh′ ≈ ${fmt(grad)} is not 0)`);
    }
  });

});
