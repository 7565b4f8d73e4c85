/** exercises/lib: the helpers students are given. Exact results on small cases, clear shape errors. */
import { describe, expect, it } from 'vitest';
import { NotImplementedError, ShapeError } from '../exercises/lib/errors';
import { createRng, randnMatrix, uniformMatrix } from '../exercises/lib/rng';
import {
  add, addRowVector, assertShape, clone, colMeans, colSums, frobeniusNorm, map, matmul, mul, mulRowVector,
  rowMatrix, scale, shape, shapeString, sub, sum, transpose, vectorNorm, zeros, zerosVector,
} from '../exercises/lib/tensor';

const A = [[1, 2, 3], [4, 5, 6]]; // [2x3]
const B = [[7, 8], [9, 10], [11, 12]]; // [3x2]

describe('tensor helpers', () => {
  it('matmul multiplies [2x3]·[3x2] exactly', () => {
    expect(matmul(A, B)).toEqual([[58, 64], [139, 154]]);
  });

  it('matmul names both shapes when the inner sizes differ', () => {
    expect(() => matmul(A, A)).toThrow(new ShapeError('matmul: [2x3] · [2x3]: inner sizes differ'));
  });

  it('transpose, add, sub, mul, scale and map work entry by entry without mutating', () => {
    const before = clone(A);
    expect(transpose(A)).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(add(A, A)).toEqual([[2, 4, 6], [8, 10, 12]]);
    expect(sub(A, A)).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(mul(A, A)).toEqual([[1, 4, 9], [16, 25, 36]]);
    expect(scale(A, -2)).toEqual([[-2, -4, -6], [-8, -10, -12]]);
    expect(map(A, (x, i, j) => x * 10 + i + j)).toEqual([[10, 21, 32], [41, 52, 63]]);
    expect(A).toEqual(before);
  });

  it('element-wise ops reject different shapes', () => {
    expect(() => add(A, B)).toThrow('add: [2x3] and [3x2]: shapes differ');
    expect(() => mul(A, [[1]])).toThrow('mul: [2x3] and [1x1]: shapes differ');
  });

  it('broadcasts a row vector over the batch and checks its length', () => {
    expect(addRowVector(A, [10, 20, 30])).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(mulRowVector(A, [1, 0, -1])).toEqual([[1, 0, -3], [4, 0, -6]]);
    expect(() => addRowVector(A, [1, 2])).toThrow('addRowVector: [2x3] + vector of 2: the vector needs 3 entries');
    expect(() => mulRowVector(A, [1])).toThrow(ShapeError);
  });

  it('sums and means over the batch, and norms', () => {
    expect(colSums(A)).toEqual([5, 7, 9]);
    expect(colMeans(A)).toEqual([2.5, 3.5, 4.5]);
    expect(sum(A)).toBe(21);
    expect(frobeniusNorm([[3, 4]])).toBe(5);
    expect(vectorNorm([6, 8])).toBe(10);
    expect(() => colMeans([])).toThrow('colMeans: the matrix has no rows');
  });

  it('reports shapes and rejects ragged or non-matrix input', () => {
    expect(shape(A)).toEqual([2, 3]);
    expect(shape([])).toEqual([0, 0]);
    expect(shapeString(B)).toBe('[3x2]');
    expect(() => shape([[1, 2], [3]])).toThrow('shape: ragged matrix, row 0 has 2 entries but row 1 has 1');
    expect(() => shape([1, 2] as unknown as number[][])).toThrow('row 0 is not an array');
    expect(() => shape('x' as unknown as number[][])).toThrow('expected a matrix');
    expect(() => assertShape(A, 3, 2, 'W')).toThrow('W: expected [3x2], got [2x3]');
    expect(() => assertShape(A, 2, 3)).not.toThrow();
  });

  it('makes zeros and row matrices', () => {
    expect(zeros(2, 1)).toEqual([[0], [0]]);
    expect(zerosVector(3)).toEqual([0, 0, 0]);
    const v = [1, 2];
    const r = rowMatrix(v);
    r[0][0] = 9;
    expect(v).toEqual([1, 2]);
  });
});

describe('createRng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
  });

  it('is mulberry32: the first uniform of seed 1 is 2693262067 / 2³²', () => {
    // 2693262067 is the first output of the published one-line mulberry32 (run separately in
    // node); mulberry32Reference below recomputes it with BigInt, sharing no code with createRng.
    expect(mulberry32Reference(1)).toBe(2693262067);
    expect(createRng(1).uniform()).toBe(2693262067 / 4294967296);
    const rng = createRng(123456);
    expect(rng.uniform()).toBe(mulberry32Reference(123456) / 4294967296);
  });

  it('draws uniforms in [0, 1) and normals with mean ≈ 0, variance ≈ 1 over 1e5 draws', () => {
    const rng = createRng(7);
    let lo = 1, hi = 0, s = 0, s2 = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      const z = rng.normal();
      s += z;
      s2 += z * z;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    // standard error of the mean is 1/√n ≈ 0.0032; of the variance √(2/n) ≈ 0.0045: allow 5σ
    expect(Math.abs(s / n)).toBeLessThan(0.016);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.023);
  });

  it('fills matrices row by row', () => {
    const m = randnMatrix(2, 3, createRng(5));
    const r = createRng(5);
    expect(m).toEqual([[r.normal(), r.normal(), r.normal()], [r.normal(), r.normal(), r.normal()]]);
    const u = uniformMatrix(3, 2, -2, 2, createRng(5));
    for (const row of u) for (const x of row) expect(Math.abs(x)).toBeLessThanOrEqual(2);
    expect(shape(u)).toEqual([3, 2]);
  });
});

describe('NotImplementedError', () => {
  it('names the function and the README to read', () => {
    const e = new NotImplementedError('sigmoidGrad', 'exercises/01-activations/README.md');
    expect(e.name).toBe('NotImplementedError');
    expect(e.functionName).toBe('sigmoidGrad');
    expect(e.message).toBe('sigmoidGrad is not implemented yet: read exercises/01-activations/README.md, then replace the throw with your code.');
    expect(e).toBeInstanceOf(Error);
  });
});

/** The published mulberry32, written with BigInt so it shares no code path with createRng. */
function mulberry32Reference(seed: number): number {
  const M = 1n << 32n;
  const u32 = (x: bigint) => ((x % M) + M) % M;
  const imul = (a: bigint, b: bigint) => u32(a * b);
  let t = u32(BigInt(seed) + 0x6d2b79f5n);
  t = imul(t ^ (t >> 15n), t | 1n);
  t = u32(t ^ (t + imul(t ^ (t >> 7n), t | 61n)));
  return Number(u32(t ^ (t >> 14n)));
}

describe('gradcheck helpers', () => {
  it('numericGrad is a central difference that puts the entry back', async () => {
    const { numericGrad, relError, dot } = await import('../exercises/lib/gradcheck');
    const x = [3, -2];
    // f = x0² + 5·x1: gradient (6, 5); central differences are exact for quadratics up to rounding
    const g = numericGrad(() => x[0] ** 2 + 5 * x[1], x);
    expect(relError(g, [6, 5])).toBeLessThanOrEqual(1e-9);
    expect(x).toEqual([3, -2]);
    expect(dot([[1, 2], [3, 4]], [[1, 0], [0, -1]])).toBe(-3);
  });

  it('relError is the CS231n max over entries and refuses different lengths', async () => {
    const { relError } = await import('../exercises/lib/gradcheck');
    expect(relError([1, 0], [1, 0])).toBe(0);
    expect(relError([1, 3], [1, 1])).toBe(0.5); // |3 − 1| / (3 + 1)
    expect(relError([1e-9], [-1e-9])).toBe(0.2); // floor of 1e-8 in the denominator
    expect(() => relError([1], [1, 2])).toThrow('relError: 1 entries against 2: compare gradients of the same shape');
  });

  it('thrownBy returns the error, or passes a NotImplementedError on', async () => {
    const { thrownBy } = await import('../exercises/lib/gradcheck');
    const e = new RangeError('x');
    expect(thrownBy(() => { throw e; })).toBe(e);
    expect(thrownBy(() => 1)).toBeUndefined();
    expect(() => thrownBy(() => { throw new NotImplementedError('f'); })).toThrow(NotImplementedError);
  });
});
