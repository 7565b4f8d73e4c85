/**
 * The activations and their derivatives in the trusted process, for the suites' reference
 * computations and known-mistake variants (the student's own 01 is never trusted here).
 * Default slope 0.01 and α = 1, as the contract's defaults.
 */
import type { ActivationName } from '../../exercises/lib/types.js';

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export const ACT: Record<ActivationName, { f: (z: number) => number; df: (z: number) => number }> = {
  sigmoid: { f: sigmoid, df: (z) => sigmoid(z) * (1 - sigmoid(z)) },
  tanh: { f: Math.tanh, df: (z) => 1 - Math.tanh(z) ** 2 },
  relu: { f: (z) => (z > 0 ? z : 0), df: (z) => (z > 0 ? 1 : 0) },
  leakyRelu: { f: (z) => (z > 0 ? z : 0.01 * z), df: (z) => (z > 0 ? 1 : 0.01) },
  elu: { f: (z) => (z > 0 ? z : Math.expm1(z)), df: (z) => (z > 0 ? 1 : Math.exp(z)) },
  identity: { f: (z) => z, df: () => 1 },
};
