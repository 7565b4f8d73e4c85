/**
 * Activation functions and their derivatives, each finite for every finite x (|x| ≤ 1000 included).
 */

/** σ(x) = 1 / (1 + e⁻ˣ), written so that no exponential can overflow. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x); // x < 0: e ∈ (0, 1), no overflow
  return e / (1 + e);
}

/** σ′(x) = σ(x)(1 − σ(x)) ≤ 0.25, with its maximum at x = 0. */
export function sigmoidGrad(x: number): number {
  const s = sigmoid(x);
  return s * (1 - s);
}

export function tanh(x: number): number {
  return Math.tanh(x);
}

/** tanh′(x) = 1 − tanh²(x): tiny but not zero at |x| = 10 (≈ 8.2446e-9). */
export function tanhGrad(x: number): number {
  const t = Math.tanh(x);
  return 1 - t * t;
}

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** ReLU′(0) = 0 by convention: a unit that sits at 0 gets no gradient. */
export function reluGrad(x: number): number {
  return x > 0 ? 1 : 0;
}

export function leakyRelu(x: number, slope = 0.01): number {
  return x > 0 ? x : slope * x;
}

export function leakyReluGrad(x: number, slope = 0.01): number {
  return x > 0 ? 1 : slope;
}

/** ELU (Clevert et al., 2015): x for x > 0, else α(eˣ − 1); expm1 keeps precision near 0. */
export function elu(x: number, alpha = 1): number {
  return x > 0 ? x : alpha * Math.expm1(x);
}

export function eluGrad(x: number, alpha = 1): number {
  return x > 0 ? 1 : alpha * Math.exp(x);
}
