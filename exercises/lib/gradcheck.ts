/**
 * Helpers for checking gradients numerically, as the public tests do (and as you can in your own
 * experiments): central finite differences and the CS231n relative error.
 *
 *   const numeric = numericGrad(() => dot(myForward(x), dout), x[0]);   // ∂L/∂x[0][·]
 *   relError(numeric, myBackward(dout).dx[0]) ≤ 1e-7                    // a correct backward
 */
import type { Matrix } from './types';

/** CS231n relative error: max over entries of |a − b| / max(1e-8, |a| + |b|). */
export function relError(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`relError: ${a.length} entries against ${b.length}: compare gradients of the same shape`);
  let worst = 0;
  a.forEach((ai, k) => {
    worst = Math.max(worst, Math.abs(ai - b[k]) / Math.max(1e-8, Math.abs(ai) + Math.abs(b[k])));
  });
  return worst;
}

/**
 * (f(θ + h) − f(θ − h)) / 2h for every entry θ of `target`, which is changed in place and put
 * back: pass a row of the matrix you differentiate with respect to (e.g. `x[i]` or `layer.W[i]`).
 */
export function numericGrad(f: () => number, target: number[], h = 1e-5): number[] {
  return target.map((_, k) => {
    const old = target[k];
    target[k] = old + h;
    const plus = f();
    target[k] = old - h;
    const minus = f();
    target[k] = old;
    return (plus - minus) / (2 * h);
  });
}

/** Σ a ⊙ g: a scalar loss whose gradient with respect to `a` is exactly `g` (use a random g). */
export function dot(a: Matrix, g: Matrix): number {
  let s = 0;
  a.forEach((row, i) => row.forEach((v, j) => { s += v * g[i][j]; }));
  return s;
}

/**
 * Runs f and returns what it threw (undefined if nothing). A NotImplementedError is thrown on,
 * so a test that expects an error still fails while the function is a stub.
 */
export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    if (e instanceof Error && e.name === 'NotImplementedError') throw e;
    return e;
  }
  return undefined;
}
