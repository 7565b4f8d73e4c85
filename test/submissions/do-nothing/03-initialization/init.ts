// Held-in case do-nothing (test/submissions/README.md): every function returns zeros of the right shape (or 0, or its input unchanged where the output is the input’s kind: clipGradNorm, sgdStep, trainMlp’s layers); no exercise’s math is done.
/**
 * Exercise 03: weight initialization (Glorot & Bengio, 2010; He et al., 2015).
 * Read README.md in this folder first; run the public tests with
 * `npx vitest run exercises/03-initialization`.
 *
 * Every matrix is [fanIn][fanOut]: fanIn rows of fanOut entries, the shape of Dense.W.
 * Draw only from the `rng` you are given (`rng.uniform()` in [0, 1), `rng.normal()` ~ N(0, 1));
 * `../lib/rng` also has `uniformMatrix` and `randnMatrix`. The order of the draws is yours.
 */
import { NotImplementedError } from '../lib/errors';
import type { Dense, Matrix, Rng } from '../lib/types';

/** The schemes `initMlp` accepts. `standardNormal` is plain N(0, 1), the baseline that saturates tanh. */
export type InitScheme = 'xavierUniform' | 'xavierNormal' | 'heUniform' | 'heNormal' | 'standardNormal';

/** Glorot/Xavier uniform: U(−a, a) with a = √(6 / (fanIn + fanOut)), so Var(W) = 2 / (fanIn + fanOut). */
export function xavierUniform(fanIn: number, fanOut: number, rng: Rng): Matrix {
  return Array.from({ length: fanIn }, () => Array(fanOut).fill(0));
}

/** Glorot/Xavier normal: N(0, 2 / (fanIn + fanOut)), a variance (the standard deviation is its square root). */
export function xavierNormal(fanIn: number, fanOut: number, rng: Rng): Matrix {
  return Array.from({ length: fanIn }, () => Array(fanOut).fill(0));
}

/** He uniform: U(−a, a) with a = √(6 / fanIn), so Var(W) = 2 / fanIn. */
export function heUniform(fanIn: number, fanOut: number, rng: Rng): Matrix {
  return Array.from({ length: fanIn }, () => Array(fanOut).fill(0));
}

/** He normal: N(0, 2 / fanIn), a variance that uses the fan-in only (ReLU zeroes half its inputs). */
export function heNormal(fanIn: number, fanOut: number, rng: Rng): Matrix {
  return Array.from({ length: fanIn }, () => Array(fanOut).fill(0));
}

/**
 * The layers of an MLP with sizes = [in, h1, …, out]: sizes.length − 1 layers, layer i with
 * W of shape [sizes[i]][sizes[i + 1]] drawn by `scheme` and b = zeros(sizes[i + 1]).
 * All layers draw from the same rng, one after the other. Fewer than two sizes give [].
 */
export function initMlp(sizes: number[], scheme: InitScheme, rng: Rng): Dense[] {
  return sizes.slice(1).map((o, i) => ({ W: Array.from({ length: sizes[i] }, () => Array(o).fill(0)), b: Array(o).fill(0) }));
}
