import { describe, expect, it } from 'vitest';
import { createRng, randnMatrix } from '../lib/rng';
import { clone, map } from '../lib/tensor';
import type { Matrix, Vector } from '../lib/types';
import { batchnormBackward, batchnormForward } from './batchnorm';
import type { BatchNormParams, BatchNormState } from './batchnorm';
import { dot, numericGrad, relError, thrownBy } from '../lib/gradcheck';

// Every expected value below is computed here, column by column, from the definitions in
// README.md (or by central finite differences of your own forward pass), never copied from a
// reference implementation.

const EPS = 1e-5;

/** |got − want| ≤ atol + rtol·|want|, entry by entry, with a message that says where. */
function expectClose(got: number, want: number, atol: number, rtol: number, what: string): void {
  const ok = Math.abs(got - want) <= atol + rtol * Math.abs(want);
  expect(ok, `${what}: expected ${want}, got ${got} (atol ${atol}, rtol ${rtol})`).toBe(true);
}

function expectVectorClose(got: Vector, want: Vector, atol: number, rtol: number, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  want.forEach((w, j) => expectClose(got[j], w, atol, rtol, `${what}[${j}]`));
}

function expectMatrixClose(got: Matrix, want: Matrix, atol: number, rtol: number, what: string): void {
  expect(got.length, `${what}: rows`).toBe(want.length);
  want.forEach((row, i) => expectVectorClose(got[i], row, atol, rtol, `${what}[${i}]`));
}

/** Column j of a matrix. */
function column(m: Matrix, j: number): number[] {
  return m.map((row) => row[j]);
}

function mean(v: number[]): number {
  return v.reduce((s, x) => s + x, 0) / v.length;
}

/** Σ (v − mean)² / divisor. */
function variance(v: number[], divisor: number): number {
  const m = mean(v);
  return v.reduce((s, x) => s + (x - m) ** 2, 0) / divisor;
}

/** Random params with γ far from 1 (and of both signs) so that a forgotten γ shows. */
function randomParams(d: number, seed: number): BatchNormParams {
  const rng = createRng(seed);
  return {
    gamma: Array.from({ length: d }, () => (rng.uniform() < 0.5 ? -1 : 1) * (0.5 + 2 * rng.uniform())),
    beta: Array.from({ length: d }, () => rng.normal()),
  };
}

/** A batch whose columns have different means and scales. */
function randomBatch(n: number, d: number, seed: number): Matrix {
  const rng = createRng(seed);
  return map(randnMatrix(n, d, rng), (v, _i, j) => 3 * (j + 1) * v + (j - 1) * 2);
}

const N = 4; // small on purpose: ÷N and ÷(N − 1) differ by a third here
const D = 3;
const freshState = (): BatchNormState => ({ runningMean: [0, 0, 0], runningVar: [1, 1, 1] });

describe('batchnormForward in train mode', () => {
  it('normalizes each column with the batch mean and the biased (÷N) variance, then applies γ and β', () => {
    const x = randomBatch(N, D, 1);
    const p = randomParams(D, 2);
    const { out } = batchnormForward(x, p, freshState(), 'train');
    const want = x.map((row) => row.map((v, j) => {
      const col = column(x, j);
      return p.gamma[j] * (v - mean(col)) / Math.sqrt(variance(col, N) + EPS) + p.beta[j];
    }));
    expectMatrixClose(out, want, 1e-12, 1e-10, 'out');
  });

  it('gives columns with mean β and variance γ²·v/(v + ε), not exactly γ²', () => {
    const x = randomBatch(6, D, 3);
    const p = randomParams(D, 4);
    const { out } = batchnormForward(x, p, freshState(), 'train');
    for (let j = 0; j < D; j++) {
      const v = variance(column(x, j), 6);
      expectClose(mean(column(out, j)), p.beta[j], 1e-12, 1e-10, `mean of out column ${j}`);
      expectClose(variance(column(out, j), 6), p.gamma[j] ** 2 * v / (v + EPS), 1e-12, 1e-10, `variance of out column ${j}`);
    }
  });

  it('updates the running statistics PyTorch-style: (1 − 0.1)·running + 0.1·batch, with the unbiased variance', () => {
    const x = randomBatch(N, D, 5);
    const state: BatchNormState = { runningMean: [0.5, -1, 2], runningVar: [1, 4, 0.25] };
    const { state: next } = batchnormForward(x, randomParams(D, 6), state, 'train');
    const wantMean = state.runningMean.map((r, j) => 0.9 * r + 0.1 * mean(column(x, j)));
    const wantVar = state.runningVar.map((r, j) => 0.9 * r + 0.1 * variance(column(x, j), N - 1));
    expectVectorClose(next.runningMean, wantMean, 1e-12, 1e-10, 'runningMean');
    expectVectorClose(next.runningVar, wantVar, 1e-12, 1e-10, 'runningVar');
  });

  it('chains the running statistics over several steps and honours eps and momentum options', () => {
    const p = randomParams(D, 7);
    const momentum = 0.3;
    const eps = 1e-3;
    let state = freshState();
    const wantMean = [0, 0, 0];
    const wantVar = [1, 1, 1];
    for (let step = 0; step < 4; step++) {
      const x = randomBatch(5, D, 100 + step);
      const r = batchnormForward(x, p, state, 'train', { eps, momentum });
      for (let j = 0; j < D; j++) {
        const col = column(x, j);
        wantMean[j] = (1 - momentum) * wantMean[j] + momentum * mean(col);
        wantVar[j] = (1 - momentum) * wantVar[j] + momentum * variance(col, 4);
        // eps is used in the normalization too
        const want0 = p.gamma[j] * (x[0][j] - mean(col)) / Math.sqrt(variance(col, 5) + eps) + p.beta[j];
        expectClose(r.out[0][j], want0, 1e-12, 1e-10, `step ${step}: out[0][${j}]`);
      }
      expectVectorClose(r.state.runningMean, wantMean, 1e-12, 1e-10, `step ${step}: runningMean`);
      expectVectorClose(r.state.runningVar, wantVar, 1e-12, 1e-10, `step ${step}: runningVar`);
      state = r.state;
    }
  });

  it('never mutates its inputs: x, the params and the given state stay as they were', () => {
    const x = randomBatch(N, D, 8);
    const p = randomParams(D, 9);
    const state: BatchNormState = { runningMean: [0.1, 0.2, 0.3], runningVar: [2, 3, 4] };
    const before = { x: clone(x), gamma: p.gamma.slice(), beta: p.beta.slice(), mean: state.runningMean.slice(), var: state.runningVar.slice() };
    batchnormForward(x, p, state, 'train');
    expect(x).toEqual(before.x);
    expect(p.gamma).toEqual(before.gamma);
    expect(p.beta).toEqual(before.beta);
    expect(state.runningMean).toEqual(before.mean);
    expect(state.runningVar).toEqual(before.var);
  });

  it('throws a clear error (not a NotImplementedError) for a batch of one row, where N − 1 = 0', () => {
    const err = thrownBy(() => batchnormForward([[1, 2, 3]], randomParams(D, 10), freshState(), 'train'));
    expect(err).toBeInstanceOf(Error);
  });
});

describe('batchnormForward in eval mode', () => {
  it('normalizes with the running statistics and returns a state with the same values', () => {
    const x = randomBatch(N, D, 11);
    const p = randomParams(D, 12);
    const state: BatchNormState = { runningMean: [0.5, -1, 2], runningVar: [1, 4, 0.25] };
    const { out, state: next } = batchnormForward(x, p, state, 'eval');
    const want = x.map((row) => row.map((v, j) => p.gamma[j] * (v - state.runningMean[j]) / Math.sqrt(state.runningVar[j] + EPS) + p.beta[j]));
    expectMatrixClose(out, want, 1e-12, 1e-10, 'out');
    expect(next.runningMean).toEqual([0.5, -1, 2]);
    expect(next.runningVar).toEqual([1, 4, 0.25]);
    expect(state.runningMean).toEqual([0.5, -1, 2]);
    expect(state.runningVar).toEqual([1, 4, 0.25]);
  });

  it('works for a single example, since no batch statistics are needed', () => {
    const p = randomParams(D, 13);
    const { out } = batchnormForward([[1, 2, 3]], p, freshState(), 'eval');
    const want = [[1, 2, 3].map((v, j) => p.gamma[j] * v / Math.sqrt(1 + EPS) + p.beta[j])];
    expectMatrixClose(out, want, 1e-12, 1e-10, 'out');
  });
});

describe('batchnormBackward after train mode', () => {
  it('matches central finite differences of your forward pass for dx, dgamma and dbeta', () => {
    const x = randomBatch(N, D, 20);
    const p = randomParams(D, 21);
    const dout = randnMatrix(N, D, createRng(22)); // random upstream gradient, not ones
    const { cache } = batchnormForward(x, p, freshState(), 'train');
    const { dx, dgamma, dbeta } = batchnormBackward(dout, cache);
    const loss = (): number => dot(dout, batchnormForward(x, p, freshState(), 'train').out);
    const numDx = x.map((_, i) => numericGrad(loss, x[i])).flat();
    expect(relError(dx.flat(), numDx)).toBeLessThanOrEqual(1e-7);
    expect(relError(dgamma, numericGrad(loss, p.gamma))).toBeLessThanOrEqual(1e-7);
    expect(relError(dbeta, numericGrad(loss, p.beta))).toBeLessThanOrEqual(1e-7);
  });

  it('gives dbeta = Σ dout and dgamma = Σ dout ⊙ x̂ column by column', () => {
    const n = 5;
    const x = randomBatch(n, D, 23);
    const p = randomParams(D, 24);
    const dout = randnMatrix(n, D, createRng(25));
    const { dgamma, dbeta } = batchnormBackward(dout, batchnormForward(x, p, freshState(), 'train').cache);
    for (let j = 0; j < D; j++) {
      const col = column(x, j);
      const xhat = col.map((v) => (v - mean(col)) / Math.sqrt(variance(col, n) + EPS));
      expectClose(dbeta[j], column(dout, j).reduce((s, g) => s + g, 0), 1e-12, 1e-10, `dbeta[${j}]`);
      expectClose(dgamma[j], xhat.reduce((s, h, i) => s + dout[i][j] * h, 0), 1e-12, 1e-10, `dgamma[${j}]`);
    }
  });

  it('gives a dx whose columns sum to 0 (shifting a whole column leaves the output unchanged)', () => {
    const n = 6;
    const x = randomBatch(n, D, 26);
    const p = randomParams(D, 27);
    const dout = randnMatrix(n, D, createRng(28));
    const { dx } = batchnormBackward(dout, batchnormForward(x, p, freshState(), 'train').cache);
    for (let j = 0; j < D; j++) {
      const scaleOfDx = Math.max(...column(dx, j).map(Math.abs));
      expect(scaleOfDx, `dx column ${j} is not all zero`).toBeGreaterThan(1e-6);
      const sumDx = column(dx, j).reduce((s, g) => s + g, 0);
      expectClose(sumDx, 0, 1e-12 + 1e-10 * scaleOfDx, 0, `Σ dx in column ${j}`);
    }
  });
});

describe('batchnormBackward after eval mode', () => {
  it('treats the running statistics as constants: dx = dout·γ / √(runningVar + eps)', () => {
    const x = randomBatch(N, D, 40);
    const p = randomParams(D, 41);
    const state: BatchNormState = { runningMean: [0.5, -1, 2], runningVar: [1, 4, 0.25] };
    const dout = randnMatrix(N, D, createRng(42));
    const { dx, dbeta } = batchnormBackward(dout, batchnormForward(x, p, state, 'eval').cache);
    const want = dout.map((row) => row.map((g, j) => g * p.gamma[j] / Math.sqrt(state.runningVar[j] + EPS)));
    expectMatrixClose(dx, want, 1e-12, 1e-10, 'dx');
    expectVectorClose(dbeta, [0, 1, 2].map((j) => column(dout, j).reduce((s, g) => s + g, 0)), 1e-12, 1e-10, 'dbeta');
  });

  it('matches central finite differences of your eval-mode forward pass for dx, dgamma and dbeta', () => {
    const x = randomBatch(3, D, 43);
    const p = randomParams(D, 44);
    const state: BatchNormState = { runningMean: [0.5, -1, 2], runningVar: [1, 4, 0.25] };
    const dout = randnMatrix(3, D, createRng(45));
    const { dx, dgamma, dbeta } = batchnormBackward(dout, batchnormForward(x, p, state, 'eval').cache);
    const loss = (): number => dot(dout, batchnormForward(x, p, state, 'eval').out);
    expect(relError(dx.flat(), x.map((_, i) => numericGrad(loss, x[i])).flat())).toBeLessThanOrEqual(1e-7);
    expect(relError(dgamma, numericGrad(loss, p.gamma))).toBeLessThanOrEqual(1e-7);
    expect(relError(dbeta, numericGrad(loss, p.beta))).toBeLessThanOrEqual(1e-7);
  });
});
