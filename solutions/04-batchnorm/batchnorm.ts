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
  const cache: BatchNormCache = { mode, xhat, gamma: p.gamma.slice(), invStd };
  return { out, state: newState, cache };
}

export function batchnormBackward(dout: Matrix, cache: unknown): { dx: Matrix; dgamma: Vector; dbeta: Vector } {
  const { mode, xhat, gamma, invStd } = cache as BatchNormCache;
  const [n] = shape(dout);
  const dbeta = colSums(dout);
  const dgamma = colSums(mul(dout, xhat));
  const dxhat = map(dout, (g, _i, j) => g * gamma[j]);
  if (mode === 'eval') {
    // mean and variance are constants here: only the scaling by 1/√(var + eps) remains
    return { dx: map(dxhat, (g, _i, j) => g * invStd[j]), dgamma, dbeta };
  }
  // train: mean and variance depend on x; the compact form of the full chain rule is
  // dx = (1/N)·invStd·(N·dxhat − Σ dxhat − xhat·Σ(dxhat ⊙ xhat))
  const sumDxhat = colSums(dxhat);
  const sumDxhatXhat = colSums(mul(dxhat, xhat));
  const dx = map(dxhat, (g, i, j) => (invStd[j] / n) * (n * g - sumDxhat[j] - xhat[i][j] * sumDxhatXhat[j]));
  return { dx, dgamma, dbeta };
}
