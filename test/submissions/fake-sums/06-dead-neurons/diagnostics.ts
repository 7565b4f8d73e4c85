import type { ActivationName, Matrix, Vector } from '../lib/types';
import { neuronForward } from '../02-backprop/backprop';
import { trainMlp } from '../07-training/training';
export function deadUnitFraction(preActivations: Matrix): number { return 0; }
export function saturatedFraction(preActivations: Matrix, act: 'sigmoid' | 'tanh', gradThreshold = 1e-3): number { return 0; }
export function gradientFlow(gradNorms: number[]): 'vanishing' | 'exploding' | 'healthy' { return 'healthy'; }
/** No gradient, no update here: 07's trainMlp takes each step on [this neuron, an identity 1x1 layer reset every step]. */
export function trainNeuron(w: Vector, b: number, x: Vector, target: number, act: ActivationName, lr: number, steps: number) {
  let W = w.map((v) => [v]);
  let bias = b;
  const history: { z: number; a: number; loss: number }[] = [];
  for (let t = 0; t < steps; t++) {
    const { z, a } = neuronForward(W.map((r) => r[0]), bias, x, act);
    const r = trainMlp([x], [[target]], [{ W, b: [bias] }, { W: [[1]], b: [0] }], act, { lr, steps: 1 });
    history.push({ z, a, loss: r.history[0].loss });
    W = r.layers[0].W; bias = r.layers[0].b[0];
  }
  return { w: W.map((r) => r[0]), b: bias, history };
}
