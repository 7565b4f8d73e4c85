// Held-in case do-nothing (test/submissions/README.md): every function returns zeros of the right shape (or 0, or its input unchanged where the output is the input’s kind: clipGradNorm, sgdStep, trainMlp’s layers); no exercise’s math is done.
/**
 * Exercise 07: training the networks of 02–05 and watching which ones learn — the one whose first
 * layer hears almost nothing, the one that explodes — and clipping the gradient's global norm.
 * Read README.md in this folder first; run the public tests with
 * `npx vitest run exercises/07-training`.
 */
import { NotImplementedError } from '../lib/errors';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';

/** One history entry: the network as it was BEFORE that step's update. */
export interface TrainStep { loss: number; gradNorm: number; firstLayerGradNorm: number }

/** trainMlp's options: learning rate, number of steps, and (optionally) the largest global gradient norm let through. */
export interface TrainOptions { lr: number; steps: number; clipNorm?: number }

/**
 * The global gradient norm √(Σ‖dWᵢ‖² + Σ‖dbᵢ‖²) over every layer: the Euclidean length of all the
 * network's gradients laid end to end (the norm PyTorch's clip_grad_norm_ uses). 0 for all-zero gradients.
 */
export function globalGradNorm(grads: LayerGrads[]): number {
  return 0;
}

/**
 * Clips by the global norm: when globalGradNorm(grads) exceeds maxNorm, every dW and db is
 * multiplied by the same factor maxNorm / globalGradNorm(grads); otherwise the values come back
 * unchanged. Returns new arrays; `grads` is never mutated. maxNorm must be positive.
 */
export function clipGradNorm(grads: LayerGrads[], maxNorm: number): LayerGrads[] {
  return grads;
}

/**
 * One step of gradient descent: W − lr·dW and b − lr·db for every layer (grads[i] belongs to
 * layers[i]), as new layers; neither `layers` nor `grads` is mutated.
 */
export function sgdStep(layers: Dense[], grads: LayerGrads[], lr: number): Dense[] {
  return layers;
}

/**
 * Full-batch gradient descent on mseLoss(mlpForward(x, layers, act).out, y) for opts.steps steps,
 * with mlpForward, mlpBackward and mseLoss from 02. history has one entry per step, taken BEFORE
 * that step's update: the loss, the global gradient norm before any clipping, and ‖dW₁‖ (Frobenius)
 * of the first layer, also before clipping. With opts.clipNorm the gradients go through
 * clipGradNorm before sgdStep. Returns the layers after the last update; with steps = 0, the
 * layers as given and an empty history. Non-finite numbers are not caught: a run that explodes
 * ends in Infinity and NaN, every step still recorded.
 */
export function trainMlp(
  x: Matrix, y: Matrix, layers: Dense[], act: ActivationName, opts: TrainOptions,
): { layers: Dense[]; history: TrainStep[] } {
  return { layers, history: Array.from({ length: opts.steps }, () => ({ loss: 0, gradNorm: 0, firstLayerGradNorm: 0 })) };
}
