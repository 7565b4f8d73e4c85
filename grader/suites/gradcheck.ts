/**
 * Central finite differences of a student's own forward pass, to check the backward pass the
 * student wrote against it. All perturbed forward calls go to the sandbox in one batch, which
 * makes each perturbed copy of the arguments itself (Sandbox.callVariants).
 *
 * The scalar is L = Σ out ⊙ dout for a random dout, so ∂L/∂θ is exactly what a backward pass
 * given `dout` must return, and a missing upstream factor cannot hide (as it would with ones).
 */
import { closestFunction, CONTRACT, doesTheMath, fail, fmt, type KnownMistake, maxRelError, relError } from './check.js';
import { SandboxError, type ArgEdit } from '../sandbox/client.js';
import { createRng, randnMatrix } from '../../exercises/lib/rng.js';
import type { Matrix } from '../../exercises/lib/types.js';
import type { TestContext } from './harness.js';

type Json = unknown;
export type Path = (string | number)[];

/** A tensor inside the forward call's arguments, e.g. `{ name: 'dW (layer 1)', path: [1, 'layers', 0, 'W'] }`. */
export interface ParamRef { name: string; path: Path }

/**
 * What the forward pass of a gradient check must give on any arguments: the contract's output
 * (`correct`) or a known mistake's, read from its result by `out`. `centre` is the student's output
 * on the check's own arguments, from the call made before the backward pass: the function the
 * finite differences are taken of must be the one it was there too.
 */
export interface ForwardJudge { name: string; out: (result: Json) => unknown; correct: (args: Json[]) => unknown; mistakes: (args: Json[]) => KnownMistake[]; centre?: unknown; seen?: Set<string> }

/**
 * The functions this student's forward value tests found their forward pass to be (noteForward),
 * shared by every test of the exercise: a gradient check takes its finite differences only of one
 * of them (ForwardJudge.seen), once there is one. A forward pass can tell the gradient check's
 * fixed inputs from others (a first upload reads them back from its own error messages), and be a
 * known mistake's there, the one whose exact gradient its catalogued backward mistake is, while the
 * contract's in every value test (attacker 13).
 */
export function forwardsSeen(ctx: Pick<TestContext, 'once'>): Promise<Set<string>> {
  return ctx.once('forward functions seen', () => Promise.resolve(new Set<string>()));
}

/** Notes which function `got` is in a forward value test: the contract's or a known mistake's, the closest within 1e-6; nothing for neither. */
export async function noteForward(ctx: Pick<TestContext, 'once'>, got: unknown, correct: unknown, mistakes: KnownMistake[]): Promise<void> {
  const id = closestFunction(got, correct, mistakes);
  if (id !== null) (await forwardsSeen(ctx)).add(id);
}

/** A copy of `args` moved as the sandbox moves each variant (ArgEdit): `delta` added at `index` of the tensor at `path`. */
function moved(args: Json[], edit: ArgEdit): Json[] {
  const copy = structuredClone(args);
  const [row, col] = edit.index;
  const tensor = getAt(copy, edit.path);
  if (col === undefined) (tensor as number[])[row] += edit.delta;
  else (tensor as number[][])[row][col] += edit.delta;
  return copy;
}

/** The finite-difference estimate at some entries of one parameter. */
export interface NumericGrad { name: string; entries: { index: number[]; value: number }[] }

function getAt(root: Json, path: Path): Json {
  return path.reduce<Json>((node, key) => (node as Record<string | number, Json>)[key], root);
}

/** Flat indices of a vector or matrix: every entry, or at most `max` spread evenly. */
function indicesOf(tensor: Json, max: number): number[][] {
  const all: number[][] = [];
  if (Array.isArray(tensor) && Array.isArray(tensor[0])) {
    (tensor as number[][]).forEach((row, i) => row.forEach((_v, j) => all.push([i, j])));
  } else {
    (tensor as number[]).forEach((_v, i) => all.push([i]));
  }
  if (all.length <= max) return all;
  const step = all.length / max;
  return Array.from({ length: max }, (_, k) => all[Math.floor(k * step + step / 2)]);
}

/** Σ out ⊙ dout over a matrix output. */
export function dot(out: Json, dout: number[][]): number {
  const o = out as number[][];
  const rows = dout.length, cols = dout[0]?.length ?? 0;
  if (!Array.isArray(o) || o.length !== rows || o.some((r) => !Array.isArray(r) || r.length !== cols)) {
    fail(`the forward pass's output should have shape [${rows}x${cols}] for the finite-difference check, got ${Array.isArray(o) ? `[${o.length}x${(o[0] as unknown[] | undefined)?.length ?? 0}]` : fmt(o)}`);
  }
  let s = 0;
  for (let i = 0; i < dout.length; i++) for (let j = 0; j < dout[i].length; j++) s += o[i][j] * dout[i][j];
  return s;
}

/**
 * ∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h for each chosen entry of each parameter, where L is
 * `loss` of the forward pass's output (`opts.forward.out` of its result, or the result itself).
 * `maxPerParam` bounds the entries checked per tensor.
 *
 * With `opts.forward`, the differences are taken of the function the student's outputs were judged
 * to be (see judgedOutputs), computed on the trusted side, never of the student's numbers themselves.
 */
export async function finiteDifferences(
  ctx: TestContext, fn: string, args: Json[], params: ParamRef[], loss: (out: Json) => number,
  opts: { h?: number; maxPerParam?: number; forward?: ForwardJudge } = {},
): Promise<NumericGrad[]> {
  const h = opts.h ?? 1e-5;
  const plan: { p: number; index: number[] }[] = [];
  const edits: ArgEdit[] = [];
  params.forEach((param, p) => {
    for (const index of indicesOf(getAt(args, param.path), opts.maxPerParam ?? 64)) {
      // the sandbox makes each copy of the arguments with this entry moved by ±h
      for (const sign of [1, -1]) edits.push({ path: param.path, index, delta: sign * h });
      plan.push({ p, index });
    }
  });
  const results = await ctx.callVariants(fn, args, edits);
  const where = (k: number): string => {
    const { p, index } = plan[k >> 1];
    return `${params[p].name.replace(/^grads\[(\d+)\]\.d/, 'layers[$1].').replace(/^d/, '')}${fmtIndex(index)} moved by ${edits[k].delta > 0 ? '+' : '−'}${fmt(Math.abs(edits[k].delta))}`;
  };
  const differences = (outs: Json[]): NumericGrad[] => {
    const grads: NumericGrad[] = params.map((param) => ({ name: param.name, entries: [] }));
    plan.forEach(({ p, index }, k) => {
      const plus = loss(outs[2 * k]);
      const minus = loss(outs[2 * k + 1]);
      if (!Number.isFinite(plus) || !Number.isFinite(minus)) {
        fail(`your ${fn} gave a non-finite output when ${params[p].name.replace(/^d/, '')}${fmtIndex(index)} moved by ±${h}; the finite-difference check needs a finite forward pass`);
      }
      grads[p].entries.push({ index, value: (plus - minus) / (2 * h) });
    });
    return grads;
  };
  // first the student's own outputs, for what they say on their own (a shape, a non-finite output,
  // an input ignored); then, with a judge, the function they were judged to be (judgedOutputs)
  const grads = differences(opts.forward ? results.map((r) => opts.forward?.out(r)) : results);
  // a forward pass that ignores its inputs (zeros of the right shape) has finite differences of
  // exactly 0, which a backward pass of zeros matches: an attacker's do-nothing 02, 04 and 05 took
  // every gradient check's points. So did forward passes that ignore every tensor but one (out = x,
  // or out = x + b with dx = dout and db = Σ dout), with a backward that is their exact gradient.
  // The forward passes the exercises ask for depend on every tensor checked here, and on these
  // inputs each tensor moves L = Σ out ⊙ dout at some checked entry (the reference solutions pass).
  // named as the forward pass's tensors: dgamma → gamma, grads[0].dW → layers[0].W
  const ignored = grads.filter((g) => g.entries.every((e) => e.value === 0)).map((g) => g.name.replace(/^grads\[(\d+)\]\.d/, 'layers[$1].').replace(/^d/, ''));
  if (ignored.length === grads.length) {
    fail(`your ${fn} gives the same output whatever its inputs (every finite difference is 0): the gradient check needs the forward pass the exercise asks for`);
  }
  // a forward pass without biases at all (z = x·W, its backward db = 0) is one mistake, which the
  // value tests charge: only an ignored input or weight fails the check
  if (ignored.some((name) => !/(^|\.)(b|beta)$/.test(name))) {
    fail(`your ${fn} gives the same output whatever ${ignored.join(', ')} ${ignored.length > 1 ? 'are' : 'is'} (every finite difference there is 0), though the forward pass the exercise asks for depends on ${ignored.length > 1 ? 'each' : 'it'}: the gradient check needs that forward pass`);
  }
  return opts.forward ? differences(judgedOutputs(opts.forward, args, edits, results, where)) : grads;
}

/**
 * The outputs whose finite differences are taken: those of ONE function, the contract's forward pass
 * or one known mistake's, computed here on every moved copy of the arguments, once the student's
 * output on every copy has been found to be that function's (within doesTheMath's 1e-6); of
 * several that fit, the closest. Never the student's own numbers: a forward pass that remembers
 * its last arguments can spot a copy moved at one entry and answer it with whatever makes the
 * finite difference equal the gradient its backward pass claimed. Judged entry by entry that leaves
 * it a window of 1e-6, and a finite difference divides by 2h = 2e-5: an attacker moved each
 * output by under 1e-6 and steered ∂L/∂θ by a tenth of Σ|out ⊙ dout|, enough for a catalogued
 * mistake's backward pass to match (db averaged over the batch, γ left out of dx, act′ at the
 * output: 6.375 points of 02, 04 and 05). Before that, an answer judged copy by copy let such a
 * forward pass be the contract's on one copy and another function's on the next (8.375 points).
 * For an honest forward pass nothing changes but rounding: its outputs are the chosen function's
 * to about 1e-15.
 */
function judgedOutputs(judge: ForwardJudge, args: Json[], edits: ArgEdit[], results: Json[], where: (k: number) => string): unknown[] {
  // the centre first, when given: its function must be the copies' too (an attacker's forward pass
  // was the contract's on the check's inputs and, once the backward pass had seen them, a known
  // mistake's on every moved copy, the one whose exact gradient its backward pass was: 4.5 points)
  const centred = judge.centre !== undefined;
  const copies = [...(centred ? [args] : []), ...edits.map((edit) => moved(args, edit))];
  const outs = [...(centred ? [judge.centre] : []), ...results.map((r) => judge.out(r))];
  const at = (k: number): string => (centred ? (k === 0 ? '' : ` with ${where(k - 1)}`) : ` with ${where(k)}`);
  const judged = pickFunction(judge, copies, outs, at);
  return centred ? judged.slice(1) : judged;
}

/** The outputs of the one function (the contract's or a known mistake's, the closest) that every one of `outs` fits on its `copies`; else a failure naming where. */
function pickFunction(judge: ForwardJudge, copies: Json[][], outs: unknown[], at: (k: number) => string): unknown[] {
  const correct = copies.map((copy) => judge.correct(copy));
  // the known mistakes are built only for a forward pass that is not the contract's on every copy
  // (they cost several trusted forward passes a copy), or is but only just
  const seen = judge.seen ?? new Set<string>();
  const allowed = (id: string) => seen.size === 0 || seen.has(id);
  const worstCorrect = Math.max(...outs.map((out, k) => maxRelError(out, correct[k])));
  if (worstCorrect <= 1e-12 && allowed(CONTRACT)) return correct;
  const mistakes = copies.map((copy) => judge.mistakes(copy));
  // by place in the list, not by id: one id may name two variants (04's ε outside the root and ε
  // left out are both batchnorm-eps-placement; by id the second was never a candidate, attacker 13)
  const candidates = [{ id: CONTRACT, values: correct }];
  (mistakes[0] ?? []).forEach(({ id }, j) => {
    const values = mistakes.map((list) => (list[j]?.id === id ? list[j].value : undefined));
    if (values.every((v) => v !== undefined)) candidates.push({ id, values });
  });
  const worst = candidates.map((c) => Math.max(...outs.map((out, k) => maxRelError(out, c.values[k]))));
  // of the functions that fit every copy, the closest that the value tests found too (a known
  // mistake can coincide with the contract on these inputs: a tie is no reason to fail)
  const fitting = candidates.map((c, i) => ({ ...c, err: worst[i] })).filter((c) => c.err <= 1e-6);
  const closest = (cs: typeof fitting) => cs.reduce((a, b) => (b.err < a.err ? b : a));
  if (fitting.length > 0) {
    const ok = fitting.filter((c) => allowed(c.id));
    if (ok.length > 0) return closest(ok).values;
    const named = (k: string) => (k === CONTRACT ? 'the contract\u2019s' : `the known mistake ${k}\u2019s`);
    fail(`your ${judge.name} is ${named(closest(fitting).id)} forward pass on the gradient check's inputs, but ${[...seen].map(named).join(' or ')} in its value tests: the check takes the finite differences of the forward pass your value tests found, on every input`);
  }
  // no one function fits every copy: name a copy that fits none, or two that fit different ones
  const fits = outs.map((out, k) => candidates.findIndex((c) => maxRelError(out, c.values[k]) <= 1e-6));
  // a moved copy that fits nothing is named before the centre (the suites judge the centre on its own too)
  const copyNone = fits.findIndex((f, k) => f === -1 && at(k) !== '');
  const none = copyNone >= 0 ? copyNone : fits.indexOf(-1);
  if (none >= 0) fail(notTheForward(`${judge.name}${at(none)}`));
  const other = fits.findIndex((f) => f !== fits[0]);
  const place = (k: number): string => at(k) || ' on the check\u2019s own inputs, before the backward pass';
  fail(`your ${judge.name} gives ${fits[0] === 0 ? 'the contract\u2019s output' : 'a known mistake\u2019s output'}${place(0)} but ${fits[other] === 0 ? 'the contract\u2019s' : 'another function\u2019s'}${place(other)}: finite differences of it would mix two functions, so the check needs one forward pass, the exercise's or one known mistake's, on every input`);
}

/**
 * A gradient check pays only for the forward pass the exercise asks for: the student's output on
 * the check's own inputs right, or a known mistake's (doesTheMath). Finite differences of another
 * function only show that a backward pass is that function's gradient: an attacker's forward
 * passes that add up their inputs (z = Σₖ h[i][k] + Σₖ W[k][j] + b[j], x ⊙ γ + β,
 * x + W₁[0] + W₂[0]), each with its exact gradient, took 8.375 points of 02, 04 and 05 with
 * neither a product nor a normalization. A forward mistake the catalogue lacks fails here as well
 * as in its value tests; the honest ones a reviewer wrote (no bias, the activation on the input,
 * batch norm without β or without the square root, a residual block without b₂) already failed
 * here, their backward passes being the contract's.
 */
export function expectForwardOfTheExercise(got: unknown, correct: unknown, mistakes: KnownMistake[], forward: string): void {
  if (!doesTheMath(got, correct, mistakes)) fail(notTheForward(forward));
}
const notTheForward = (forward: string): string => `your ${forward} on the gradient check's inputs gives neither the contract's output nor a known mistake's, so finite differences of it would check the gradient of another function: the check needs the forward pass the exercise asks for (its value tests say how yours differs)`;

function fmtIndex(index: number[]): string {
  return index.map((i) => `[${i}]`).join('');
}

/**
 * Compares a backward pass's gradient with the finite differences of the student's forward pass:
 * CS231n relative error ≤ maxRel at every checked entry, or a failure naming the gradient.
 */
export function expectMatchesNumeric(got: Json, numeric: NumericGrad, maxRel: number, forward: string): void {
  let worst = { err: -1, index: [] as number[], got: 0, want: 0 };
  for (const { index, value } of numeric.entries) {
    const g = index.length === 2 ? (got as number[][])?.[index[0]]?.[index[1]] : (got as number[])?.[index[0]];
    if (typeof g !== 'number' || !Number.isFinite(g)) {
      fail(`${numeric.name}${fmtIndex(index)} should be a finite number, got ${fmt(g)} (check its shape)`);
    }
    const err = relError(g, value);
    if (err > worst.err) worst = { err, index, got: g, want: value };
  }
  if (worst.err > maxRel) {
    fail(`${numeric.name} disagrees with finite differences of your ${forward}: relative error ${fmt(worst.err)} > ${fmt(maxRel)}; ` +
      `worst at ${numeric.name}${fmtIndex(worst.index)}: numeric ${fmt(worst.want)}, yours ${fmt(worst.got)}`);
  }
}

/**
 * What backpropagation is for: every gradient for about the cost of one more forward pass. A
 * backward pass that differentiates the student's own forward numerically (an attacker's central
 * differences with Richardson extrapolation passed 02's, 04's and 05's value and gradient checks,
 * 20.5 points, on their small inputs) needs a forward pass per parameter. So each backward test
 * also runs the backward pass once on a layer of width WIDE (WIDE² weights), where backpropagation
 * takes milliseconds (the reference: a few matrix products of ≈ 2·10⁶ multiply-adds) and numerical
 * differentiation ≈ 2·WIDE² forward passes, over 10¹¹ multiply-adds: far past the per-call CPU
 * limit on any machine. Its answer must be the contract's or a known mistake's (wideVerdict).
 */
export const WIDE = 256;
export const WIDE_ROWS = 32;
/** A seeded wide matrix (rows × cols, entries N(0, scale²)), the same in every worker. */
export function wideMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix {
  return randnMatrix(rows, cols, createRng(seed)).map((r) => r.map((v) => v * scale));
}
/**
 * A wide check's answers, each computed once a worker (the same inputs for every student): the
 * contract's when the first student is judged, the known mistakes' only for a student whose answer
 * is not the contract's (on a wide layer they cost several reference backward passes).
 */
export interface WideAnswer { correct(): unknown; mistakes(): KnownMistake[] }
export function wideAnswer<T>(correct: () => T, mistakes: (correct: T) => KnownMistake[]): WideAnswer {
  let c: { value: T } | undefined;
  let m: KnownMistake[] | undefined;
  const right = (): T => (c ??= { value: correct() }).value;
  return { correct: right, mistakes: () => (m ??= mistakes(right())) };
}
export function expectBackpropCost(ctx: Pick<TestContext, 'once'>, what: string, wideCall: () => Promise<unknown>, answer: WideAnswer): Promise<void> {
  // once per student and exercise: every backward test of it needs the same verdict, and the wide
  // call is most of what a correct backward pass costs the grader. It runs in the checks that
  // choose a student's own 02 for another exercise too (chooseOwn): 05's own wide check runs the
  // student's residualBackward, hence denseBackward, on a 256-wide layer, so an own 02 slow or
  // wrong only there would cost a correct 05 its backward points (test/own-functions.test.ts)
  return ctx.once(`wide ${what}`, () => wideVerdict(what, wideCall, answer));
}
async function wideVerdict(what: string, wideCall: () => Promise<unknown>, answer: WideAnswer): Promise<void> {
  let got: unknown;
  try {
    got = await wideCall();
  } catch (err) {
    const stopped = err instanceof SandboxError && err.kind === 'timeout' ? err.message : null;
    if (stopped === null) throw err;
    fail(`${what} on a layer of width ${WIDE} did not finish: ${stopped}. Backpropagation gets every gradient for about the cost of one more forward pass (a few matrix products here); a backward pass that differentiates the forward numerically needs a forward pass per weight (${WIDE * WIDE} of them per layer)`);
  }
  // and the answer must be the one it gives on small inputs: right, or a known mistake's (a backward
  // pass that answered wide inputs with dx = dout and zero gradients came back at once)
  const right = answer.correct();
  if (!doesTheMath(got, right, []) && !answer.mistakes().some((m) => doesTheMath(got, m.value, []))) {
    fail(`${what} on a layer of width ${WIDE} gives neither the contract's gradients nor a known mistake's: a backward pass must compute on every input what it computes on the small ones`);
  }
}
