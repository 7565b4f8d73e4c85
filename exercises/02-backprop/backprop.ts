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
  throw new NotImplementedError('neuronForward', 'exercises/02-backprop/README.md');
}

/** A dense layer's pre-activation z = x·W + b, b added to every row: [batch][fanIn] → [batch][fanOut]. */
export function denseForward(x: Matrix, layer: Dense): Matrix {
  throw new NotImplementedError('denseForward', 'exercises/02-backprop/README.md');
}

/**
 * Given dz = ∂L/∂z ([batch][fanOut]) and the layer's input x ([batch][fanIn]):
 * dx = dz·Wᵀ ([batch][fanIn]), dW = xᵀ·dz ([fanIn][fanOut]), db = column sums of dz ([fanOut]).
 */
export function denseBackward(dz: Matrix, x: Matrix, layer: Dense): { dx: Matrix } & LayerGrads {
  throw new NotImplementedError('denseBackward', 'exercises/02-backprop/README.md');
}

/**
 * dz = da ⊙ act′(z), element by element, with the derivative evaluated at the pre-activation z
 * (not at the output a). leakyRelu and elu use their defaults: slope 0.01, α = 1.
 */
export function activationBackward(da: Matrix, z: Matrix, act: ActivationName): Matrix {
  throw new NotImplementedError('activationBackward', 'exercises/02-backprop/README.md');
}

/**
 * Runs x through every layer: z = denseForward(h, layers[i]), then h = act(z) after every layer
 * but the last; the last layer is linear, so `out` is its z. `cache` is yours: store whatever
 * `mlpBackward` needs (each layer's input and pre-activation, the layers, the activation).
 */
export function mlpForward(x: Matrix, layers: Dense[], act: ActivationName): { out: Matrix; cache: unknown } {
  throw new NotImplementedError('mlpForward', 'exercises/02-backprop/README.md');
}

/**
 * Given dout = ∂L/∂out and the cache of `mlpForward`, walks the layers from the last to the
 * first and returns dx = ∂L/∂x and one LayerGrads per layer, grads[i] belonging to layers[i]
 * (input side first).
 */
export function mlpBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: LayerGrads[] } {
  throw new NotImplementedError('mlpBackward', 'exercises/02-backprop/README.md');
}

/**
 * Mean squared error over a batch of N rows: loss = (1 / 2N) Σᵢ ‖predᵢ − targetᵢ‖²,
 * and its gradient dpred = (pred − target) / N.
 */
export function mseLoss(pred: Matrix, target: Matrix): { loss: number; dpred: Matrix } {
  throw new NotImplementedError('mseLoss', 'exercises/02-backprop/README.md');
}

/** The Frobenius norm ‖dW‖ = √(Σ dW²) of each layer's weight gradient, input side first (db is not included). */
export function layerGradNorms(grads: LayerGrads[]): number[] {
  throw new NotImplementedError('layerGradNorms', 'exercises/02-backprop/README.md');
}
