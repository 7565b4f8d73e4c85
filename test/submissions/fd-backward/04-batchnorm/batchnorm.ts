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
  const cache = { x: x.map((r) => r.slice()), p: { gamma: p.gamma.slice(), beta: p.beta.slice() }, state, mode, opts };
  return { out, state: newState, cache };
}

/** No calculus: Richardson central differences of Σ dout ⊙ batchnormForward(…).out, column by column. */
export function batchnormBackward(dout: Matrix, cache: unknown): { dx: Matrix; dgamma: Vector; dbeta: Vector } {
  const { x, p, state, mode, opts } = cache as { x: Matrix; p: BatchNormParams; state: BatchNormState; mode: 'train' | 'eval'; opts: BatchNormOptions };
  const O = (): Matrix => batchnormForward(x, p, state, mode, opts).out;
  const n = x.length;
  const spread = x[0].map((_v, j) => {
    const m = x.reduce((s, r) => s + r[j], 0) / n;
    return Math.sqrt(x.reduce((s, r) => s + (r[j] - m) ** 2, 0) / n);
  });
  const d = (arr: number[], k: number, h: number): number => {
    const v0 = arr[k];
    const c = (e: number) => {
      arr[k] = v0 + e; const a = O(); arr[k] = v0 - e; const b = O(); arr[k] = v0;
      let s = 0;
      for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) s += (a[i][j] - b[i][j]) * dout[i][j];
      return s / (2 * e);
    };
    const [c1, c2, c3] = [c(h), c(h / 2), c(h / 4)];
    const r1 = (4 * c2 - c1) / 3, r2 = (4 * c3 - c2) / 3;
    return (16 * r2 - r1) / 15;
  };
  return {
    dx: x.map((row) => row.map((_v, k) => d(row, k, Math.max(1e-6, 0.02 * spread[k])))),
    dgamma: p.gamma.map((_v, k) => d(p.gamma, k, 1)),
    dbeta: p.beta.map((_v, k) => d(p.beta, k, 1)),
  };
}
