// Held-in case do-nothing (test/submissions/README.md): every function returns zeros of the right shape (or 0, or its input unchanged where the output is the input’s kind: clipGradNorm, sgdStep, trainMlp’s layers); no exercise’s math is done.
/**
 * Exercise 06: measuring the two ways units stop learning, dead ReLUs (gradient exactly 0) and
 * saturated sigmoid/tanh units (gradient tiny but not 0).
 * Read README.md in this folder first; run the public tests with
 * `npx vitest run exercises/06-dead-neurons`.
 */
import { NotImplementedError } from '../lib/errors';
import type { ActivationName, Matrix, Vector } from '../lib/types';

/**
 * Fraction of units (columns) whose pre-activation is ≤ 0 for EVERY example (row): such a ReLU
 * unit outputs 0 and gets gradient 0 on the whole batch. An empty matrix gives 0.
 */
export function deadUnitFraction(preActivations: Matrix): number {
  return 0;
}

/**
 * Fraction of ENTRIES (examples × units) whose act′(z) < gradThreshold (strictly less).
 * An empty matrix gives 0.
 */
export function saturatedFraction(preActivations: Matrix, act: 'sigmoid' | 'tanh', gradThreshold = 1e-3): number {
  return 0;
}

/**
 * Classifies per-layer gradient norms (input side first) by ratio = first / last:
 * < 1e-2 'vanishing', > 1e2 'exploding', otherwise 'healthy' (1e-2 and 1e2 themselves are
 * 'healthy'). Throws on an empty list.
 */
export function gradientFlow(gradNorms: number[]): 'vanishing' | 'exploding' | 'healthy' {
  return 'healthy';
}

/**
 * Trains one neuron, z = w·x + b, a = act(z), with plain SGD on loss = ½(a − target)² for
 * `steps` steps at learning rate `lr`. history[t] holds z, a and loss computed BEFORE step t's
 * update, so history has `steps` entries. leakyRelu and elu use their default slope and α.
 * Does not mutate `w`; returns the final weights and bias.
 */
export function trainNeuron(
  w: Vector, b: number, x: Vector, target: number, act: ActivationName, lr: number, steps: number,
): { w: Vector; b: number; history: { z: number; a: number; loss: number }[] } {
  return { w: [...w], b, history: Array.from({ length: steps }, () => ({ z: 0, a: 0, loss: 0 })) };
}
