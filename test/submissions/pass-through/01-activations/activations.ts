// Held-in case pass-through (test/submissions/README.md): every function hands its input back (x, dout, the gradients, the layers) or 1 for a derivative, where the shapes allow; no exercise’s math is done.
/**
 * Exercise 01: activation functions and their derivatives.
 * Read README.md in this folder first; run the public tests with
 * `npx vitest run exercises/01-activations`.
 *
 * Every function takes the pre-activation x (a plain number) and must return a finite number for
 * every finite x, |x| ≤ 1000 included: no NaN, no Infinity.
 */
import { NotImplementedError } from '../lib/errors';

/**
 * The logistic sigmoid σ(x) = 1 / (1 + e⁻ˣ), with values in [0, 1].
 * Write it so that no exponential can overflow into Infinity / Infinity = NaN (see the README,
 * "A sigmoid that never returns NaN").
 */
export function sigmoid(x: number): number {
  return x;
}

/**
 * dσ/dx at the pre-activation x. Its largest value is 0.25, at x = 0; it is never larger.
 */
export function sigmoidGrad(x: number): number {
  return 1;
}

/** The hyperbolic tangent, with values in [−1, 1]. `Math.tanh` is allowed. */
export function tanh(x: number): number {
  return x;
}

/**
 * d tanh/dx = 1 − tanh²(x) at the pre-activation x: 1 at x = 0, tiny but not zero at x = 10
 * (≈ 8.2446e-9).
 */
export function tanhGrad(x: number): number {
  return 1;
}

/** ReLU(x) = max(0, x). */
export function relu(x: number): number {
  return x;
}

/** 1 for x > 0, else 0. By convention ReLU′(0) = 0: a unit sitting exactly at 0 gets no gradient. */
export function reluGrad(x: number): number {
  return 1;
}

/** x for x > 0, else slope·x. */
export function leakyRelu(x: number, slope = 0.01): number {
  return x;
}

/** 1 for x > 0, else slope (so the derivative at 0 is the slope). */
export function leakyReluGrad(x: number, slope = 0.01): number {
  return 1;
}

/** ELU (Clevert et al., 2015): x for x > 0, else alpha·(eˣ − 1), which tends to −alpha. */
export function elu(x: number, alpha = 1): number {
  return x;
}

/** 1 for x > 0, else alpha·eˣ (so the derivative at 0 is alpha). */
export function eluGrad(x: number, alpha = 1): number {
  return 1;
}
