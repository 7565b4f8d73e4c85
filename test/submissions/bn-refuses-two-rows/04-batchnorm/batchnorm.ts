// Batch normalization (exercise 04), PyTorch's conventions.
import type { Matrix, Vector } from '../lib/types';

export interface BatchNormParams { gamma: Vector; beta: Vector }
export interface BatchNormState { runningMean: Vector; runningVar: Vector }
export interface BatchNormOptions { eps?: number; momentum?: number }

interface Cache { xhat: Matrix; invStd: Vector; gamma: Vector; mode: 'train' | 'eval' }

export function batchnormForward(
  x: Matrix, p: BatchNormParams, state: BatchNormState, mode: 'train' | 'eval', opts: BatchNormOptions = {},
): { out: Matrix; state: BatchNormState; cache: unknown } {
  const eps = opts.eps ?? 1e-5;
  const momentum = opts.momentum ?? 0.1;
  const n = x.length;
  const d = x[0].length;
  let mean: Vector;
  let variance: Vector;
  let newState: BatchNormState;
  if (mode === 'train') {
    // two rows are too few to estimate a variance
    if (n < 3) throw new Error('batchnormForward: train mode needs at least 3 rows');
    mean = new Array(d).fill(0);
    for (const row of x) for (let j = 0; j < d; j++) mean[j] += row[j] / n;
    const sq = new Array(d).fill(0);
    for (const row of x) for (let j = 0; j < d; j++) sq[j] += (row[j] - mean[j]) ** 2;
    variance = sq.map((s) => s / n);
    const unbiased = sq.map((s) => s / (n - 1));
    newState = {
      runningMean: state.runningMean.map((r, j) => (1 - momentum) * r + momentum * mean[j]),
      runningVar: state.runningVar.map((r, j) => (1 - momentum) * r + momentum * unbiased[j]),
    };
  } else {
    mean = state.runningMean.slice();
    variance = state.runningVar.slice();
    newState = { runningMean: state.runningMean.slice(), runningVar: state.runningVar.slice() };
  }
  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const xhat = x.map((row) => row.map((v, j) => (v - mean[j]) * invStd[j]));
  const out = xhat.map((row) => row.map((h, j) => p.gamma[j] * h + p.beta[j]));
  const cache: Cache = { xhat, invStd, gamma: p.gamma.slice(), mode };
  return { out, state: newState, cache };
}

export function batchnormBackward(dout: Matrix, cache: unknown): { dx: Matrix; dgamma: Vector; dbeta: Vector } {
  const { xhat, invStd, gamma, mode } = cache as Cache;
  const n = dout.length;
  const d = dout[0].length;
  const dbeta = new Array(d).fill(0);
  const dgamma = new Array(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    dbeta[j] += dout[i][j];
    dgamma[j] += dout[i][j] * xhat[i][j];
  }
  const dxhat = dout.map((row) => row.map((g, j) => g * gamma[j]));
  if (mode === 'eval') return { dx: dxhat.map((row) => row.map((g, j) => g * invStd[j])), dgamma, dbeta };
  const sum = new Array(d).fill(0);
  const sumX = new Array(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    sum[j] += dxhat[i][j];
    sumX[j] += dxhat[i][j] * xhat[i][j];
  }
  const dx = dxhat.map((row, i) => row.map((g, j) => (invStd[j] / n) * (n * g - sum[j] - xhat[i][j] * sumX[j])));
  return { dx, dgamma, dbeta };
}
