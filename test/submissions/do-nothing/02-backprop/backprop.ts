// Held-in case do-nothing (test/submissions/README.md): every function returns zeros of the right shape (or 0, or its input unchanged where the output is the input’s kind: clipGradNorm, sgdStep, trainMlp’s layers); no exercise’s math is done.
/**
 * Exercise 02: forward and backward passes of a fully connected network, one layer at a time.
 * Read README.md in this folder first; run the public tests with
 * `npx vitest run exercises/02-backprop`.
 *
 * Shapes: a batch x is [batch][fanIn], W is [fanIn][fanOut], b has fanOut entries.
 * Helpers you may import: `../lib/tensor` (matmul, transpose, addRowVector, colSums, map, mul,
 * sub, frobeniusNorm, shape, …) and your activations from `../01-activations/activations`.
 */
import { NotImplementedError } from '../lib/errors';
import type { ActivationName, Dense, LayerGrads, Matrix, Vector } from '../lib/types';

export type { Dense, LayerGrads } from '../lib/types';

/**
 * One neuron: z = w·x + b (a dot product plus the bias), a = act(z).
 * Throws an Error if `w` and `x` do not have the same length.
 * Example: neuronForward([0.5, 0.5], 0.5, [1, 1], 'tanh') gives z = 1.5, a ≈ 0.9051.
 */
export function neuronForward(w: Vector, b: number, x: Vector, act: ActivationName): { z: number; a: number } {
  return { z: 0, a: 0 };
}

/** A dense layer's pre-activation z = x·W + b, b added to every row: [batch][fanIn] → [batch][fanOut]. */
export function denseForward(x: Matrix, layer: Dense): Matrix {
  return x.map(() => layer.b.map(() => 0));
}

/**
 * Given dz = ∂L/∂z ([batch][fanOut]) and the layer's input x ([batch][fanIn]):
 * dx = dz·Wᵀ ([batch][fanIn]), dW = xᵀ·dz ([fanIn][fanOut]), db = column sums of dz ([fanOut]).
 */
export function denseBackward(dz: Matrix, x: Matrix, layer: Dense): { dx: Matrix } & LayerGrads {
  return { dx: x.map((r) => r.map(() => 0)), dW: layer.W.map((r) => r.map(() => 0)), db: layer.b.map(() => 0) };
}

/**
 * dz = da ⊙ act′(z), element by element, with the derivative evaluated at the pre-activation z
 * (not at the output a). leakyRelu and elu use their defaults: slope 0.01, α = 1.
 */
export function activationBackward(da: Matrix, z: Matrix, act: ActivationName): Matrix {
  return da.map((r) => r.map(() => 0));
}

/**
 * Runs x through every layer: z = denseForward(h, layers[i]), then h = act(z) after every layer
 * but the last; the last layer is linear, so `out` is its z. `cache` is yours: store whatever
 * `mlpBackward` needs (each layer's input and pre-activation, the layers, the activation).
 */
export function mlpForward(x: Matrix, layers: Dense[], act: ActivationName): { out: Matrix; cache: unknown } {
  const width = layers[layers.length - 1].b.length;
  return { out: x.map(() => Array(width).fill(0)), cache: { x, layers } };
}

/**
 * Given dout = ∂L/∂out and the cache of `mlpForward`, walks the layers from the last to the
 * first and returns dx = ∂L/∂x and one LayerGrads per layer, grads[i] belonging to layers[i]
 * (input side first).
 */
export function mlpBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: LayerGrads[] } {
  const { x, layers } = cache as { x: Matrix; layers: Dense[] };
  return { dx: x.map((r) => r.map(() => 0)), grads: layers.map((l) => ({ dW: l.W.map((r) => r.map(() => 0)), db: l.b.map(() => 0) })) };
}

/**
 * Mean squared error over a batch of N rows: loss = (1 / 2N) Σᵢ ‖predᵢ − targetᵢ‖²,
 * and its gradient dpred = (pred − target) / N.
 */
export function mseLoss(pred: Matrix, target: Matrix): { loss: number; dpred: Matrix } {
  return { loss: 0, dpred: pred.map((r) => r.map(() => 0)) };
}

/** The Frobenius norm ‖dW‖ = √(Σ dW²) of each layer's weight gradient, input side first (db is not included). */
export function layerGradNorms(grads: LayerGrads[]): number[] {
  return grads.map(() => 0);
}
