/**
 * Which of another exercise's contract functions the grader computes with the reference (the
 * oracle, see client.ts) when an exercise file imports them, as the course contract says ("one
 * mistake costs points once"), and which come from the student's own file instead:
 *
 * - never the exercise being graded (it is graded on the student's own code), nor an exercise whose
 *   reference is built on it (02's reference calls 01's functions: while 01 is graded, 02's
 *   functions would answer with the reference 01, so they come from the student's own 02);
 * - never an exercise that comes later in the course than the one graded: a later exercise's
 *   reference may do the graded one's math whole (07's trainMlp on a one-unit network with an
 *   identity second layer is 06's trainNeuron, an attacker's 3.75 points of 06 with none of its
 *   math). The course builds forward — every reference imports only earlier exercises — so an
 *   honest file never imports a later one; one that does gets the student's own file there;
 * - never 03's: each takes an Rng, which lives in the student's process and is drawn from as the
 *   function runs; the reference, in a process of its own, cannot draw from it.
 *
 * Both the compiler (which writes the stubs, compile-child.mjs) and the trusted side (which answers
 * them, and refuses anything else a child may ask for) use this one answer.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadManifest, type ManifestExercise } from '../manifest.js';
import { SOLUTIONS_DIR } from '../paths.js';

/** Exercises whose contract functions take an argument the reference cannot be handed (an Rng). */
const NOT_SERVED = new Set(['03-initialization']);

/**
 * Exercises whose contract functions map a few numbers to a number in constant time (01's
 * activations). 02, 06 and the lab call them once per entry of a matrix: the child remembers the
 * reference's answers, and a function of the student's own is chosen one by one (see OWN_EXERCISES).
 */
export const SCALAR_EXERCISES = new Set(['01-activations']);

/**
 * Exercises whose student's own module another exercise's sandbox runs beside the graded module,
 * in a realm of its own (child.mjs), and uses instead of asking the oracle wherever it passes its
 * own exercise's tests, run there first (harness.ts, chooseOwn): 01's functions one by one, 02's
 * all or none (their caches pass between them). A correct 02 then costs 05 no round trip at all
 * (05's gradient checks call 02's functions about 28,000 times); a wrong one, the reference's
 * answers: one mistake still costs points once.
 */
export const OWN_EXERCISES = ['01-activations', '02-backprop'];

/**
 * Exercises whose contract functions cost no more than a few products of the sizes of their
 * arrays (matrix products, maps; no loop or allocation sized by a number argument, unlike 06's
 * trainNeuron or 07's trainMlp): on small arguments (IN_PROCESS_ENTRIES, no object posing as an
 * array with a `length` key), the oracle computes them in the trusted process itself, in
 * microseconds, instead of in the reference's own sandbox (≈ 0.3 ms of CPU a round trip; 05's
 * gradient checks make 28,000 such calls).
 */
export const IN_PROCESS_EXERCISES = new Set(['01-activations', '02-backprop', '04-batchnorm', '05-residual']);
/** Entries (numbers, array slots, keys) of the arguments: a product of two such matrices is at most 2048² entries. */
export const IN_PROCESS_ENTRIES = 4096;

let graph: Map<string, Set<string>> | null = null;

/** The exercises a reference solution imports, directly or through another, read from its source. */
export function builtOn(folder: string): string[] {
  if (!graph) {
    const exercises = loadManifest().exercises;
    const direct = new Map(exercises.map((ex) => {
      const text = readFileSync(path.join(SOLUTIONS_DIR, ex.folder, ex.file), 'utf8');
      const imported = [...text.matchAll(/from\s+['"]\.\.\/([0-9]{2}-[a-z-]+)\//g)].map((m) => m[1]);
      return [ex.folder, new Set(imported.filter((f) => f !== ex.folder && exercises.some((e) => e.folder === f)))];
    }));
    graph = new Map();
    for (const ex of exercises) {
      const seen = new Set<string>();
      const walk = (f: string): void => {
        for (const g of direct.get(f) ?? []) if (!seen.has(g)) { seen.add(g); walk(g); }
      };
      walk(ex.folder);
      graph.set(ex.folder, seen);
    }
  }
  return [...(graph.get(folder) ?? [])];
}

/** The contract functions of `target` the oracle computes while `graded` is graded (none: all from the student's file). */
export function servedFunctions(target: ManifestExercise, graded: string): string[] {
  if (target.folder === graded || NOT_SERVED.has(target.folder) || builtOn(target.folder).includes(graded) || !earlier(target.folder, graded)) return [];
  return target.functions;
}

/** Whether `folder` comes before `graded` in the course (the manifest's order); with no exercise graded (`''`, the lab's bundle), every one does. */
function earlier(folder: string, graded: string): boolean {
  const order = loadManifest().exercises.map((e) => e.folder);
  return graded === '' || order.indexOf(folder) < order.indexOf(graded);
}

/** Whether a child grading `graded` may have `fn` of `exercise` computed by the oracle. */
export function oracleServes(graded: string): (exercise: string, fn: string) => boolean {
  const exercises = loadManifest().exercises;
  return (exercise, fn) => {
    const target = exercises.find((e) => e.folder === exercise);
    return !!target && servedFunctions(target, graded).includes(fn);
  };
}
