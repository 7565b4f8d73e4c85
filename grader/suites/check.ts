/**
 * Comparisons for the hidden suites. Each throws a GradeFailure whose message says what was
 * expected, what came, where (input, index, shape) and by how much — and, for `hidden` tests,
 * never the expected numbers themselves.
 */
import { GradeFailure, type TestContext } from './harness.js';
import type { Diagnosis } from '../results.js';

type Matrix = number[][];

/** CS231n relative error |a − b| / max(1e-8, |a| + |b|). */
export function relError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-8, Math.abs(a) + Math.abs(b));
}

export function fmt(x: unknown): string {
  if (typeof x === 'number') return Number.isInteger(x) ? String(x) : x.toPrecision(10).replace(/\.?0+(e|$)/, '$1');
  if (x === undefined) return 'undefined';
  try {
    const s = JSON.stringify(x);
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
  } catch {
    return String(x);
  }
}

/** The power of ten of a positive error, e.g. 1e-3 for 0.0042 (1 for errors of 1 or more). */
export function orderOf(err: number): string {
  if (!(err < 1)) return '1';
  return `1e${Math.floor(Math.log10(err))}`;
}

/**
 * How far a wrong entry of a hidden test is: the power of ten of its relative error only. The
 * student's value next to the exact error would give the hidden expected value back
 * (w = g·(1 ∓ e)/(1 ± e)), so a hidden test's message never shows both.
 */
export function hiddenMiss(err: number, tol: number): string {
  return `relative error of order ${orderOf(err)} (more than ${fmt(tol)}); the expected value is hidden`;
}

/**
 * How a comparison against `fixture` may speak: a hidden fixture's expected values are never
 * printed, not even by a visible test (whose own inputs, or a public fixture's, it may show).
 */
export function speaking(ctx: Pick<TestContext, 'hidden'>, fixture: { visibility: 'public' | 'hidden' }): Pick<TestContext, 'hidden'> {
  return { hidden: ctx.hidden || fixture.visibility === 'hidden' };
}

/**
 * What a message calls case `k` of `n` of a fixture: its label where the fixture is public, its
 * number where it is hidden. Some hidden labels say what their case expects ("ratio just below 1e-2
 * is vanishing", "global norm ≈ 9.84, maxNorm 1: clipped"), and every message is a student's to read,
 * a hidden test's after the due date; the call printed beside it names the inputs.
 */
export function caseName(fixture: { visibility: 'public' | 'hidden' }, k: number, n: number, label: string): string {
  return fixture.visibility === 'hidden' ? `case ${k + 1} of ${n}` : label;
}

export function fail(message: string, diagnosis?: Diagnosis): never {
  throw new GradeFailure(message, diagnosis);
}

/** A finite number, or a failure naming `what`. */
export function expectNumber(got: unknown, what: string): number {
  if (typeof got !== 'number') fail(`${what} should be a number, got ${fmt(got)} (${typeof got})`);
  if (!Number.isFinite(got)) fail(`${what} should be finite, got ${got}`);
  return got;
}

/** |got − want| ≤ atol + rtol·|want|. */
export function expectClose(ctx: Pick<TestContext, 'hidden'>, got: unknown, want: number, tol: { rtol: number; atol: number }, what: string): void {
  const g = expectNumber(got, what);
  const err = Math.abs(g - want);
  if (!(err <= tol.atol + tol.rtol * Math.abs(want))) {
    fail(ctx.hidden
      ? `${what}: wrong, ${hiddenMiss(err / Math.max(Math.abs(want), tol.atol), tol.rtol)}`
      : `${what}: expected ${fmt(want)}, got ${fmt(g)} (|error| ${fmt(err)} > ${fmt(tol.atol)} + ${fmt(tol.rtol)}·|expected|)`);
  }
}

/** A matrix of the given shape with finite entries, or a failure naming `what`. */
export function expectMatrix(got: unknown, rows: number, cols: number, what: string): Matrix {
  if (!Array.isArray(got)) fail(`${what} should be a matrix (number[][]) of shape [${rows}x${cols}], got ${fmt(got)}`);
  if (got.length !== rows || got.some((r) => !Array.isArray(r) || r.length !== cols)) {
    const shape = got.every((r) => Array.isArray(r)) ? `[${got.length}x${(got[0] as unknown[] | undefined)?.length ?? 0}]` : 'not a matrix';
    const transposed = got.length === cols && got.every((r) => Array.isArray(r) && r.length === rows) && rows !== cols;
    fail(`${what} should have shape [${rows}x${cols}], got ${shape}${transposed ? ' (transposed?)' : ''}`,
      transposed ? { id: 'transposed', hint: `${what} comes out transposed: check the order of the factors (which side does Wᵀ or xᵀ go on?)` } : undefined);
  }
  got.forEach((row: unknown[], i) => row.forEach((v, j) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${what}[${i}][${j}] should be a finite number, got ${fmt(v)}`);
  }));
  return got as Matrix;
}

/** A vector of the given length with finite entries. */
export function expectVector(got: unknown, n: number, what: string): number[] {
  if (!Array.isArray(got) || got.length !== n) fail(`${what} should be a vector of ${n} numbers, got ${Array.isArray(got) ? `${got.length} entries` : fmt(got)}`);
  got.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${what}[${i}] should be a finite number, got ${fmt(v)}`);
  });
  return got as number[];
}

/** Max CS231n relative error over all entries ≤ maxRel; the message names the worst entry. */
export function expectMatrixRel(ctx: Pick<TestContext, 'hidden'>, got: unknown, want: Matrix, maxRel: number, what: string, isVector = false): void {
  const g = isVector ? (got as Matrix) : expectMatrix(got, want.length, want[0]?.length ?? 0, what);
  let worst = { err: 0, i: 0, j: 0 };
  for (let i = 0; i < want.length; i++) {
    for (let j = 0; j < want[i].length; j++) {
      const err = relError(g[i][j], want[i][j]);
      if (err > worst.err) worst = { err, i, j };
    }
  }
  if (worst.err > maxRel) {
    const { i, j } = worst;
    const at = isVector ? `[${j}]` : `[${i}][${j}]`;
    fail(ctx.hidden
      ? `${what}: wrong, worst at ${what}${at}: ${hiddenMiss(worst.err, maxRel)}`
      : `${what}: relative error ${fmt(worst.err)} > ${fmt(maxRel)}; worst at ${at}: expected ${fmt(want[i][j])}, got ${fmt(g[i][j])}`,
    constantFactor(g, want, what, ctx.hidden));
  }
}

/** The same for a vector. */
export function expectVectorRel(ctx: Pick<TestContext, 'hidden'>, got: unknown, want: number[], maxRel: number, what: string): void {
  const g = expectVector(got, want.length, what);
  expectMatrixRel(ctx, [g], [want], maxRel, what, true);
}

/**
 * A wrong answer off by one constant factor everywhere is a known kind of mistake (a missing
 * 1/N, a missing γ, N vs N − 1): the element-wise ratio tells it apart from noise. A factor of 0
 * is another: an answer of zeros.
 */
function constantFactor(got: Matrix, want: Matrix, what: string, hidden: boolean): Diagnosis | undefined {
  const ratios: number[] = [];
  got.forEach((row, i) => row.forEach((v, j) => {
    const w = want[i][j];
    if (Math.abs(w) > 1e-12) ratios.push(v / w);
  }));
  if (ratios.length < 2) return undefined;
  const k = ratios[0];
  if (Math.abs(k - 1) < 1e-6 || !ratios.every((r) => relError(r, k) < 1e-6)) return undefined;
  // 0× is no missing 1/N or γ: a placeholder left in, or a result never written into
  if (k === 0) return { id: 'all-zero', hint: `every entry of ${what} is 0: is the function still a placeholder returning zeros, or is the result built and never filled in (an array of zeros returned before the loop that should write it)?` };
  const times = hidden ? 'the same multiple of' : `${fmt(k)}×`;
  return { id: 'constant-factor', hint: `every entry of ${what} is ${times} the expected one: look for a missing or extra constant factor (1/N, γ, N vs N − 1, a sign)` };
}

// ---------------------------------------------------------------------------------------------
// Nested results and known mistakes (added with the 04–06 suites; usable by any suite).

/** The worst entry of two numeric structures, with its path (e.g. `.history[3].z`). */
export interface Worst {
  err: number;
  path: string;
  got: unknown;
  want: unknown;
  /** A structural problem (not a number, wrong length, missing key), in words that show no expected value. */
  problem?: string;
}

/**
 * Compares `got` with `want` entry by entry (numbers, arrays and plain objects, recursively) by the
 * CS231n relative error; a structural problem or a non-finite number gives err = Infinity and a
 * `problem`. Other values (strings, booleans) must be identical.
 */
export function worstRelError(got: unknown, want: unknown, path = ''): Worst {
  if (typeof want === 'number') {
    // a known mistake's value may itself overflow (a diverging run): the same non-finite value matches it
    if (!Number.isFinite(want) && Object.is(got, want)) return { err: 0, path, got, want };
    if (typeof got !== 'number' || !Number.isFinite(got)) return { err: Infinity, path, got, want, problem: `should be a finite number, got ${fmt(got)}` };
    return { err: relError(got, want), path, got, want };
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return { err: Infinity, path, got, want, problem: `should be an array of ${want.length} entries, got ${fmt(got)}` };
    if (got.length !== want.length) return { err: Infinity, path, got, want, problem: `should have ${want.length} entries, got ${got.length}` };
    // finite numbers on both sides (nearly every entry) are compared in place: a Worst and a path
    // string per entry cost more than the comparison on a wide matrix (gradcheck.ts's, 65,536 entries)
    let worstErr = 0;
    let worst: Worst | number = -1; // the worst entry so far, as a Worst or as its index
    for (let i = 0; i < want.length; i++) {
      const g = got[i] as unknown, wi = want[i] as unknown;
      if (typeof g === 'number' && typeof wi === 'number' && Number.isFinite(g) && Number.isFinite(wi)) {
        const err = relError(g, wi);
        if (err > worstErr) { worstErr = err; worst = i; }
        continue;
      }
      const w = worstRelError(g, wi, `${path}[${i}]`);
      if (w.problem) return w;
      if (w.err > worstErr) { worstErr = w.err; worst = w; }
    }
    if (typeof worst !== 'number') return worst;
    return worst < 0 ? { err: 0, path, got, want } : { err: worstErr, path: `${path}[${worst}]`, got: got[worst], want: want[worst] };
  }
  if (want !== null && typeof want === 'object') {
    const keys = Object.keys(want);
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return { err: Infinity, path, got, want, problem: `should be an object with ${keys.join(', ')}, got ${fmt(got)}` };
    let worst: Worst = { err: 0, path, got, want };
    for (const k of keys) {
      const w = worstRelError((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}.${k}`);
      if (w.problem) return w;
      if (w.err > worst.err) worst = w;
    }
    return worst;
  }
  return Object.is(got, want) ? { err: 0, path, got, want } : { err: Infinity, path, got, want, problem: `is wrong: got ${fmt(got)}` };
}

/** The largest CS231n relative error between two numeric structures (Infinity if they differ in shape). */
export function maxRelError(got: unknown, want: unknown): number {
  return worstRelError(got, want).err;
}

/**
 * Every entry of `got` within `maxRel` of `want` (any nesting of numbers, arrays, objects); the
 * message names the worst entry by its path and, unless the test is hidden, the expected value.
 */
export function expectRel(ctx: Pick<TestContext, 'hidden'>, got: unknown, want: unknown, maxRel: number, what: string, diagnosis?: Diagnosis): void {
  const w = worstRelError(got, want);
  if (w.problem) fail(`${what}${w.path} ${w.problem}`, diagnosis);
  if (!(w.err <= maxRel)) {
    fail(ctx.hidden
      ? `${what}: wrong, worst at ${what}${w.path}: ${hiddenMiss(w.err, maxRel)}`
      : `${what}: relative error ${fmt(w.err)} > ${fmt(maxRel)}; worst at ${what}${w.path}: expected ${fmt(w.want)}, got ${fmt(w.got)}`, diagnosis);
  }
}

/** A known mistake: what a wrong implementation gives on the same input, computed in the trusted process. */
export interface KnownMistake {
  id: string;
  hint: string;
  value: unknown;
}

/** A known mistake and the value it would produce for the inputs at hand. */
export const mistake = (d: Diagnosis, value: unknown): KnownMistake => ({ ...d, value });

/**
 * The known mistake that explains `got`: `got` is not `correct` (relative error > tol) but matches
 * the mistake's value (≤ tol), and the mistake is distinguishable from `correct` here. When two
 * different mistakes give the same value on this input, the numbers cannot tell them apart and
 * none is named.
 */
export function findMistake(got: unknown, correct: unknown, mistakes: KnownMistake[], tol = 1e-6): Diagnosis | undefined {
  return findMistakeAcross([{ got, correct, mistakes }], tol);
}

/**
 * The same over several inputs a test tried: the mistakes that explain every wrong answer among
 * them (and whose values differ from the correct ones there). One input may not tell two mistakes
 * apart where another does; a mistake is named only when exactly one remains.
 */
export function findMistakeAcross(items: { got: unknown; correct: unknown; mistakes: KnownMistake[] }[], tol = 1e-6): Diagnosis | undefined {
  let ids = null as Set<string> | null;
  const hints = new Map<string, string>();
  for (const { got, correct, mistakes } of items) {
    if (maxRelError(got, correct) <= tol) continue;
    const here = new Set<string>();
    for (const m of mistakes) {
      if (maxRelError(m.value, correct) > tol && maxRelError(got, m.value) <= tol) { here.add(m.id); hints.set(m.id, m.hint); }
    }
    const before: Set<string> | null = ids;
    ids = before === null ? here : new Set([...before].filter((id) => here.has(id)));
  }
  if (ids === null || ids.size !== 1) return undefined;
  const [id] = [...ids];
  return { id, hint: hints.get(id) as string };
}

/**
 * Whether `got` is the correct answer or a known mistake's, within `tol`. A test of a property that a
 * function doing nothing keeps too (never mutates, never scales up, carries the gradient back whole)
 * asks this of one answer before it pays: the function must do the math somewhere, right or wrong in
 * a way the grader knows (whose cost is its value tests').
 */
/** The contract's own name among the functions an answer can be found to be (the others: mistake ids). */
export const CONTRACT = 'the contract';

/**
 * Which function `got` is: the contract's (CONTRACT) or a known mistake's (its id), the closest
 * within `tol`, the contract on a tie; null for neither. A known mistake can lie within `tol` of the
 * contract (04's ε left out, on a layer of large variances), and is then told apart by distance.
 */
export function closestFunction(got: unknown, correct: unknown, mistakes: KnownMistake[], tol = 1e-6): string | null {
  let best: { id: string; err: number } | null = null;
  for (const { id, value } of [{ id: CONTRACT, value: correct }, ...mistakes]) {
    const err = maxRelError(got, value);
    if (err <= tol && (best === null || err < best.err)) best = { id, err };
  }
  return best?.id ?? null;
}

export function doesTheMath(got: unknown, correct: unknown, mistakes: KnownMistake[], tol = 1e-6): boolean {
  return [correct, ...mistakes.map((m) => m.value)].some((answer) => maxRelError(got, answer) <= tol);
}

/** Runs a check; if it fails, the failure carries `diagnosis` (when given) instead of its own. */
export function withDiagnosis<T>(diagnosis: Diagnosis | undefined, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (diagnosis && err instanceof GradeFailure) throw new GradeFailure(err.message, diagnosis);
    throw err;
  }
}

/** Runs a check; a failure's message is prefixed with `context` (e.g. the call and step it came from), its diagnosis kept unless one is given. */
export function withContext<T>(context: string, check: () => T, diagnosis?: Diagnosis): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof GradeFailure) throw new GradeFailure(`${context}: ${err.message}`, diagnosis ?? err.diagnosis);
    throw err;
  }
}

/** The first place where two values differ (exactly), as a path, or null. */
export function firstChange(before: unknown, after: unknown, path: string): { path: string; before: unknown; after: unknown } | null {
  if (Array.isArray(before) && Array.isArray(after)) {
    if (before.length !== after.length) return { path: `${path}.length`, before: before.length, after: after.length };
    for (let i = 0; i < before.length; i++) {
      const c = firstChange(before[i], after[i], `${path}[${i}]`);
      if (c) return c;
    }
    return null;
  }
  if (before !== null && after !== null && typeof before === 'object' && typeof after === 'object' && !Array.isArray(before) && !Array.isArray(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const k of keys) {
      const c = firstChange((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], `${path}.${k}`);
      if (c) return c;
    }
    return null;
  }
  return Object.is(before, after) ? null : { path, before, after };
}
