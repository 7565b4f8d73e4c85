/**
 * Measuring the two ways units stop learning: dead ReLUs (zero gradient for every input) and
 * saturated sigmoid/tanh units (a gradient so small that learning crawls).
 */
import { shape } from '../lib/tensor';
import type { ActivationName, Matrix, Vector } from '../lib/types';
import { sigmoidGrad, tanhGrad } from '../01-activations/activations';
// only names the course contract lists for 02, so this exercise is graded on its own whatever 02 holds
import { activationBackward, neuronForward } from '../02-backprop/backprop';

/** Fraction of columns (units) whose pre-activation is ≤ 0 in every row (example). */
export function deadUnitFraction(preActivations: Matrix): number {
  const [n, units] = shape(preActivations);
  if (units === 0) return 0;
  let dead = 0;
  for (let j = 0; j < units; j++) {
    let alive = false;
    for (let i = 0; i < n && !alive; i++) alive = preActivations[i][j] > 0;
    if (!alive) dead++;
  }
  return dead / units;
}

/** Fraction of entries (examples × units) whose act′(z) < gradThreshold. */
export function saturatedFraction(preActivations: Matrix, act: 'sigmoid' | 'tanh', gradThreshold = 1e-3): number {
  const [n, units] = shape(preActivations);
  if (n * units === 0) return 0;
  const grad = act === 'sigmoid' ? sigmoidGrad : tanhGrad;
  let count = 0;
  for (const row of preActivations) for (const z of row) if (grad(z) < gradThreshold) count++;
  return count / (n * units);
}

/** ratio = first / last of the per-layer gradient norms: < 1e-2 vanishing, > 1e2 exploding. */
export function gradientFlow(gradNorms: number[]): 'vanishing' | 'exploding' | 'healthy' {
  if (gradNorms.length === 0) throw new Error('gradientFlow: needs at least one gradient norm');
  const ratio = gradNorms[0] / gradNorms[gradNorms.length - 1];
  if (ratio < 1e-2) return 'vanishing';
  if (ratio > 1e2) return 'exploding';
  return 'healthy';
}

/** Plain SGD on loss = ½(a − target)²; each history entry is taken before its step's update. */
export function trainNeuron(
  w: Vector, b: number, x: Vector, target: number, act: ActivationName, lr: number, steps: number,
): { w: Vector; b: number; history: { z: number; a: number; loss: number }[] } {
  let weights = w.slice();
  let bias = b;
  const history: { z: number; a: number; loss: number }[] = [];
  for (let t = 0; t < steps; t++) {
    const { z, a } = neuronForward(weights, bias, x, act); // z = b + Σ wᵢxᵢ, a = act(z)
    history.push({ z, a, loss: 0.5 * (a - target) ** 2 });
    const dz = (a - target) * activationBackward([[1]], [[z]], act)[0][0]; // ∂loss/∂z = (a − target)·act′(z): exactly 0 for a dead ReLU
    weights = weights.map((wi, i) => wi - lr * dz * x[i]);
    bias -= lr * dz;
  }
  return { w: weights, b: bias, history };
}
