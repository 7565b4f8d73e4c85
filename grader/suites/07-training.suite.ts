/**
 * Hidden suite of 07-training: globalGradNorm, clipGradNorm, sgdStep and trainMlp against the
 * fixtures (CS231n relative error ≤ 1e-7); clipping by one global factor that never scales up;
 * clipGradNorm and sgdStep never mutate their inputs; trainMlp's history taken before each update
 * with the gradient norm before clipping; and the phenomena on the student's own trainMlp: the
 * deep sigmoid/Xavier network learns nothing about x where ReLU/He learns, and too-large weights
 * explode without clipping and learn with it.
 *
 * The phenomenon runs use the fixtures' fixed seeds: trainMlp draws no random numbers, so a correct
 * implementation reproduces the reference's run up to rounding, and the limits sit orders of
 * magnitude away from it (exercises/07-training/README.md, "How the phenomena are graded").
 *
 * Known mistakes are recomputed here, in the trusted process, with a small reference written on
 * exercises/lib (never solutions/): a wrong answer that matches one fails with its diagnosis.
 */
import {
  LOSS_REL, lossBlownUp, lossGap, lossShift, loadFixture, rebuildTrainingTask, runStatistic, trainingRunStats,
  type FixtureByKind, type FixtureKind, type TrainHistoryEntry, type TrainMlpInputs, type TrainingRunFixture,
} from '../../fixtures/load.js';
import { addRowVector, colSums, map, matmul, mul, transpose, vectorNorm } from '../../exercises/lib/tensor.js';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../../exercises/lib/types.js';
import type { Diagnosis } from '../results.js';
import { caseName, doesTheMath, expectNumber, expectRel, fail, findMistake, firstChange, fmt, type KnownMistake, maxRelError, mistake, speaking, withContext } from './check.js';
import { defineSuite, type TestContext } from './harness.js';
import { SandboxError } from '../sandbox/client.js';
import { ACT } from './activations.js';

const SLUG = '07-training';
const MISTAKE_REL = 1e-6;

const memo = new Map<string, unknown>();
function fixture<K extends FixtureKind>(name: string, kind: K): FixtureByKind[K] {
  if (!memo.has(name)) memo.set(name, loadFixture(SLUG, name, kind));
  return memo.get(name) as FixtureByKind[K];
}
/** A fixture's CS231n tolerance (1e-7). */
function rel(f: { tolerance: { type: string; max?: number }; name: string }): number {
  if (f.tolerance.type !== 'relError' || f.tolerance.max === undefined) throw new Error(`fixtures/${SLUG}/${f.name}.json: the suite expects a relError tolerance`);
  return f.tolerance.max;
}

// ---------------------------------------------------------------------------------------------
// Known mistakes.

const M = {
  normNoBias: { id: 'norm-missing-bias', hint: 'The global norm runs over EVERY parameter: the bias gradients db count as well as the dW.' },
  normSumOfNorms: { id: 'norm-sum-of-layer-norms', hint: 'The global norm is one Euclidean norm over all parameters together: √(Σ‖dWᵢ‖² + Σ‖dbᵢ‖²), not the sum of the layers’ norms.' },
  normNoSqrt: { id: 'norm-not-square-rooted', hint: 'A norm is the square root of the sum of squares.' },
  clipPerLayer: { id: 'clip-per-layer', hint: 'Clipping by the GLOBAL norm scales every layer by the same factor maxNorm / globalGradNorm, so the direction of the whole step is kept; clipping each layer by its own norm changes that direction.' },
  clipPerTensor: { id: 'clip-per-tensor', hint: 'Clipping by the global norm scales every dW and every db by one factor, maxNorm / globalGradNorm: is your factor computed from all the gradients together, or from each tensor on its own?' },
  clipByValue: { id: 'clip-by-value', hint: 'Norm clipping multiplies every entry by the same factor maxNorm / norm, so the step keeps its direction: does yours, or does it cap each entry on its own?' },
  clipScalesUp: { id: 'clip-scales-up', hint: 'Clip only when the norm EXCEEDS maxNorm: a gradient that is already short enough must come back unchanged, not stretched to maxNorm.' },
  clipInverted: { id: 'clip-factor-inverted', hint: 'The factor that brings a norm down to maxNorm is maxNorm / norm (below 1), not norm / maxNorm.' },
  clipOnlyW: { id: 'clip-only-weights', hint: 'Clipping scales every dW AND every db by the same factor.' },
  ascent: { id: 'gradient-ascent', hint: 'Gradient descent SUBTRACTS lr times the gradient: W − lr·dW.' },
  biasFrozen: { id: 'bias-not-updated', hint: 'sgdStep updates the biases too: b − lr·db.' },
  historyAfterUpdate: { id: 'history-after-update', hint: 'history[t] describes the network BEFORE step t’s update: history[0] is the network you were given.' },
  historyAfterClip: { id: 'history-after-clipping', hint: 'Record the gradient norms before clipping: after clipping they only say maxNorm, and you could no longer see the gradient explode.' },
  clipIgnored: { id: 'clip-norm-ignored', hint: 'With opts.clipNorm, pass the gradients through clipGradNorm(grads, clipNorm) before sgdStep.' },
} satisfies Record<string, Diagnosis>;

// ---------------------------------------------------------------------------------------------
// The trusted reference, written on exercises/lib, and its known-mistake variants.

type NormVariant = 'correct' | 'noBias' | 'sumOfNorms' | 'noSqrt';
function norm(grads: LayerGrads[], v: NormVariant = 'correct'): number {
  const sq = (g: LayerGrads, bias: boolean): number => g.dW.flat().reduce((s, x) => s + x * x, 0) + (bias ? g.db.reduce((s, x) => s + x * x, 0) : 0);
  if (v === 'sumOfNorms') return grads.reduce((s, g) => s + Math.sqrt(sq(g, true)), 0);
  const total = grads.reduce((s, g) => s + sq(g, v !== 'noBias'), 0);
  return v === 'noSqrt' ? total : Math.sqrt(total);
}

const scaleGrads = (g: LayerGrads, kW: number, kb = kW): LayerGrads => ({ dW: g.dW.map((r) => r.map((x) => x * kW)), db: g.db.map((x) => x * kb) });

type ClipVariant = 'correct' | 'perLayer' | 'perTensor' | 'byValue' | 'scalesUp' | 'inverted' | 'onlyW';
/** Clipping by the global norm (by the norm variant `nv`), or a known mistake of it. */
function clip(grads: LayerGrads[], maxNorm: number, v: ClipVariant = 'correct', nv: NormVariant = 'correct'): LayerGrads[] {
  if (v === 'perLayer') return grads.map((g) => clip([g], maxNorm)[0]);
  if (v === 'perTensor') return grads.map((g) => ({ dW: clip([{ dW: g.dW, db: [] }], maxNorm)[0].dW, db: clip([{ dW: [], db: g.db }], maxNorm)[0].db }));
  if (v === 'byValue') {
    const cap = (x: number): number => Math.min(maxNorm, Math.max(-maxNorm, x));
    return grads.map((g) => ({ dW: g.dW.map((r) => r.map(cap)), db: g.db.map(cap) }));
  }
  const n = norm(grads, nv);
  const factor = v === 'scalesUp' ? maxNorm / n : n > maxNorm ? (v === 'inverted' ? n / maxNorm : maxNorm / n) : 1;
  return grads.map((g) => scaleGrads(g, factor, v === 'onlyW' ? 1 : factor));
}

function normMistakes(grads: LayerGrads[]): KnownMistake[] {
  return [mistake(M.normNoBias, norm(grads, 'noBias')), mistake(M.normSumOfNorms, norm(grads, 'sumOfNorms')), mistake(M.normNoSqrt, norm(grads, 'noSqrt'))];
}
function clipMistakes(grads: LayerGrads[], maxNorm: number): KnownMistake[] {
  return [mistake(M.clipPerLayer, clip(grads, maxNorm, 'perLayer')), mistake(M.clipPerTensor, clip(grads, maxNorm, 'perTensor')),
    mistake(M.clipByValue, clip(grads, maxNorm, 'byValue')), mistake(M.clipScalesUp, clip(grads, maxNorm, 'scalesUp')),
    mistake(M.clipInverted, clip(grads, maxNorm, 'inverted')), mistake(M.clipOnlyW, clip(grads, maxNorm, 'onlyW'))];
}

type SgdVariant = 'correct' | 'ascent' | 'biasFrozen';
function sgd(layers: Dense[], grads: LayerGrads[], lr: number, v: SgdVariant = 'correct'): Dense[] {
  const sign = v === 'ascent' ? -1 : 1;
  return layers.map((l, i) => ({
    W: l.W.map((r, a) => r.map((w, c) => w - sign * lr * grads[i].dW[a][c])),
    b: v === 'biasFrozen' ? l.b.slice() : l.b.map((b, c) => b - sign * lr * grads[i].db[c]),
  }));
}
function sgdMistakes(layers: Dense[], grads: LayerGrads[], lr: number): KnownMistake[] {
  return [mistake(M.ascent, sgd(layers, grads, lr, 'ascent')), mistake(M.biasFrozen, sgd(layers, grads, lr, 'biasFrozen'))];
}

/** mseLoss of the MLP (act after every layer but the last) and every layer's gradient. */
function lossAndGrads(x: Matrix, y: Matrix, layers: Dense[], act: ActivationName): { loss: number; grads: LayerGrads[] } {
  const { f, df } = ACT[act];
  const inputs: Matrix[] = [];
  const zs: Matrix[] = [];
  let h = x;
  layers.forEach((l, i) => {
    inputs.push(h);
    const z = addRowVector(matmul(h, l.W), l.b);
    zs.push(z);
    h = i < layers.length - 1 ? map(z, f) : z;
  });
  const n = x.length;
  let sq = 0;
  const dpred = map(h, (p, i, j) => { const d = p - y[i][j]; sq += d * d; return d / n; });
  const grads: LayerGrads[] = new Array(layers.length);
  let dz = dpred;
  for (let i = layers.length - 1; i >= 0; i--) {
    grads[i] = { dW: matmul(transpose(inputs[i]), dz), db: colSums(dz) };
    if (i > 0) dz = mul(matmul(dz, transpose(layers[i].W)), map(zs[i - 1], df));
  }
  return { loss: sq / (2 * n), grads };
}

const frob = (m: Matrix): number => Math.sqrt(m.flat().reduce((s, x) => s + x * x, 0));

type TrainVariant = 'correct' | 'afterUpdate' | 'afterClip' | 'ascent' | 'biasFrozen' | 'perLayer' | 'perTensor' | 'byValue' | 'scalesUp' | 'clipIgnored';
/** trainMlp, with the global norm of `nv` (recorded and clipped by), or a known mistake of it: what it returns. */
function train(i: TrainMlpInputs, v: TrainVariant = 'correct', nv: NormVariant = 'correct'): { layers: Dense[]; history: TrainHistoryEntry[] } {
  const { layers, history } = trainRun(i, v, nv);
  return { layers, history };
}
type TrainRun = { layers: Dense[]; history: TrainHistoryEntry[]; norms: number[] };
/**
 * Runs already trained in this worker, by the inputs' x (the fixtures' and rebuildTrainingTask's
 * are kept, so every student's story runs the same objects): a story trains the same networks for
 * each student. Never changed after they are made: they are only compared with. Only runs at the
 * inputs' own learning rate are kept (trainRun); a rate fitted to a student's history
 * (ratesGiving) trains anew, so no student's numbers decide what the worker holds.
 */
const trainedRuns = new WeakMap<Matrix, Map<string, { y: Matrix; layers: Dense[]; run: TrainRun }>>();
/** The same run, with the contract's global norm of each step's gradient beside it. */
function trainRun(i: TrainMlpInputs, v: TrainVariant = 'correct', nv: NormVariant = 'correct'): TrainRun {
  const key = `${v} ${nv} ${i.act} ${i.lr} ${i.steps} ${i.clipNorm}`;
  let runs = trainedRuns.get(i.x);
  if (!runs) trainedRuns.set(i.x, (runs = new Map()));
  const kept = runs.get(key);
  if (kept && kept.y === i.y && kept.layers === i.layers) return kept.run;
  const run = trainAnew(i, v, nv);
  runs.set(key, { y: i.y, layers: i.layers, run });
  return run;
}
function trainAnew(i: TrainMlpInputs, v: TrainVariant, nv: NormVariant): TrainRun {
  let layers = i.layers;
  const history: TrainHistoryEntry[] = [];
  const norms: number[] = []; // the contract's global norm of each step's gradient, whatever v and nv record
  const entry = (g: { loss: number; grads: LayerGrads[] }): TrainHistoryEntry => ({ loss: g.loss, gradNorm: norm(g.grads, nv), firstLayerGradNorm: frob(g.grads[0].dW) });
  for (let t = 0; t < i.steps; t++) {
    const g = lossAndGrads(i.x, i.y, layers, i.act);
    norms.push(norm(g.grads));
    const clipVariant: ClipVariant = v === 'perLayer' || v === 'perTensor' || v === 'byValue' || v === 'scalesUp' ? v : 'correct';
    const step = i.clipNorm === null || v === 'clipIgnored' ? g.grads : clip(g.grads, i.clipNorm, clipVariant, nv);
    if (v === 'afterClip') history.push(entry({ loss: g.loss, grads: step }));
    else if (v !== 'afterUpdate') history.push(entry(g));
    layers = sgd(layers, step, i.lr, v === 'ascent' || v === 'biasFrozen' ? v : 'correct');
    if (v === 'afterUpdate') history.push(entry(lossAndGrads(i.x, i.y, layers, i.act)));
  }
  return { layers, history, norms };
}
function trainMistakes(i: TrainMlpInputs): KnownMistake[] {
  const m = [mistake(M.historyAfterUpdate, train(i, 'afterUpdate')), mistake(M.ascent, train(i, 'ascent')),
    // a wrong global norm, recorded in the history (and clipped by): named where it changes a phenomenon
    mistake(M.normNoBias, train(i, 'correct', 'noBias')), mistake(M.normSumOfNorms, train(i, 'correct', 'sumOfNorms')), mistake(M.normNoSqrt, train(i, 'correct', 'noSqrt'))];
  if (i.clipNorm !== null) {
    m.push(mistake(M.historyAfterClip, train(i, 'afterClip')), mistake(M.clipPerLayer, train(i, 'perLayer')),
      mistake(M.clipPerTensor, train(i, 'perTensor')), mistake(M.clipByValue, train(i, 'byValue')),
      mistake(M.clipScalesUp, train(i, 'scalesUp')), mistake(M.clipIgnored, train(i, 'clipIgnored')));
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// One wrong line in globalGradNorm costs once.

/**
 * clipGradNorm and trainMlp are defined through globalGradNorm (COURSE.md: every dW and db scaled
 * by maxNorm / globalGradNorm; the history records the global gradient norm), so a student whose
 * clipGradNorm and trainMlp call their own globalGradNorm carries its one wrong line into every
 * test of them. That line costs training.globalGradNorm.values, which names it. When an answer of
 * clipGradNorm or trainMlp fails, the suite therefore asks the student's globalGradNorm for the
 * norm of PROBE; if that is exactly one of the catalogued wrong norms, an answer built consistently
 * on that norm is accepted. A wrong norm the suite does not recognise is not: nothing would tell
 * it from a wrong clip or a wrong step.
 */
const PROBE: LayerGrads[] = [
  { dW: [[3e-4, -4e-4], [0, 1e-4]], db: [2e-4, -1e-4] },
  { dW: [[0.6, -0.3, 0.1], [0.2, 0.5, -0.4]], db: [0.2, -0.1, 0.3] },
  { dW: [[60, -20], [10, 40], [-30, 50]], db: [20, -10] },
];
const NORM_VARIANT: Record<string, NormVariant> = { [M.normNoBias.id]: 'noBias', [M.normSumOfNorms.id]: 'sumOfNorms', [M.normNoSqrt.id]: 'noSqrt' };

/**
 * The student's globalGradNorm of PROBE, asked once per student and exercise (ctx.once): the answer
 * the own-norm acceptance rests on is the one training.globalGradNorm.values grades too. An
 * attacker's globalGradNorm answered the fixtures right and PROBE alone with a catalogued wrong
 * norm, and so got a clip and a training loop built on that norm paid at 15/15: a wrong line that
 * cost nothing.
 */
function probeAnswer(ctx: TestContext): Promise<{ got: unknown } | { error: SandboxError }> {
  return ctx.once('globalGradNorm of PROBE', () => ctx.call('globalGradNorm', PROBE).then(
    (got) => ({ got }),
    (err: unknown) => { if (err instanceof SandboxError) return { error: err }; throw err; }));
}
/** The catalogued wrong norm the student's own globalGradNorm computes, or 'correct' (right, unrecognised, or no answer). */
async function ownNorm(ctx: TestContext): Promise<NormVariant> {
  const answer = await probeAnswer(ctx);
  return 'got' in answer ? NORM_VARIANT[findMistake(answer.got, norm(PROBE), normMistakes(PROBE), MISTAKE_REL)?.id ?? ''] ?? 'correct' : 'correct';
}

/** The norm `got` is right by: the contract's, or the student's own catalogued wrong one; null when neither. */
async function normOf(ctx: TestContext, got: unknown, want: unknown, answer: (nv: NormVariant) => unknown, tol: number): Promise<NormVariant | null> {
  if (maxRelError(got, want) <= tol) return 'correct';
  const nv = await ownNorm(ctx);
  return nv !== 'correct' && maxRelError(got, answer(nv)) <= tol ? nv : null;
}

// ---------------------------------------------------------------------------------------------
// Calls and checks.

const shapes = (grads: LayerGrads[]): string => grads.map((g) => `[${g.dW.length}x${g.dW[0]?.length ?? 0}]`).join(', ');
const optsOf = (i: { lr: number; steps: number; clipNorm: number | null }): object => (i.clipNorm === null ? { lr: i.lr, steps: i.steps } : { lr: i.lr, steps: i.steps, clipNorm: i.clipNorm });
const trainCall = (i: TrainMlpInputs): string =>
  `trainMlp(x [${i.x.length}x${i.x[0].length}], y, layers ${i.layers.map((l) => `[${l.W.length}x${l.W[0].length}]`).join(', ')}, '${i.act}', { lr: ${fmt(i.lr)}, steps: ${i.steps}${i.clipNorm === null ? '' : `, clipNorm: ${fmt(i.clipNorm)}`} })`;

/** The student's clipGradNorm against `want`; returns the result and the norm it is right by. */
async function checkClip(ctx: TestContext, grads: LayerGrads[], maxNorm: number, want: LayerGrads[], tol: number, label: string): Promise<{ got: LayerGrads[]; nv: NormVariant }> {
  const got = await ctx.call('clipGradNorm', grads, maxNorm);
  const nv = await normOf(ctx, got, want, (v) => clip(grads, maxNorm, 'correct', v), tol);
  if (nv === null) {
    withContext(`clipGradNorm(grads ${shapes(grads)}, ${fmt(maxNorm)}) (${label})`, () => expectRel(ctx, got, want, tol, 'result'),
      findMistake(got, want, clipMistakes(grads, maxNorm), MISTAKE_REL));
  }
  return { got: got as LayerGrads[], nv: nv ?? 'correct' };
}

async function checkTrain(ctx: TestContext, c: { label: string; inputs: TrainMlpInputs; expected: { layers: Dense[]; history: TrainHistoryEntry[] } }, tol: number): Promise<void> {
  const i = c.inputs;
  const got = await ctx.call('trainMlp', i.x, i.y, i.layers, i.act, optsOf(i));
  if (await normOf(ctx, got, c.expected, (v) => train(i, 'correct', v), tol) !== null) return;
  withContext(`${trainCall(i)} (${c.label})`, () => expectRel(ctx, got, c.expected, tol, 'result'), findMistake(got, c.expected, trainMistakes(i), MISTAKE_REL));
}

/** The hidden fixture's cases `pick` chooses, each named by its number (its label says how its clipping goes: caseName). */
function trainCases(pick: (i: TrainMlpInputs) => boolean): { cases: FixtureByKind['train-mlp']['cases']; tol: number } {
  const f = fixture('train-mlp', 'train-mlp');
  return { cases: f.cases.map((c, k) => ({ ...c, label: caseName(f, k, f.cases.length, c.label) })).filter((c) => pick(c.inputs)), tol: rel(f) };
}

/** Every record of `fn` in this test whose arguments changed during the call fails, naming the first change. */
function expectNoMutation(ctx: TestContext, fn: string, names: string[], diagnosis: Diagnosis): void {
  const calls = ctx.records.filter((r) => r.fn === fn);
  if (calls.length === 0) throw new Error(`expectNoMutation: no call of ${fn} was made`);
  for (const r of calls) {
    if (!r.argsAfter) continue;
    for (let a = 0; a < names.length; a++) {
      const change = firstChange(r.args[a], r.argsAfter[a], names[a]);
      if (change) fail(`${fn} changed its argument ${names[a]}: ${change.path} was ${fmt(change.before)} before the call and ${fmt(change.after)} after it`, diagnosis);
    }
  }
}

/**
 * A function that does nothing keeps every property these tests ask for: `grads => grads` never
 * mutates and never scales up, `layers => layers` never mutates; and so does one that only nudges its
 * input by an ulp. So a property's points go only to a function that does the math somewhere in the
 * test: one answer right, or wrong by a known mistake (doesTheMath).
 */
function expectDoesTheMath(ok: boolean, fn: string, what: string): void {
  if (!ok) fail(`${fn} ${what} is neither the contract’s answer nor a known mistake’s: a function that does nothing keeps this property too, so its points go to a ${fn} that does the math`);
}
/**
 * Some W or b of the result is W − lr·dW (or b − lr·db) for a gradient that is not 0 there: a step
 * with one wrong tensor (lr forgotten on b) still does the math; an ulp-nudged copy does not.
 */
function stepsOneTensor(got: unknown, layers: Dense[], grads: LayerGrads[], lr: number): boolean {
  const want = sgd(layers, grads, lr);
  const result = got as Partial<Dense>[] | null;
  return want.some((w, i) => (['W', 'b'] as const).some((k) => {
    const moved = k === 'W' ? grads[i].dW.flat().some((v) => v !== 0) : grads[i].db.some((v) => v !== 0);
    return lr !== 0 && moved && maxRelError(result?.[i]?.[k], w[k]) <= 1e-6;
  }));
}

/**
 * Built here: two one-layer gradients above their maxNorm. The first's dW alone has norm 5 for
 * maxNorm 1 (clipping by the global norm, per layer, per tensor or of dW only all give
 * [[0.6, 0.8]]); the second has a db too (L2 norm 7, L1 11, L∞ 6, per-tensor norms adding to
 * ≈ 9.32) for maxNorm 2. Two of them, and no norm printed: an attacker's "× maxNorm / 5 when an
 * entry exceeds maxNorm", 5 read off the message, computed no norm and passed on the first alone.
 */
const LONG: Array<{ grads: LayerGrads[]; maxNorm: number; shown: string }> = [
  { grads: [{ dW: [[3, 4]], db: [0, 0] }], maxNorm: 1, shown: 'dW [[3, 4]], db [0, 0] with maxNorm 1' },
  { grads: [{ dW: [[2, 6]], db: [3, 0] }], maxNorm: 2, shown: 'dW [[2, 6]], db [3, 0] with maxNorm 2' },
];
/** Norms a clip may scale by and still be a clip: L2, L1, L∞, the sum of each tensor's L2 norm and the sum of squares (the catalogued ones are the suite's too). */
function someNorms(grads: LayerGrads[]): number[] {
  const tensors = grads.flatMap((g) => [g.dW.flat(), g.db]);
  const all = tensors.flat();
  const l2 = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return [l2(all), all.reduce((a, x) => a + Math.abs(x), 0), Math.max(...all.map(Math.abs)), tensors.reduce((a, t) => a + l2(t), 0), l2(all) ** 2];
}
/**
 * Whether `got` is a clip of `grads` to maxNorm: the contract's, a catalogued mistake's (one the
 * student's own catalogued wrong norm gives included), the gradient scaled by one factor to maxNorm
 * over some norm of it (someNorms, a +ε in the denominator allowed), or the gradient unchanged where
 * some such norm is within maxNorm. An ulp-nudged copy keeps its norm, and "× 1e-6 when an entry
 * exceeds maxNorm" or a fixed shrink computes no norm at all.
 */
function isAClip(got: unknown, grads: LayerGrads[], maxNorm: number): boolean {
  const byOwnNorm = normMistakes(grads).map((m) => mistake(m, clip(grads, maxNorm, 'correct', NORM_VARIANT[m.id])));
  if (doesTheMath(got, clip(grads, maxNorm), [...clipMistakes(grads, maxNorm), ...byOwnNorm])) return true;
  if (!Array.isArray(got) || got.length !== grads.length) return false;
  const flat = (g: LayerGrads[]): unknown[] => g.flatMap((t) => [...(Array.isArray(t?.dW) ? t.dW.flat() : [null]), ...(Array.isArray(t?.db) ? t.db : [null])]);
  const f = factorOf(flat(got as LayerGrads[]), flat(grads) as number[]);
  if (f === null || !(f.off <= 1e-9 * vectorNorm(flat(got as LayerGrads[]) as number[]))) return false;
  const norms = someNorms(grads);
  return norms.some((n) => Math.abs((f.c * n) / maxNorm - 1) <= 1e-3) || (Math.abs(f.c - 1) <= 1e-12 && norms.some((n) => n <= maxNorm * (1 + 1e-3)));
}
async function expectClipsLong(ctx: TestContext): Promise<void> {
  for (const { grads, maxNorm, shown } of LONG) {
    const got = await ctx.call('clipGradNorm', grads, maxNorm);
    expectDoesTheMath(isAClip(got, grads, maxNorm), 'clipGradNorm', `of ${shown}`);
  }
}

/** The student's history of a phenomenon run: one entry per step, numbers (a run that explodes may hold Infinity or NaN). */
function asHistory(got: unknown, steps: number, what: string): TrainHistoryEntry[] {
  const h = (got as { history?: unknown } | null)?.history;
  if (!Array.isArray(h) || h.length !== steps) fail(`${what}: history should hold one entry per step (${steps}), got ${Array.isArray(h) ? `${h.length} entries` : fmt(h)}`);
  h.forEach((e: unknown, t) => {
    for (const k of ['loss', 'gradNorm', 'firstLayerGradNorm'] as const) {
      if (typeof (e as Record<string, unknown> | null)?.[k] !== 'number') fail(`${what}: history[${t}].${k} should be a number, got ${fmt((e as Record<string, unknown> | null)?.[k])}`);
    }
  });
  return h as TrainHistoryEntry[];
}

type Run = TrainingRunFixture['runs'][number];
const runCall = (r: Run): string =>
  `trainMlp on the ${r.recipe.sizes.length - 1}-layer ${r.label} network (sizes ${r.recipe.sizes.join(', ')}, ${r.recipe.batch} examples, lr ${fmt(r.opts.lr)}, ${r.opts.steps} steps${r.opts.clipNorm === null ? '' : `, clipNorm ${fmt(r.opts.clipNorm)}`})`;

/** The student's trainMlp on a phenomenon run, summarised as the fixture summarises the reference's. */
async function studentRun(ctx: TestContext, r: Run): Promise<{ stats: ReturnType<typeof trainingRunStats>; history: TrainHistoryEntry[]; diagnosis?: Diagnosis }> {
  const t = rebuildTrainingTask(r.recipe);
  const got = await ctx.call('trainMlp', t.x, t.y, t.layers, r.recipe.act, optsOf(r.opts));
  const history = asHistory(got, r.opts.steps, runCall(r));
  // a known mistake shows in the first two steps already: compare them with the trusted variants'
  const inputs: TrainMlpInputs = { x: t.x, y: t.y, layers: t.layers, act: r.recipe.act, lr: r.opts.lr, steps: 2, clipNorm: r.opts.clipNorm };
  const wrong = trainMistakes(inputs).map((m) => ({ ...m, value: (m.value as { history: unknown }).history }));
  const correct = train(inputs).history;
  const diagnosis = findMistake(history.slice(0, 2), correct, wrong, MISTAKE_REL);
  // a made-up history (a loss that stalls or blows up on cue) shows any phenomenon: the run counts
  // only if its first entry, taken before any update, holds two of the network's three numbers (so
  // a gradient norm: the backward pass, not the loss alone, which an attacker's scripted history
  // took from one mlpForward) or is a known mistake's; one wrong field (the first layer's norm
  // with its db, the loss taken after the update) or a wrong update costs the value tests only
  const first = (h: unknown): unknown => (h as unknown[]).slice(0, 1);
  const right = (['loss', 'gradNorm', 'firstLayerGradNorm'] as const).filter((k) => maxRelError(history[0][k], correct[0][k]) <= MISTAKE_REL);
  if (right.length < 2 && !doesTheMath(first(history), first(correct), wrong.map((m) => ({ ...m, value: first(m.value) })))) {
    fail(`${runCall(r)}: history[0] holds ${right.length === 0 ? 'none' : `only the ${right[0]}`} of the network’s loss, gradient norm and first-layer norm before the first update (the run counts with two of them, or a known mistake’s), so this run cannot show the phenomenon; trainMlp.oneStep says how it differs`);
  }
  const norms = await expectTrainedLosses(ctx, r, { ...inputs, steps: r.opts.steps }, history, diagnosis);
  // the statistics read the losses (now known to be the run's) and the gradient norms of the run
  // they follow: a history's own norms are not checked beyond two of step 0's three numbers, and
  // attackers' scripted 1e7-fold norms on a frozen network, or an infinite norm at step 0, showed
  // an explosion that never happened. Only the first layer's share is the history's own (step 0,
  // gated above), as the README's limits read it
  const stats = trainingRunStats(history.map((h, k) => ({ ...h, gradNorm: norms[k] })), t.constantLoss);
  return { stats: { ...stats, firstLayerShare: history[0].firstLayerGradNorm / history[0].gradNorm }, history, diagnosis };
}

// ---------------------------------------------------------------------------------------------
// A run's losses are those of a network trained as trainMlp trains.

/** A run's path: its losses and its gradients' global norms (the contract's), one per step and one after the last update. */
interface Path { losses: number[]; norms: number[] }

/** The path of a trusted run of `i`. */
function pathOf(i: TrainMlpInputs, run: { layers: Dense[]; history: TrainHistoryEntry[]; norms: number[] }): Path {
  const end = lossAndGrads(i.x, i.y, run.layers, i.act);
  return { losses: [...run.history.map((h) => h.loss), end.loss], norms: [...run.norms, norm(end.grads)] };
}

/**
 * The factor c that makes c·a nearest `b` (0 where a is all zeros) and the distance left,
 * ‖b − c·a‖; null when `b` is not numbers of a's length.
 */
function factorOf(b: unknown[], a: number[]): { c: number; off: number } | null {
  if (b.length !== a.length || !b.every((v) => typeof v === 'number')) return null;
  const bb = b as number[];
  const aa = a.reduce((s, v) => s + v * v, 0);
  const c = aa > 0 ? a.reduce((s, v, k) => s + v * bb[k], 0) / aa : 0;
  return { c, off: Math.sqrt(bb.reduce((s, v, k) => s + (v - c * a[k]) ** 2, 0)) };
}

/**
 * The student's sgdStep from `layers` by `step`: every W and b moved along its own gradient by a
 * factor of its own (the learning rate, a wrong one, its opposite, or 0 for a bias left alone), so
 * the replay below is gradient descent whatever the rates, never layers made up to hit a loss.
 */
function stepsAlong(layers: Dense[], got: unknown, step: LayerGrads[]): boolean {
  if (!Array.isArray(got) || got.length !== layers.length) return false;
  return layers.every((l, i) => {
    const o = got[i] as { W?: unknown; b?: unknown } | null;
    if (!Array.isArray(o?.W) || !Array.isArray(o?.b) || o.W.length !== l.W.length || !o.W.every((r, a) => Array.isArray(r) && r.length === l.W[a].length)) return false;
    // the move w − w′ a multiple of the step within rounding: w − lr·dw is within an ulp of w's
    // size (1e-16 of it) of the exact move, however small the move is
    const fits = (after: unknown[], before: number[], g: number[]): boolean => {
      if (after.length !== before.length || !after.every((v) => typeof v === 'number')) return false;
      const d = (after as number[]).map((v, k) => before[k] - v);
      const f = factorOf(d, g);
      return f !== null && Number.isFinite(f.off) && f.off <= 1e-12 * vectorNorm(before) + 1e-9 * vectorNorm(d);
    };
    return fits((o.W as unknown[][]).flat(), l.W.flat(), step[i].dW.flat()) && fits(o.b, l.b, step[i].db);
  });
}

/**
 * The losses of `i` trained with the student's own clipGradNorm and sgdStep on the trusted
 * gradients: what trainMlp's loop gives with the student's own parts, whatever their mistakes.
 * Null when a part throws, or returns what is not a clip (each tensor scaled, or capped entry by
 * entry) or not a gradient step (stepsAlong): such parts could return layers made up to give any loss.
 */
async function ownPartsPath(ctx: TestContext, i: TrainMlpInputs): Promise<Path | null> {
  let layers = i.layers;
  const losses: number[] = [];
  const norms: number[] = [];
  try {
    for (let t = 0; t <= i.steps; t++) {
      const g = lossAndGrads(i.x, i.y, layers, i.act);
      losses.push(g.loss);
      norms.push(norm(g.grads));
      if (t === i.steps || lossBlownUp(g.loss)) break;
      const step = i.clipNorm === null ? g.grads : await ctx.call<LayerGrads[]>('clipGradNorm', g.grads, i.clipNorm);
      if (i.clipNorm !== null && !isAClip(step, g.grads, i.clipNorm)) return null;
      const next = await ctx.call<Dense[]>('sgdStep', layers, step, i.lr);
      if (!stepsAlong(layers, next, step)) return null;
      layers = next;
    }
  } catch (err) {
    // the student's part threw, or returned what the trusted forward cannot read; a limit reached stays the verdict
    if ((err instanceof SandboxError && ['error', 'not-implemented', 'missing'].includes(err.kind)) || err instanceof TypeError || err instanceof RangeError) return null;
    throw err;
  }
  return { losses, norms };
}

/**
 * The learning rates at which one step of gradient descent (clipped as the contract clips) from the
 * run's first network gives the loss `target`: every sign change of the loss's distance to it on a
 * grid of lr × 2^k (k = −12…12), refined by bisection.
 */
function ratesGiving(i: TrainMlpInputs, target: number): number[] {
  if (lossBlownUp(target)) return [];
  const g = lossAndGrads(i.x, i.y, i.layers, i.act).grads;
  const step = i.clipNorm === null ? g : clip(g, i.clipNorm);
  const gap = (lr: number): number => lossAndGrads(i.x, i.y, sgd(i.layers, step, lr), i.act).loss - target;
  const rates: number[] = [];
  let lo = i.lr * 2 ** -12;
  let gapLo = gap(lo);
  for (let k = -11; k <= 12; k++) {
    const hi = i.lr * 2 ** k;
    const gapHi = gap(hi);
    if (gapLo === 0) rates.push(lo);
    else if (gapLo * gapHi < 0) {
      let [a, b, ga] = [lo, hi, gapLo];
      for (let n = 0; n < 60 && a < b; n++) {
        const m = (a + b) / 2;
        const gm = gap(m);
        if (gm === 0 || m === a || m === b) { a = b = m; break; }
        if (ga * gm < 0) b = m; else { a = m; ga = gm; }
      }
      rates.push((a + b) / 2);
    }
    [lo, gapLo] = [hi, gapHi];
  }
  return rates;
}

/**
 * A scripted history shows any phenomenon, and one whose first entry was computed right still
 * passes the gate above. So the losses of a phenomenon run must be those of gradient descent on
 * this network: the trusted run's, a known mistake's (a wrong update, a wrong clip, the clip
 * forgotten, a catalogued wrong norm clipped by), or those of the contract's loop built from the
 * student's own clipGradNorm and sgdStep (so a mistake in those parts, caught or not by the
 * catalogue, costs their own tests and not this one). Losses only: a history recorded after the
 * update or with a wrong norm keeps the same losses (one step along) and is charged by the value
 * tests; a loop stepping at its own learning rate is the trusted run at that rate. Only an
 * uncatalogued mistake of trainMlp's own loop, outside its parts and its rate, fails here too.
 */
async function expectTrainedLosses(ctx: TestContext, r: Run, i: TrainMlpInputs, history: TrainHistoryEntry[], diagnosis?: Diagnosis): Promise<number[]> {
  const got = history.map((h) => h.loss);
  // the path's norms, taken along as the history is (one step along for a history after each update)
  const along = (p: Path | null): number[] | null => {
    if (p === null) return null;
    const shift = lossShift(got, p.losses);
    return shift === null ? null : p.norms.slice(shift, shift + got.length);
  };
  const trusted = along(pathOf(i, trainRun(i)));
  if (trusted) return trusted;
  const variants: [TrainVariant, NormVariant][] = [['ascent', 'correct'], ['biasFrozen', 'correct']];
  if (i.clipNorm !== null) {
    variants.push(['perLayer', 'correct'], ['perTensor', 'correct'], ['byValue', 'correct'], ['scalesUp', 'correct'], ['clipIgnored', 'correct'],
      ['correct', 'noBias'], ['correct', 'sumOfNorms'], ['correct', 'noSqrt']);
  }
  for (const [v, nv] of variants) {
    const norms = along(pathOf(i, trainRun(i, v, nv)));
    if (norms) return norms;
  }
  const own = await ownPartsPath(ctx, i);
  const byOwn = along(own);
  if (byOwn) return byOwn;
  // the loop's own learning rate (lr / N, say, where mseLoss's gradient is already a mean): the
  // run at any rate one first step points to
  for (const lr of got.length > 1 ? ratesGiving(i, got[1]) : []) {
    const norms = along(pathOf({ ...i, lr }, trainAnew({ ...i, lr }, 'correct', 'correct')));
    if (norms) return norms;
  }
  const k = own === null ? -1 : got.findIndex((v, t) => !(lossGap([v], own.losses.slice(t, t + 1)) <= LOSS_REL));
  const which = k < 0 ? 'its losses are not those of the network it trains' : `history[${k}].loss = ${fmt(got[k])} is not the loss of the network it trains as it is at step ${k}`;
  fail(`${runCall(r)}: ${which}: the grader trained the same network with the contract's loop (mlpForward, mseLoss and mlpBackward, then ${i.clipNorm === null ? '' : 'your clipGradNorm and '}your sgdStep), with the known mistakes and at the learning rate your first step took, and none gives these losses: each history entry must be measured on the network as it is at that step`, diagnosis);
}

const SAYS: Record<string, string> = {
  lastOverConstant: 'its last loss ÷ the loss of predicting the mean target',
  lastOverFirst: 'its last loss ÷ its first loss',
  firstLayerShare: '‖dW₁‖ ÷ the global gradient norm at step 0',
  growth: 'the largest loss or gradient norm ÷ its value at step 0 (unbounded once one is not finite)',
};

function expectLimits(r: Run, stats: ReturnType<typeof trainingRunStats>, story: string, diagnosis?: Diagnosis): void {
  for (const [key, lim] of Object.entries(r.limits)) {
    const v = runStatistic(stats, key);
    if (!(v >= lim.lo && v <= lim.hi)) {
      const shown = v === Number.MAX_VALUE ? 'unbounded (a loss or norm is not finite)' : fmt(v);
      const range = lim.hi === Number.MAX_VALUE ? `at least ${fmt(lim.lo)}` : `between ${fmt(lim.lo)} and ${fmt(lim.hi)}`;
      fail(`${runCall(r)}: ${SAYS[key] ?? key} is ${shown}, expected ${range}: ${story}`, diagnosis);
    }
  }
}

/** The test's context, speaking of fixture `f` as check.ts's speaking() allows (a hidden fixture's values are never printed). */
function about<C extends { hidden: boolean }>(ctx: C, f: { visibility: 'public' | 'hidden' }): C {
  return Object.create(ctx, { hidden: { value: speaking(ctx, f).hidden } }) as C;
}

export default defineSuite(SLUG, (test) => {
  test('training.globalGradNorm.values', async (ctx) => {
    for (const name of ['clip-grad-norm', 'clip-grad-norm-public']) {
      const f = fixture(name, 'clip-grad-norm');
      const got = await ctx.callMany('globalGradNorm', f.cases.map((c) => [c.inputs.grads]));
      f.cases.forEach((c, k) => {
        const call = `globalGradNorm(grads ${shapes(c.inputs.grads)}) (${caseName(f, k, f.cases.length, c.label)})`;
        const g = expectNumber(got[k], call);
        withContext(call, () => expectRel(about(ctx, f), g, c.expected.norm, rel(f), 'result'),
          findMistake(g, c.expected.norm, normMistakes(c.inputs.grads), MISTAKE_REL));
      });
    }
    // and the norm the clip and trainMlp tests accept an answer by (ownNorm): right there too
    const answer = await probeAnswer(ctx);
    const call = `globalGradNorm(grads ${shapes(PROBE)}) (three layers whose gradients differ by orders of magnitude)`;
    if ('error' in answer) fail(`${call}: ${answer.error.message}`);
    const g = expectNumber(answer.got, call);
    withContext(call, () => expectRel(ctx, g, norm(PROBE), rel(fixture('clip-grad-norm', 'clip-grad-norm')), 'result'),
      findMistake(g, norm(PROBE), normMistakes(PROBE), MISTAKE_REL));
  });

  test('training.clipGradNorm.values', async (ctx) => {
    for (const name of ['clip-grad-norm', 'clip-grad-norm-public']) {
      const f = fixture(name, 'clip-grad-norm');
      for (const [k, c] of f.cases.entries()) await checkClip(about(ctx, f), c.inputs.grads, c.inputs.maxNorm, c.expected.clipped, rel(f), caseName(f, k, f.cases.length, c.label));
    }
  });

  test('training.clipGradNorm.oneGlobalFactor', async (ctx) => {
    // what norm clipping means: the whole gradient times one factor, so the step keeps its direction.
    // Layers whose own norms are 1e-3, 1 and 100 apart, entries above and below maxNorm: clipping
    // each layer, each tensor or each entry on its own changes their ratios
    const maxNorm = 5;
    const { got, nv } = await checkClip(ctx, PROBE, maxNorm, clip(PROBE, maxNorm), 1e-9, 'layer norms about 1e-3, 1 and 100, global norm above maxNorm');
    const factor = maxNorm / norm(PROBE, nv);
    PROBE.forEach((g, i) => {
      const k = got[i].dW[0][0] / g.dW[0][0];
      if (!(Math.abs(k - factor) <= 1e-9 * factor)) fail(`clipGradNorm scaled layer ${i} by ${fmt(k)}, the others by ${fmt(factor)}: every layer must be scaled by the same factor maxNorm / globalGradNorm`, M.clipPerLayer);
    });
    // a gradient whose every entry is below maxNorm 1e-3 in size is not: its norm is above it
    const small: LayerGrads[] = [{ dW: [[8e-4, -9e-4], [6e-4, 0]], db: [4e-4, 8e-5] }, { dW: [[-9e-4], [4e-4]], db: [2e-4] }];
    await checkClip(ctx, small, 1e-3, clip(small, 1e-3), 1e-9, `every entry below maxNorm 1e-3, global norm ${fmt(norm(small))} above it: clipped`);
  });

  test('training.clipGradNorm.neverScalesUp', async (ctx) => {
    const short: LayerGrads[] = [{ dW: [[0.1, -0.2], [0.05, 0]], db: [0.1, 0.02] }, { dW: [[-0.3], [0.1]], db: [0.05] }];
    await checkClip(ctx, short, 1, short, 1e-12, `global norm ${fmt(norm(short))} below maxNorm 1: the same values`);
    const zero: LayerGrads[] = [{ dW: [[0, 0]], db: [0, 0] }];
    await checkClip(ctx, zero, 2, zero, 1e-12, 'all-zero gradients: norm 0, nothing to scale (not 0 · ∞)');
    // maxNorm = Infinity is a positive number: no norm exceeds it, not even an infinite one, so the
    // values come back as they were (not ∞/∞ = NaN). Built here: JSON fixtures cannot hold Infinity
    const overflowing: LayerGrads[] = [{ dW: [[3e200, -1e200], [0, 2e200]], db: [1e200, 0] }];
    await checkClip(ctx, overflowing, Infinity, overflowing, 1e-12, 'entries whose squares overflow (the sum of squares is Infinity), maxNorm Infinity: the same values');
    const exploded: LayerGrads[] = [{ dW: [[Infinity, -2], [0.5, 1]], db: [0, -Infinity] }, { dW: [[3]], db: [1] }];
    await checkClip(ctx, exploded, Infinity, exploded, 1e-12, 'an exploded gradient (entries ±Infinity, global norm Infinity), maxNorm Infinity: the same values');
    await expectClipsLong(ctx);
  });

  test('training.clipGradNorm.noMutation', async (ctx) => {
    const f = fixture('clip-grad-norm-public', 'clip-grad-norm');
    for (const c of f.cases) await ctx.call('clipGradNorm', c.inputs.grads, c.inputs.maxNorm);
    expectNoMutation(ctx, 'clipGradNorm', ['grads', 'maxNorm'],
      { id: 'clip-mutates-input', hint: 'Build new dW and db arrays: the gradients belong to the caller, who may still need them as they were (to log their norm, for instance).' });
    await expectClipsLong(ctx);
  });

  test('training.sgdStep.values', async (ctx) => {
    for (const name of ['sgd-step', 'sgd-step-public']) {
      const f = fixture(name, 'sgd-step');
      for (const c of f.cases) {
        const { layers, grads, lr } = c.inputs;
        const got = await ctx.call('sgdStep', layers, grads, lr);
        withContext(`sgdStep(layers ${shapes(grads)}, grads, ${fmt(lr)}) (${c.label})`, () => expectRel(about(ctx, f), got, c.expected.layers, rel(f), 'result'),
          findMistake(got, c.expected.layers, sgdMistakes(layers, grads, lr), MISTAKE_REL));
      }
    }
  });

  test('training.sgdStep.noMutation', async (ctx) => {
    let math = false;
    for (const c of fixture('sgd-step-public', 'sgd-step').cases) {
      const { layers, grads, lr } = c.inputs;
      const got = await ctx.call('sgdStep', layers, grads, lr);
      math ||= doesTheMath(got, sgd(layers, grads, lr), sgdMistakes(layers, grads, lr)) || stepsOneTensor(got, layers, grads, lr);
    }
    expectNoMutation(ctx, 'sgdStep', ['layers', 'grads', 'lr'],
      { id: 'sgd-mutates-input', hint: 'Return NEW layers: W − lr·dW computed into new arrays, so the caller’s network is still the one before the step.' });
    expectDoesTheMath(math, 'sgdStep', 'on the public fixture’s layers and gradients');
  });

  test('training.trainMlp.oneStep', async (ctx) => {
    for (const name of ['train-mlp', 'train-mlp-public']) {
      const f = fixture(name, 'train-mlp');
      for (const [k, c] of f.cases.entries()) if (c.inputs.steps === 1) await checkTrain(about(ctx, f), { ...c, label: caseName(f, k, f.cases.length, c.label) }, rel(f));
    }
  });

  test('training.trainMlp.fewSteps', async (ctx) => {
    const { cases, tol } = trainCases((i) => i.steps > 1 && i.clipNorm === null);
    for (const c of cases) await checkTrain(ctx, c, tol);
    // no step: no history, and the layers as given
    const i = cases[0].inputs;
    await checkTrain(ctx, { label: 'no step', inputs: { ...i, steps: 0 }, expected: { layers: i.layers, history: [] } }, tol);
  });

  test('training.trainMlp.clipped', async (ctx) => {
    const { cases, tol } = trainCases((i) => i.clipNorm !== null);
    for (const c of cases) await checkTrain(ctx, c, tol);
    const pub = fixture('train-mlp-public', 'train-mlp');
    for (const c of pub.cases.filter((k) => k.inputs.clipNorm !== null)) await checkTrain(ctx, c, rel(pub));
  });

  test('training.trainMlp.vanishing', async (ctx) => {
    const [sigmoid, relu] = fixture('vanishing', 'training-run').runs;
    const s = await studentRun(ctx, sigmoid);
    expectLimits(sigmoid, s.stats, 'the deep sigmoid network with Xavier weights should learn nothing about x (its first layer hears almost nothing of the gradient), only the mean target', s.diagnosis);
    const r = await studentRun(ctx, relu);
    expectLimits(relu, r.stats, 'the same depth with ReLU and He weights should learn x', r.diagnosis);
  });

  test('training.trainMlp.exploding', async (ctx) => {
    const [wild, clipped] = fixture('exploding', 'training-run').runs;
    const w = await studentRun(ctx, wild);
    expectLimits(wild, w.stats, 'with weights 1.5× too large and no clipping the loss and gradient norm should blow up', w.diagnosis);
    const c = await studentRun(ctx, clipped);
    const recorded = c.history[0].gradNorm <= (clipped.opts.clipNorm ?? Infinity) * (1 + 1e-9) ? M.historyAfterClip : undefined;
    expectLimits(clipped, c.stats, 'clipping the global norm should keep every step short and let the same network learn', c.diagnosis ?? recorded);
    if (recorded) fail(`${runCall(clipped)}: history[0].gradNorm = ${fmt(c.history[0].gradNorm)} is not above clipNorm, but the gradient of these too-large weights is far longer: record the norm before clipping`, M.historyAfterClip);
  });
});
