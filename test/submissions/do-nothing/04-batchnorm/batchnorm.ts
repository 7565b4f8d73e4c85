// Held-in case do-nothing (test/submissions/README.md): every function returns zeros of the right shape (or 0, or its input unchanged where the output is the input’s kind: clipGradNorm, sgdStep, trainMlp’s layers); no exercise’s math is done.
/**
 * Exercise 04: batch normalization (Ioffe & Szegedy, 2015), with PyTorch's conventions.
 * Read README.md in this folder first; run the public tests with
 * `npx vitest run exercises/04-batchnorm`.
 */
import { NotImplementedError } from '../lib/errors';
import type { Matrix, Vector } from '../lib/types';

/** The learned parameters, one entry per feature (column): out = gamma ⊙ x̂ + beta. */
export interface BatchNormParams { gamma: Vector; beta: Vector }

/** The running statistics used in 'eval' mode, one entry per feature. */
export interface BatchNormState { runningMean: Vector; runningVar: Vector }

/** Optional settings: `eps` defaults to 1e-5, `momentum` to 0.1 (PyTorch's convention). */
export interface BatchNormOptions { eps?: number; momentum?: number }

/**
 * Normalizes each column of the batch `x` ([N][D]), then scales by `gamma` and shifts by `beta`.
 *
 * - 'train': x̂ = (x − μ_batch) / √(var_batch + eps), where var_batch is the BIASED variance (÷N).
 *   The returned state is running = (1 − momentum)·running + momentum·batch, and the running
 *   variance takes the UNBIASED batch variance (÷(N − 1)). Needs N ≥ 2.
 * - 'eval': x̂ = (x − runningMean) / √(runningVar + eps); the returned state has the same values
 *   as the given one.
 *
 * Never mutates `x`, `p` or `state`. `cache` is yours: store whatever `batchnormBackward` needs.
 */
export function batchnormForward(
  x: Matrix, p: BatchNormParams, state: BatchNormState, mode: 'train' | 'eval', opts?: BatchNormOptions,
): { out: Matrix; state: BatchNormState; cache: unknown } {
  return { out: x.map((r) => r.map(() => 0)), state, cache: x };
}

/**
 * Given dout = ∂L/∂out ([N][D]) and the cache of a `batchnormForward` call (either mode), returns
 * dx = ∂L/∂x ([N][D]), dgamma = ∂L/∂gamma and dbeta = ∂L/∂beta ([D] each).
 *
 * After 'train' the batch mean and variance depend on x, so dx has the full batch-norm form;
 * after 'eval' they are constants and dx = dout·gamma / √(runningVar + eps).
 */
export function batchnormBackward(dout: Matrix, cache: unknown): { dx: Matrix; dgamma: Vector; dbeta: Vector } {
  return { dx: dout.map((r) => r.map(() => 0)), dgamma: dout[0].map(() => 0), dbeta: dout[0].map(() => 0) };
}
