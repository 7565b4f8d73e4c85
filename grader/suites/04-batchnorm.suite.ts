/**
 * Hidden suite of 04-batchnorm: batchnormForward/Backward against the fixtures (CS231n relative
 * error ≤ 1e-7) in train and eval mode over chained steps, the running statistics fed back from
 * the student's own returned state, no mutation of the inputs, the backward pass against central
 * finite differences of the student's own forward pass, and the phenomenon: a saturated sigmoid
 * layer re-centred and the first-layer gradient of a deep sigmoid network restored.
 *
 * Known mistakes are recognised by recomputing them here, in the trusted process, with a small
 * reference written on exercises/lib (never solutions/): a wrong answer that matches one of them
 * fails with its diagnosis.
 */
import { loadFixture, rebuildMlp, type BatchnormFixture, type BatchNormParams, type BatchNormState } from '../../fixtures/load.js';
import { batchnormNetGradNorms, type BatchnormNetImpl } from '../../fixtures/nets.js';
import { createRng, randnMatrix } from '../../exercises/lib/rng.js';
import { addRowVector, colSums, frobeniusNorm, map, matmul, mul, sub, transpose } from '../../exercises/lib/tensor.js';
import type { ActivationName, Dense, Matrix, Vector } from '../../exercises/lib/types.js';
import type { Diagnosis } from '../results.js';
import { closestFunction, CONTRACT, doesTheMath, expectMatrix, expectMatrixRel, expectRel, expectVector, fail, findMistake, firstChange, fmt, orderOf, type KnownMistake, maxRelError, mistake, speaking, withContext } from './check.js';
import { dot, expectBackpropCost, expectForwardOfTheExercise, expectMatchesNumeric, finiteDifferences, forwardsSeen, noteForward, WIDE, type WideAnswer, wideAnswer, wideMatrix } from './gradcheck.js';
import { defineSuite, GradeFailure, type TestContext } from './harness.js';
import { sigmoid } from './activations.js';

const SLUG = '04-batchnorm';
const FD_REL = 1e-6; // finite differences, float64, h = 1e-5
const MISTAKE_REL = 1e-6; // a wrong answer "matches" a known mistake within this
const DEFAULTS = { eps: 1e-5, momentum: 0.1 };

type Mode = 'train' | 'eval';
interface Opts { eps: number; momentum: number }

// ---------------------------------------------------------------------------------------------
// Fixtures, read once per worker.

const SEQUENCES = ['batchnorm', 'batchnorm-options'];
/** N = 2, the smallest batch train mode is defined for: graded by the forward tests (its dx is of order ε). */
const TWO_ROWS = 'batchnorm-two-rows';

const cached = new Map<string, BatchnormFixture>();
function fixtures(names: string[]): { name: string; f: BatchnormFixture }[] {
  return names.map((name) => {
    if (!cached.has(name)) cached.set(name, loadFixture(SLUG, name, 'batchnorm'));
    return { name, f: cached.get(name)! };
  });
}

/** A fixture's CS231n tolerance; any other kind of tolerance is a grader bug, said loudly. */
function relTolerance(f: { tolerance: { type: string; max?: number } }, name: string): number {
  if (f.tolerance.type !== 'relError' || typeof f.tolerance.max !== 'number') throw new Error(`fixtures/${SLUG}/${name}.json: the suite expects a relError tolerance, got ${JSON.stringify(f.tolerance)}`);
  return f.tolerance.max;
}

interface Step {
  fixture: string;
  label: string;
  /** 0-based index of the step in its case. */
  k: number;
  total: number;
  mode: Mode;
  x: Matrix;
  dout: Matrix;
  params: BatchNormParams;
  /** The state this step starts from: the previous step's expected state, or the case's (see steps). */
  state: BatchNormState;
  /** Whether this step starts again from the case's state instead of a hidden previous answer. */
  restarted: boolean;
  /** As the fixture gives them ({} = the defaults, then the call omits opts). */
  rawOpts: { eps?: number; momentum?: number };
  opts: Opts;
  /** The fixture's tolerance: CS231n relative error (1e-7). */
  tol: number;
  /** What this step must give from `state`: the fixture's, or the trusted reference's where restarted. */
  expected: BatchnormFixture['cases'][number]['expected']['steps'][number];
  /** The fixture's expected step: what it must give from the previous step's expected state. */
  chain: BatchnormFixture['cases'][number]['expected']['steps'][number];
}

/**
 * Every step of the fixtures' cases, each with the state it starts from and what it must give. A
 * case's steps run on from one another: the fixture's expected state after step k − 1 is where step
 * k starts. In a hidden fixture that state is an answer batchnorm.forward.runningStats grades, and
 * code handed it can carry it back (in a later call's error, a return value or its cache: attacker
 * 10), so a hidden step starts from a previous answer only where that answer is a state the student
 * was given anyway (an eval step returns its state unchanged). Otherwise it starts again from the
 * case's input state (`restarted`), and what it must give is computed here by the trusted reference
 * from that state.
 */
const stepsMemo = new Map<string, Step[]>();
function steps(names = SEQUENCES): Step[] {
  const key = names.join('\u0000');
  const kept = stepsMemo.get(key);
  if (kept) return kept;
  const out: Step[] = [];
  for (const { name, f } of fixtures(names)) {
    const tol = relTolerance(f, name);
    const hidden = !name.endsWith('-public');
    for (const c of f.cases) {
      const { params, opts: rawOpts } = c.inputs;
      const opts = { eps: rawOpts.eps ?? DEFAULTS.eps, momentum: rawOpts.momentum ?? DEFAULTS.momentum };
      c.inputs.steps.forEach((s, k) => {
        const chained = k === 0 ? c.inputs.state : c.expected.steps[k - 1].state;
        const restarted = hidden && k > 0 && !sameState(chained, c.inputs.state);
        const state = restarted ? c.inputs.state : chained;
        out.push({
          fixture: name, label: c.label, k, total: c.inputs.steps.length, mode: s.mode, x: s.x, dout: s.dout, params,
          state, restarted, rawOpts, opts, tol,
          expected: restarted ? referenceStep(s.x, params, state, s.mode, opts, s.dout) : c.expected.steps[k],
          chain: c.expected.steps[k],
        });
      });
    }
  }
  stepsMemo.set(key, out);
  return out;
}

const sameState = (a: BatchNormState, b: BatchNormState): boolean =>
  a.runningMean.length === b.runningMean.length && a.runningMean.every((v, j) => Object.is(v, b.runningMean[j])) &&
  a.runningVar.length === b.runningVar.length && a.runningVar.every((v, j) => Object.is(v, b.runningVar[j]));

/** What one step must give from `state`, by the trusted reference: its out and state, and the gradients of `dout`. */
function referenceStep(x: Matrix, p: BatchNormParams, state: BatchNormState, mode: Mode, o: Opts, dout: Matrix): Step['expected'] {
  const fwd = refForward(x, p, state, mode, o);
  const g = refBackward(dout, fwd);
  return { out: fwd.out, state: fwd.state, dx: g.dx, dgamma: g.dgamma, dbeta: g.dbeta };
}

/** The arguments of batchnormForward for a step: opts only when the fixture sets some. */
function forwardArgs(s: { x: Matrix; params: BatchNormParams; rawOpts: object }, state: BatchNormState, mode: Mode): unknown[] {
  return Object.keys(s.rawOpts).length ? [s.x, s.params, state, mode, s.rawOpts] : [s.x, s.params, state, mode];
}

/** Maximal runs of consecutive train steps within a case. */
function trainRuns(names = SEQUENCES): Step[][] {
  const runs: Step[][] = [];
  let prev: Step | null = null;
  for (const s of steps(names)) {
    if (s.mode !== 'train') { prev = null; continue; }
    if (prev && prev.fixture === s.fixture && prev.label === s.label && prev.k === s.k - 1) runs[runs.length - 1].push(s);
    else runs.push([s]);
    prev = s;
  }
  return runs;
}

/** How a step's comparison may speak: every sequence here is a hidden fixture, so never with its values (see speaking). */
const shownFor = (ctx: TestContext, s: Step) => speaking(ctx, { visibility: s.fixture.endsWith('-public') ? 'public' : 'hidden' });

/** `given`: say where the step's state came from when it was not the previous step's expected one (false where the caller feeds its own). */
const where = (s: Step, given = true): string => `${s.mode} step ${s.k + 1} of ${s.total} (${s.fixture}.json, ${s.label}${Object.keys(s.rawOpts).length ? `, opts ${fmt(s.rawOpts)}` : ''}${given && s.restarted ? `, given the state step 1 was given, not the one step ${s.k} should return: that is a hidden answer` : ''})`;

// ---------------------------------------------------------------------------------------------
// The trusted reference, and the known mistakes as variants of it.

interface FwdVariant {
  /** What the batch is normalized with (train). */
  normVar?: 'biased' | 'unbiased';
  /** What the running variance is fed (train). */
  runVar?: 'unbiased' | 'biased';
  /** running = momentum·running + (1 − momentum)·batch, in both running statistics or in one. */
  momentumFlipped?: 'both' | 'mean' | 'var';
  eps?: 'inside' | 'outside' | 'none';
  /** Eval mode normalizing with the batch statistics anyway. */
  evalUsesBatch?: boolean;
  /** Eval mode updating the state as train does. */
  evalUpdates?: boolean;
  /** Train mode returning the state unchanged. */
  noUpdate?: boolean;
}

interface RefForward { out: Matrix; state: BatchNormState; x: Matrix; xhat: Matrix; invStd: Vector; gamma: Vector; mode: Mode }

function refForward(x: Matrix, p: BatchNormParams, state: BatchNormState, mode: Mode, o: Opts, v: FwdVariant = {}): RefForward {
  const n = x.length;
  const mean = colSums(x).map((s) => s / n);
  const sq = colSums(map(x, (xv, _i, j) => (xv - mean[j]) ** 2));
  const biased = sq.map((s) => s / n);
  const unbiased = sq.map((s) => s / (n - 1));
  const flip = (which: 'mean' | 'var') => (v.momentumFlipped === 'both' || v.momentumFlipped === which ? 1 - o.momentum : o.momentum);
  const [mMean, mVar] = [flip('mean'), flip('var')];
  const runVar = v.runVar === 'biased' ? biased : unbiased;
  const updated: BatchNormState = {
    runningMean: state.runningMean.map((r, j) => (1 - mMean) * r + mMean * mean[j]),
    runningVar: state.runningVar.map((r, j) => (1 - mVar) * r + mVar * runVar[j]),
  };
  const given: BatchNormState = { runningMean: state.runningMean.slice(), runningVar: state.runningVar.slice() };
  const useBatch = mode === 'train' || v.evalUsesBatch;
  const mu = useBatch ? mean : state.runningMean;
  const variance = useBatch ? (v.normVar === 'unbiased' ? unbiased : biased) : state.runningVar;
  const invStd = variance.map((vv) => (v.eps === 'outside' ? 1 / (Math.sqrt(vv) + o.eps) : v.eps === 'none' ? 1 / Math.sqrt(vv) : 1 / Math.sqrt(vv + o.eps)));
  const xhat = map(x, (xv, _i, j) => (xv - mu[j]) * invStd[j]);
  const out = map(xhat, (h, _i, j) => p.gamma[j] * h + p.beta[j]);
  const newState = mode === 'train' ? (v.noUpdate ? given : updated) : (v.evalUpdates ? updated : given);
  return { out, state: newState, x, xhat, invStd, gamma: p.gamma, mode };
}

type BwdVariant = 'correct' | 'noGamma' | 'evalFormula' | 'trainFormula' | 'noMeanTerm' | 'noVarTerm' | 'swapParams' | 'dgammaRawX';
interface Grads { dx: Matrix; dgamma: Vector; dbeta: Vector }

/** The gradients for a reference forward; a variant reproduces one known mistake (the formula follows the forward's mode unless the variant forces one). */
function refBackward(dout: Matrix, f: RefForward, v: BwdVariant = 'correct'): Grads {
  const n = dout.length;
  const dbeta = colSums(dout);
  const dgamma = colSums(mul(dout, v === 'dgammaRawX' ? f.x : f.xhat));
  const dxhat = v === 'noGamma' ? dout : map(dout, (g, _i, j) => g * f.gamma[j]);
  const formula = v === 'evalFormula' ? 'eval' : v === 'trainFormula' ? 'train' : f.mode;
  const sum = colSums(dxhat);
  const sumX = colSums(mul(dxhat, f.xhat));
  const dx = formula === 'eval'
    ? map(dxhat, (g, _i, j) => g * f.invStd[j])
    : map(dxhat, (g, i, j) => (f.invStd[j] / n) * (n * g - (v === 'noMeanTerm' ? 0 : sum[j]) - (v === 'noVarTerm' ? 0 : f.xhat[i][j] * sumX[j])));
  return v === 'swapParams' ? { dx, dgamma: dbeta, dbeta: dgamma } : { dx, dgamma, dbeta };
}

const M = {
  unbiasedNorm: { id: 'batchnorm-unbiased-normalization', hint: 'The batch is normalized with its biased variance (divide by N); only the running estimate takes the unbiased one (divide by N − 1).' },
  eps: { id: 'batchnorm-eps-placement', hint: 'ε goes inside the square root, added to the variance: x̂ = (x − μ) / √(var + ε).' },
  ignoresOpts: { id: 'batchnorm-ignores-opts', hint: 'Your result is the one for the default ε = 1e-5 and momentum 0.1, but opts set others: read them from opts, and fall back to a default only for a field that is missing.' },
  momentumFlipped: { id: 'batchnorm-momentum-flipped', hint: 'PyTorch’s momentum is the weight of the NEW batch: momentum = 0.1 keeps 90% of the old running value and takes 10% of the batch.' },
  momentumFlippedInOne: { id: 'batchnorm-momentum-flipped-in-one', hint: 'One of your running statistics weighs the batch by momentum and the other by 1 − momentum: both runningMean and runningVar keep (1 − momentum) of the old value and take momentum of the batch.' },
  runningVarBiased: { id: 'batchnorm-running-var-biased', hint: 'The running variance is fed the unbiased batch variance (divide by N − 1), not the biased one the batch is normalized with.' },
  noUpdate: { id: 'batchnorm-train-state-not-updated', hint: 'Train mode returns the UPDATED running statistics (a new state), not the state it was given.' },
  evalUsesBatch: { id: 'batchnorm-eval-uses-batch-stats', hint: 'In eval mode the batch’s own mean and variance play no part: normalize with the running statistics.' },
  evalUpdates: { id: 'batchnorm-eval-updates-state', hint: 'Eval never updates the statistics: it returns the state it was given.' },
  noGamma: { id: 'batchnorm-dx-missing-gamma', hint: 'out = γ·x̂ + β: the gradient reaching x̂ is dout scaled by γ, column by column, before it goes further back to x.' },
  trainAsEval: { id: 'batchnorm-train-backward-as-eval', hint: 'After train, the mean and variance were computed from x: moving one entry of x moves them too, so dx has two correction terms besides dout·γ/√(var + ε).' },
  noMeanTerm: { id: 'batchnorm-dx-missing-mean-term', hint: 'dx misses the path through the batch mean: every x̂ of a column depends on every x of it through μ.' },
  noVarTerm: { id: 'batchnorm-dx-missing-variance-term', hint: 'dx misses the path through the batch variance: every x̂ of a column depends on every x of it through var.' },
  swapParams: { id: 'batchnorm-dgamma-dbeta-swapped', hint: 'γ multiplies x̂ and β is added: which of the two gradients carries the factor x̂?' },
  dgammaRawX: { id: 'batchnorm-dgamma-raw-x', hint: 'out = γ·x̂ + β: what does γ multiply, and so what does dγ sum dout against?' },
  evalAsTrain: { id: 'batchnorm-eval-backward-train-formula', hint: 'After eval, the running statistics are constants that do not depend on x: the corrections through the batch mean and variance do not apply.' },
} satisfies Record<string, Diagnosis>;

/** Wrong `out`s for a step's inputs. */
function outMistakes(x: Matrix, p: BatchNormParams, state: BatchNormState, mode: Mode, o: Opts): KnownMistake[] {
  const list: KnownMistake[] = [];
  if (mode === 'train') list.push(mistake(M.unbiasedNorm, refForward(x, p, state, mode, o, { normVar: 'unbiased' }).out));
  if (mode === 'eval') list.push(mistake(M.evalUsesBatch, refForward(x, p, state, mode, o, { evalUsesBatch: true }).out));
  list.push(mistake(M.eps, refForward(x, p, state, mode, o, { eps: 'outside' }).out), mistake(M.eps, refForward(x, p, state, mode, o, { eps: 'none' }).out));
  if (o.eps !== DEFAULTS.eps) list.push(mistake(M.ignoresOpts, refForward(x, p, state, mode, DEFAULTS).out));
  return list;
}

/** Wrong returned states of a train step. */
function stateMistakes(x: Matrix, p: BatchNormParams, state: BatchNormState, o: Opts): KnownMistake[] {
  const st = (v: FwdVariant, opts = o) => refForward(x, p, state, 'train', opts, v).state;
  const list = [
    mistake(M.momentumFlipped, st({ momentumFlipped: 'both' })),
    mistake(M.momentumFlipped, st({ momentumFlipped: 'both', runVar: 'biased' })),
    mistake(M.momentumFlippedInOne, st({ momentumFlipped: 'mean' })),
    mistake(M.momentumFlippedInOne, st({ momentumFlipped: 'var' })),
    mistake(M.runningVarBiased, st({ runVar: 'biased' })),
    mistake(M.noUpdate, st({ noUpdate: true })),
  ];
  if (o.momentum !== DEFAULTS.momentum) list.push(mistake(M.ignoresOpts, st({}, DEFAULTS)));
  return list;
}

/** Wrong gradients for a step's inputs. */
function gradMistakes(f: RefForward, dout: Matrix): KnownMistake[] {
  const g = (v: BwdVariant) => refBackward(dout, f, v);
  return f.mode === 'train'
    ? [mistake(M.noGamma, g('noGamma')), mistake(M.trainAsEval, g('evalFormula')), mistake(M.noMeanTerm, g('noMeanTerm')), mistake(M.noVarTerm, g('noVarTerm')), mistake(M.swapParams, g('swapParams')), mistake(M.dgammaRawX, g('dgammaRawX'))]
    : [mistake(M.evalAsTrain, g('trainFormula')), mistake(M.noGamma, g('noGamma')), mistake(M.swapParams, g('swapParams')), mistake(M.dgammaRawX, g('dgammaRawX'))];
}

// ---------------------------------------------------------------------------------------------
// Calling the student.

interface FwdResult { out: unknown; state: unknown; cache: unknown }

/**
 * Train mode's out is centered as batch norm centers it: each column is β (or 0, β forgotten) plus
 * a nonzero multiple of x's column minus its batch mean. Zeros are no such multiple; x, or x
 * nudged, keeps the batch's own means.
 */
function centers(out: unknown, x: Matrix, beta: Vector): boolean {
  if (!Array.isArray(out) || out.length !== x.length || out.length < 2 || !out.every((r) => Array.isArray(r) && r.length === beta.length && r.every((v) => typeof v === 'number' && Number.isFinite(v)))) return false;
  const rows = out as number[][];
  return beta.every((bj, j) => {
    // out's column is m + c·(x's column − its mean) for one c ≠ 0 and m = β or 0: the batch's own
    // centring, scaled by whatever the variance came to (no square root, another ε); an attacker's
    // γ·(x[i] − x[i+1]) + β also has mean β, but is no multiple of the centred column
    const xc = x.map((r) => r[j]);
    const mu = xc.reduce((a, v) => a + v, 0) / xc.length;
    const d = xc.map((v) => v - mu);
    const dd = d.reduce((a, v) => a + v * v, 0);
    if (!(dd > 0)) return false;
    return [bj, 0].some((m) => {
      const o = rows.map((r) => r[j] - m);
      const c = o.reduce((a, v, i) => a + v * d[i], 0) / dd;
      const scale = Math.max(...o.map(Math.abs));
      return c !== 0 && scale > 0 && o.every((v, i) => Math.abs(v - c * d[i]) <= 1e-9 * (scale + Math.abs(m)));
    });
  });
}

function asResult(got: unknown, fn: string, keys: string[]): Record<string, unknown> {
  if (got === null || typeof got !== 'object' || Array.isArray(got)) fail(`${fn} should return an object { ${keys.join(', ')} }, got ${fmt(got)}`);
  const missing = keys.filter((k) => !(k in got));
  if (missing.length) fail(`${fn} should return an object { ${keys.join(', ')} }; '${missing.join("', '")}' missing (got keys ${fmt(Object.keys(got))})`);
  return got as Record<string, unknown>;
}

/** The student's batchnormForward, its result checked to be { out, state, cache }. */
async function forward(ctx: TestContext, args: unknown[]): Promise<FwdResult> {
  return asResult(await ctx.call('batchnormForward', ...args), 'batchnormForward', ['out', 'state', 'cache']) as unknown as FwdResult;
}

function asState(got: unknown, d: number, what: string): BatchNormState {
  const s = asResult(got, what, ['runningMean', 'runningVar']);
  return { runningMean: expectVector(s.runningMean, d, `${what}.runningMean`), runningVar: expectVector(s.runningVar, d, `${what}.runningVar`) };
}

function asGrads(got: unknown, n: number, d: number): Grads {
  const g = asResult(got, 'batchnormBackward', ['dx', 'dgamma', 'dbeta']);
  return { dx: expectMatrix(g.dx, n, d, 'dx'), dgamma: expectVector(g.dgamma, d, 'dgamma'), dbeta: expectVector(g.dbeta, d, 'dbeta') };
}

/** Fails (naming the likely mistake) when the student's out for a step is not the reference. */
function expectOut(ctx: TestContext, got: unknown, s: Step, mistakes = outMistakes(s.x, s.params, s.state, s.mode, s.opts)): void {
  const d = findMistake(got, s.expected.out, mistakes, MISTAKE_REL);
  withContext(where(s), () => expectMatrixRel(shownFor(ctx, s), got, s.expected.out, s.tol, 'out'), d);
}

/** Backward tests need the student's out to be right first: otherwise say so, not "wrong dx". */
function requireOut(got: unknown, s: Step): void {
  const err = maxRelError(got, s.expected.out);
  if (!(err <= s.tol)) {
    const d = findMistake(got, s.expected.out, outMistakes(s.x, s.params, s.state, s.mode, s.opts), MISTAKE_REL);
    // the order of the error only: an exact relative error against a chosen wrong out gives the hidden value back
    fail(`${where(s)}: your batchnormForward's out is already off (relative error of order ${orderOf(err)}, more than ${fmt(s.tol)}), so its gradients cannot match the reference; see batchnorm.forward.${s.mode}`, d);
  }
}

async function checkBackward(ctx: TestContext, s: Step): Promise<void> {
  const fwd = await forward(ctx, forwardArgs(s, s.state, s.mode));
  requireOut(fwd.out, s);
  const [n, d] = [s.x.length, s.x[0].length];
  const got = asGrads(await ctx.call('batchnormBackward', s.dout, fwd.cache), n, d);
  const want = { dx: s.expected.dx, dgamma: s.expected.dgamma, dbeta: s.expected.dbeta };
  const diag = findMistake(got, want, gradMistakes(refForward(s.x, s.params, s.state, s.mode, s.opts), s.dout), MISTAKE_REL);
  withContext(`batchnormBackward after ${where(s)}`, () => {
    expectMatrixRel(ctx, got.dx, want.dx, s.tol, 'dx');
    expectRel(ctx, got.dgamma, want.dgamma, s.tol, 'dgamma');
    expectRel(ctx, got.dbeta, want.dbeta, s.tol, 'dbeta');
  }, diag);
}

// ---------------------------------------------------------------------------------------------
// Inputs for the finite-difference check: small, random, γ ≠ 1, every gradient entry clearly ≠ 0.

function gradcheckInputs(): { x: Matrix; params: BatchNormParams; state: BatchNormState; dout: Matrix } {
  for (let seed = 4401; ; seed++) {
    const rng = createRng(seed);
    const [n, d] = [4, 3];
    const x = map(randnMatrix(n, d, rng), (v, _i, j) => [1.5, 0.4, 3][j] * v + [0.3, -2, 1][j]);
    const params = { gamma: Array.from({ length: d }, () => 0.5 + rng.uniform()), beta: Array.from({ length: d }, () => rng.normal()) };
    const state = { runningMean: Array.from({ length: d }, () => rng.normal()), runningVar: Array.from({ length: d }, () => 0.5 + rng.uniform()) };
    const dout = randnMatrix(n, d, rng);
    const g = refBackward(dout, refForward(x, params, state, 'train', DEFAULTS));
    const smallest = Math.min(...g.dx.flat().map(Math.abs), ...g.dgamma.map(Math.abs), ...g.dbeta.map(Math.abs));
    if (smallest > 0.05) return { x, params, state, dout };
  }
}

// ---------------------------------------------------------------------------------------------
// The deep network: dense layers and the sigmoid computed here, batch norm by the student.

const sigmoidGrad = (z: number): number => { const s = sigmoid(z); return s * (1 - s); };

function trustedDense(): Pick<BatchnormNetImpl, 'denseForward' | 'denseBackward' | 'activationBackward'> {
  return {
    denseForward: (x: Matrix, layer: Dense) => addRowVector(matmul(x, layer.W), layer.b),
    denseBackward: (dz: Matrix, x: Matrix, layer: Dense) => ({ dx: matmul(dz, transpose(layer.W)), dW: matmul(transpose(x), dz), db: colSums(dz) }),
    activationBackward: (da: Matrix, z: Matrix, act: ActivationName) => {
      if (act !== 'sigmoid') throw new Error(`the 04 suite only composes sigmoid networks, got '${act}'`);
      return map(da, (g, i, j) => g * sigmoidGrad(z[i][j]));
    },
  };
}

/** ‖a − b‖ / ‖b‖ over every entry (Frobenius). */
const relDistance = (a: Matrix, b: Matrix): number => frobeniusNorm(sub(a, b)) / frobeniusNorm(b);
/**
 * How near the contract's dx (or a known mistake's) a backward pass must come after a forward that is
 * not the contract's but passes the story's limits: those forwards leave ε out or outside the root,
 * which moves dx by ≈ ε / var (var ≈ 29 on the saturated layer: ≈ 1e-6), far below this.
 */
const NEAR_DX = 1e-2;
const subscript = (n: number): string => String(n).replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]);
const inLimit = (v: number, l: { lo: number; hi: number }): boolean => v >= l.lo && v <= l.hi;

/**
 * Each backward test also times a wide batch (gradcheck.ts, expectBackpropCost): 256 rows × 256
 * features, where numerical differentiation needs a forward pass over all of them per entry
 * (2 · 65,536 passes of ≈ 10 operations an entry: ≈ 10¹¹) and the backward pass a few passes over
 * them. Its answer must be the contract's or a known mistake's.
 */
const WIDE_BN = {
  x: wideMatrix(WIDE, WIDE, 7201, 3), dout: wideMatrix(WIDE, WIDE, 7202),
  p: { gamma: new Array(WIDE).fill(1.5), beta: new Array(WIDE).fill(0.1) },
  state: { runningMean: new Array(WIDE).fill(0.2), runningVar: new Array(WIDE).fill(2) },
};
/** The wide check's answers after `mode`'s forward pass (computed once, for both). */
function wideBnAnswer(mode: Mode): WideAnswer {
  let f: RefForward | undefined;
  const fwd = (): RefForward => (f ??= refForward(WIDE_BN.x, WIDE_BN.p, WIDE_BN.state, mode, DEFAULTS));
  return wideAnswer(() => refBackward(WIDE_BN.dout, fwd()), () => gradMistakes(fwd(), WIDE_BN.dout));
}
const WIDE_BN_ANSWERS: Record<Mode, WideAnswer> = { train: wideBnAnswer('train'), eval: wideBnAnswer('eval') };
const bnCost = (ctx: TestContext, mode: Mode): Promise<void> => expectBackpropCost(ctx, `batchnormBackward ('${mode}')`, async () => {
  const fwd = await forward(ctx, [WIDE_BN.x, WIDE_BN.p, WIDE_BN.state, mode]);
  return ctx.call('batchnormBackward', WIDE_BN.dout, fwd.cache);
}, WIDE_BN_ANSWERS[mode]);

export default defineSuite(SLUG, (test) => {
  test('batchnorm.forward.train', async (ctx) => {
    for (const s of steps([...SEQUENCES, TWO_ROWS]).filter((t) => t.mode === 'train')) {
      const fwd = await forward(ctx, forwardArgs(s, s.state, 'train'));
      const mistakes = outMistakes(s.x, s.params, s.state, s.mode, s.opts);
      await noteForward(ctx, fwd.out, s.expected.out, mistakes);
      expectOut(ctx, fwd.out, s, mistakes);
    }
  });

  test('batchnorm.forward.runningStats', async (ctx) => {
    // every run of consecutive train steps, the student's returned state fed to the next call
    for (const run of trainRuns([...SEQUENCES, TWO_ROWS])) {
      // each step is fed the student's previous state, so it must give the fixture's chain; a run
      // that started from a restart (see steps) would need the reference's chain instead
      if (run[0].restarted) throw new Error(`${where(run[0])}: a run of train steps starts from a restarted state; runningStats compares with the fixture's chain only`);
      let state = run[0].state;
      for (const s of run) {
        const d = s.x[0].length;
        const fwd = await forward(ctx, forwardArgs(s, state, 'train'));
        // the grader gives no step of the run a state but its first, which is the fixture's own
        const at = where(s, false);
        const got = asState(fwd.state, d, `the state returned by ${at}`);
        const diag = findMistake(got, s.chain.state, stateMistakes(s.x, s.params, state, s.opts), MISTAKE_REL);
        const fed = s === run[0] ? 'the fixture’s state' : 'the state your previous step returned';
        withContext(`the state returned by ${at}, starting from ${fed}`, () => expectRel(shownFor(ctx, s), got, s.chain.state, s.tol, 'state'), diag);
        state = got;
      }
    }
  });

  test('batchnorm.forward.eval', async (ctx) => {
    for (const s of steps().filter((t) => t.mode === 'eval')) {
      const fwd = await forward(ctx, forwardArgs(s, s.state, 'eval'));
      expectOut(ctx, fwd.out, s);
      const got = asState(fwd.state, s.x[0].length, `the state returned by ${where(s)}`);
      const change = firstChange(s.state, got, 'state');
      // the state it was given is the previous step's expected state: shown only where that is public
      if (change) fail(`${where(s)} must return the state it was given (same values): ${change.path} ${shownFor(ctx, s).hidden ? 'came back changed' : `was ${fmt(change.before)}, returned ${fmt(change.after)}`}`, M.evalUpdates);
    }
  });

  test('batchnorm.forward.noMutation', async (ctx) => {
    const names = ['x', 'p', 'state'];
    // a forward pass that does nothing (out all zeros, or x itself, and the given state) never
    // mutates either, nor does one that nudges x by an ulp: these points go to one whose out is right,
    // or wrong by a known mistake, in at least one call, or that centers a train batch as batch norm
    // does (β forgotten, no square root: a wrong one costs the value tests, not this one)
    let math = false;
    for (const s of steps().filter((t, i, all) => all.findIndex((u) => u.mode === t.mode && u.fixture === t.fixture) === i)) {
      const { out } = await forward(ctx, forwardArgs(s, s.state, s.mode));
      math ||= doesTheMath(out, s.expected.out, outMistakes(s.x, s.params, s.state, s.mode, s.opts)) || (s.mode === 'train' && centers(out, s.x, s.params.beta));
    }
    for (const r of ctx.records) {
      if (r.fn !== 'batchnormForward' || !r.argsAfter) continue;
      for (let a = 0; a < names.length; a++) {
        const change = firstChange(r.args[a], r.argsAfter[a], names[a]);
        if (change) {
          const mode = String(r.args[3]);
          // the arguments come from hidden fixtures (a state is a previous step's expected one): no values
          fail(`batchnormForward(x, p, state, '${mode}') changed its argument ${names[a]}: ${change.path} is not the same after the call`,
            names[a] === 'state'
              ? { id: 'batchnorm-mutates-state', hint: 'Return a NEW state with new runningMean/runningVar arrays; writing into state’s arrays changes the caller’s statistics behind its back.' }
              : { id: 'batchnorm-mutates-input', hint: `Compute into new arrays: ${names[a]} belongs to the caller and must come back as it went in.` });
        }
      }
    }
    if (!math) fail('batchnormForward’s out is neither the contract’s nor a known mistake’s in any call: a forward pass that does nothing never mutates its inputs either, so these points go to a batchnormForward that normalizes');
  });

  test('batchnorm.backward.train', async (ctx) => {
    for (const s of steps().filter((t) => t.mode === 'train')) await checkBackward(ctx, s);
    await bnCost(ctx, 'train');
  });

  test('batchnorm.backward.eval', async (ctx) => {
    for (const s of steps().filter((t) => t.mode === 'eval')) await checkBackward(ctx, s);
    await bnCost(ctx, 'eval');
  });

  test('batchnorm.backward.gradcheck', async (ctx) => {
    const { x, params, state, dout } = gradcheckInputs();
    const [n, d] = [x.length, x[0].length];
    const args = [x, params, state, 'train'];
    const fwd = await forward(ctx, args);
    const got = asGrads(await ctx.call('batchnormBackward', dout, fwd.cache), n, d);
    const numeric = await finiteDifferences(ctx, 'batchnormForward', args,
      [{ name: 'dx', path: [0] }, { name: 'dgamma', path: [1, 'gamma'] }, { name: 'dbeta', path: [1, 'beta'] }],
      (out) => dot(out, dout),
      { forward: { name: 'batchnormForward (train mode)', out: (r) => asResult(r, 'batchnormForward', ['out']).out,
        correct: (a) => refForward(a[0] as Matrix, a[1] as BatchNormParams, a[2] as BatchNormState, 'train', DEFAULTS).out,
        mistakes: (a) => outMistakes(a[0] as Matrix, a[1] as BatchNormParams, a[2] as BatchNormState, 'train', DEFAULTS), centre: fwd.out, seen: await forwardsSeen(ctx) } });
    expectForwardOfTheExercise(fwd.out, refForward(x, params, state, 'train', DEFAULTS).out, outMistakes(x, params, state, 'train', DEFAULTS), 'batchnormForward (train mode)');
    const problems: string[] = [];
    for (const num of numeric) {
      try {
        expectMatchesNumeric(got[num.name as keyof Grads], num, FD_REL, "batchnormForward (train mode)");
      } catch (err) {
        if (!(err instanceof GradeFailure)) throw err;
        problems.push(err.message);
      }
    }
    if (problems.length) {
      // name the mistake when the forward is the reference's and the backward a known wrong one
      const ref = refForward(x, params, state, 'train', DEFAULTS);
      // or the forward's own known mistake, which the backward's formula does not follow
      const diag = maxRelError(fwd.out, ref.out) <= MISTAKE_REL
        ? findMistake(got, refBackward(dout, ref), gradMistakes(ref, dout), MISTAKE_REL)
        : findMistake(fwd.out, ref.out, outMistakes(x, params, state, 'train', DEFAULTS), MISTAKE_REL);
      fail(problems.join('\n'), diag);
    }
    await bnCost(ctx, 'train');
  });

  test('batchnorm.deep.restoresGradient', async (ctx) => {
    const f = loadFixture(SLUG, 'batchnorm-deep', 'batchnorm-deep');
    const { limits } = f;

    // 1. one saturated sigmoid layer, re-centred by the student's batch norm
    const sat = rebuildMlp(f.recipes.saturated);
    const z = addRowVector(matmul(sat.x, sat.layers[0].W), sat.layers[0].b);
    const [n, d] = [z.length, z[0].length];
    const p1 = { gamma: new Array(d).fill(1), beta: new Array(d).fill(0) };
    const s1 = { runningMean: new Array(d).fill(0), runningVar: new Array(d).fill(1) };
    const fwd = await forward(ctx, [z, p1, s1, 'train']);
    const out = expectMatrix(fwd.out, n, d, `batchnormForward(z, γ = 1, β = 0, …, 'train').out on the saturated layer`);
    // the story pays only a batch norm that does the math: on this layer a forward pass that is the
    // contract's, a known mistake's or a centring (an attacker's ±1 pattern ignoring z has mean 0 and
    // variance 1 too), and after the contract's forward a backward pass right or a known mistake's
    // in dx (an attacker's dx = 4·dout kept the deep ratio in range with no backward math)
    const refF = refForward(z, p1, s1, 'train', DEFAULTS);
    // the contract's forward: within 1e-6 of its out and no nearer a known mistake's. On this layer
    // (large variances) ε left out moves out by less than 1e-6, and its exact backward pass by more:
    // judged as "right", an honest ε-less batch norm lost the story's points (attacker 13), where
    // ε outside the root, 2e-6 away, kept them through NEAR_DX below
    const fwdMistakes = outMistakes(z, p1, s1, 'train', DEFAULTS);
    const rightForward = closestFunction(out, refF.out, fwdMistakes) === CONTRACT;
    if (!rightForward && !doesTheMath(out, refF.out, fwdMistakes) && !centers(out, z, p1.beta)) {
      fail('batchnormForward on the saturated layer gives neither the contract’s out, nor a known mistake’s, nor a centring of z: this test needs the batch norm the exercise asks for (forward.train says how yours differs)');
    }
    // after the contract's forward the dx must be the contract's or a known mistake's; after another
    // forward that passes this story's limits below (variance within 1e-3 of 1: ε left out or put
    // outside the root) a right backward gives a dx within ≈ ε / var of the contract's, so there it
    // must be within NEAR_DX of one of them (an attacker's dx = 4·dout after an ε-less forward kept
    // the story's points with no backward math)
    const probe = randnMatrix(n, d, createRng(4643));
    const back = asGrads(await ctx.call('batchnormBackward', probe, fwd.cache), n, d);
    const dxs = gradMistakes(refF, probe).map((m) => ({ ...m, value: (m.value as Grads).dx }));
    const want = refBackward(probe, refF).dx;
    const backwardOk = rightForward ? doesTheMath(back.dx, want, dxs) : [want, ...dxs.map((m) => m.value as Matrix)].some((w) => relDistance(back.dx, w) <= NEAR_DX);
    if (!backwardOk) {
      fail(`batchnormBackward after your forward pass on the saturated layer gives a dx that is ${rightForward ? 'neither the contract’s nor a known mistake’s' : `more than ${fmt(NEAR_DX)} (relative, in norm) from the contract’s and every known mistake’s, where your forward is within this test’s limits on mean and variance`}: the gradient ratio of the deep network needs the backward pass the exercise asks for (backward.train says how yours differs)`);
    }
    const threshold = f.expected.saturated.threshold;
    for (let j = 0; j < d; j++) {
      const col = out.map((row) => row[j]);
      const mean = col.reduce((a, b) => a + b, 0) / n;
      const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      if (!inLimit(Math.abs(mean), limits.afterMaxAbsMean)) {
        fail(`a saturated sigmoid layer after your batch norm: feature ${j} has mean ${fmt(mean)}; expected |mean| ≤ ${fmt(limits.afterMaxAbsMean.hi)}`);
      }
      if (!inLimit(variance, limits.afterVar)) {
        const v = z.reduce((a, row) => a + row[j], 0) / n;
        const bv = z.reduce((a, row) => a + (row[j] - v) ** 2, 0) / n;
        // the formula, not its value: v/(v + ε) of the layer's least and most spread features is the
        // hidden fixture's expected minVar and maxVar (attacker 11)
        fail(`a saturated sigmoid layer after your batch norm: feature ${j} has variance ${fmt(variance)} (biased, ÷N); expected between ${fmt(limits.afterVar.lo)} and ${fmt(limits.afterVar.hi)}: dividing by √(v + ε) leaves v/(v + ε) of a feature's batch variance v (÷N), just below 1; check that each column is divided by the square root of its own variance plus ε`,
          Math.abs(variance / (bv / (bv + DEFAULTS.eps)) - (n - 1) / n) < 1e-6 ? M.unbiasedNorm : undefined);
      }
    }
    const after = out.flat().filter((v) => sigmoidGrad(v) < threshold).length / (n * d);
    if (!inLimit(after, limits.afterSaturatedFraction)) {
      fail(`after your batch norm ${fmt(after * 100)}% of the layer’s entries still have σ′ < ${fmt(threshold)}; expected at most ${fmt(limits.afterSaturatedFraction.hi * 100)}%`);
    }

    // 2. the deep sigmoid network: dense and σ here, batch norm by the student, in the sandbox
    const deep = rebuildMlp(f.recipes.deep);
    const impl: BatchnormNetImpl = {
      ...trustedDense(),
      batchnormForward: async (x, p, state, mode) => {
        const r = await forward(ctx, [x, p, state, mode]);
        return { out: expectMatrix(r.out, x.length, x[0].length, 'batchnormForward(…).out in the deep network'), cache: r.cache };
      },
      batchnormBackward: async (dout, cache) => asGrads(await ctx.call('batchnormBackward', dout, cache), dout.length, dout[0].length),
    };
    const norms = await batchnormNetGradNorms(deep.x, deep.layers, deep.dout, f.recipes.deep.act, sigmoid, impl);
    const ratio = norms[0] / norms[norms.length - 1];
    const layers = deep.layers.length;
    if (!Number.isFinite(ratio) || !inLimit(ratio, limits.withBnRatio)) {
      // never the ratio without batch norm: it is a hidden fixture's expected value (issue 18)
      fail(`${layers}-layer sigmoid network (Xavier-normal) with your batch norm before every sigmoid: ‖dW₁‖/‖dW${subscript(layers)}‖ = ${fmt(ratio)}; wrong, it should be between ${fmt(limits.withBnRatio.lo)} and ${fmt(limits.withBnRatio.hi)} (batch norm keeps each sigmoid's input at mean 0, variance 1, away from its flat tails; without it the gradient vanishes on its way to the first layer: see the README)`);
    }
  });
});
