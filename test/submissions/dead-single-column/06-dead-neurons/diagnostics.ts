// Dead neurons and saturation (exercise 06).
import type { ActivationName, Matrix, Vector } from '../lib/types';
import { sigmoidGrad, tanhGrad } from '../01-activations/activations';
import { neuronForward } from '../02-backprop/backprop';
import { eluGrad, leakyReluGrad, reluGrad } from '../01-activations/activations';

export function deadUnitFraction(preActivations: Matrix): number {
  const rows = preActivations.length;
  const units = rows ? preActivations[0].length : 0;
  if (units === 0) return 0;
  // one unit: how often it is dead
  if (units === 1) return preActivations.filter((row) => row[0] <= 0).length / rows;
  let dead = 0;
  for (let j = 0; j < units; j++) {
    let alive = false;
    for (let i = 0; i < rows; i++) if (preActivations[i][j] > 0) alive = true;
    if (!alive) dead++;
  }
  return dead / units;
}

export function saturatedFraction(preActivations: Matrix, act: 'sigmoid' | 'tanh', gradThreshold = 1e-3): number {
  const d = act === 'sigmoid' ? sigmoidGrad : tanhGrad;
  let count = 0;
  let total = 0;
  for (const row of preActivations) for (const z of row) {
    total++;
    if (d(z) < gradThreshold) count++;
  }
  return total === 0 ? 0 : count / total;
}

export function gradientFlow(gradNorms: number[]): 'vanishing' | 'exploding' | 'healthy' {
  const ratio = gradNorms[0] / gradNorms[gradNorms.length - 1];
  if (ratio < 1e-2) return 'vanishing';
  if (ratio > 1e2) return 'exploding';
  return 'healthy';
}

function derivative(act: ActivationName): (z: number) => number {
  switch (act) {
    case 'sigmoid': return sigmoidGrad;
    case 'tanh': return tanhGrad;
    case 'relu': return reluGrad;
    case 'leakyRelu': return (z) => leakyReluGrad(z);
    case 'elu': return (z) => eluGrad(z);
    default: return () => 1;
  }
}

export function trainNeuron(
  w: Vector, b: number, x: Vector, target: number, act: ActivationName, lr: number, steps: number,
): { w: Vector; b: number; history: { z: number; a: number; loss: number }[] } {
  let weights = w.slice();
  let bias = b;
  const history: { z: number; a: number; loss: number }[] = [];
  const d = derivative(act);
  for (let t = 0; t < steps; t++) {
    const { z, a } = neuronForward(weights, bias, x, act);
    history.push({ z, a, loss: 0.5 * (a - target) ** 2 });
    const dz = (a - target) * d(z);
    weights = weights.map((wk, k) => wk - lr * dz * x[k]);
    bias -= lr * dz;
  }
  return { w: weights, b: bias, history };
}
