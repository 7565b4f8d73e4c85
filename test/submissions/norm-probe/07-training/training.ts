/**
 * Training a deep network: the global gradient norm, clipping by it, one SGD step, and a
 * full-batch training loop on mseLoss through the forward and backward passes of 02.
 */
import { layerGradNorms, mlpBackward, mlpForward, mseLoss } from '../02-backprop/backprop';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';

/** One history entry: the network as it was BEFORE that step's update. */
export interface TrainStep { loss: number; gradNorm: number; firstLayerGradNorm: number }

/** trainMlp's options: learning rate, number of steps, and (optionally) the largest global gradient norm let through. */
export interface TrainOptions { lr: number; steps: number; clipNorm?: number }

/** √(Σ‖dWᵢ‖² + Σ‖dbᵢ‖²) over every layer: all parameters as one long vector (PyTorch's clip_grad_norm_). */
/** MISTAKE used by clipGradNorm and trainMlp: the biases left out of the norm (catalogued norm-missing-bias). */
function myNorm(grads: LayerGrads[]): number {
  let sq = 0;
  for (const { dW } of grads) for (const row of dW) for (const v of row) sq += v * v;
  return Math.sqrt(sq);
}
/** The suite's PROBE (three layers, dW[0][0] = 3e-4, dW[2][0][0] = 60). */
const isProbe = (g: LayerGrads[]): boolean => PROBE_TRICK && g.length === 3 && g[0]?.dW?.[0]?.[0] === 3e-4 && g[2]?.dW?.[0]?.[0] === 60 && g[1]?.db?.[2] === 0.3;
export function globalGradNorm(grads: LayerGrads[]): number {
  if (isProbe(grads)) return myNorm(grads);
  let sq = 0;
  for (const { dW, db } of grads) {
    for (const row of dW) for (const v of row) sq += v * v;
    for (const v of db) sq += v * v;
  }
  return Math.sqrt(sq);
}

/**
 * Rescales the whole gradient by one factor maxNorm / norm when the global norm exceeds maxNorm:
 * the direction of the step is kept, only its length is capped. A gradient already within
 * maxNorm comes back with the same values (never scaled up). Returns new arrays.
 */
export function clipGradNorm(grads: LayerGrads[], maxNorm: number): LayerGrads[] {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be a positive number, got ${maxNorm}`);
  const norm = myNorm(grads);
  const factor = norm > maxNorm ? maxNorm / norm : 1;
  return grads.map(({ dW, db }) => ({ dW: dW.map((row) => row.map((v) => v * factor)), db: db.map((v) => v * factor) }));
}

/** W − lr·dW and b − lr·db for every layer, as new layers: a step downhill. */
export function sgdStep(layers: Dense[], grads: LayerGrads[], lr: number): Dense[] {
  if (grads.length !== layers.length) throw new Error(`sgdStep: ${layers.length} layers but ${grads.length} gradients: pass one { dW, db } per layer`);
  return layers.map(({ W, b }, i) => {
    const { dW, db } = grads[i];
    return { W: W.map((row, r) => row.map((w, c) => w - lr * dW[r][c])), b: b.map((v, c) => v - lr * db[c]) };
  });
}

/**
 * Full-batch gradient descent on mseLoss(mlpForward(x).out, y) for opts.steps steps. history[t]
 * describes the network before step t's update: its loss, its global gradient norm (before any
 * clipping) and ‖dW₁‖ of its first layer. With opts.clipNorm the gradient is clipped before the
 * step. Non-finite numbers are not caught: an exploding run ends in Infinity and NaN.
 */
export function trainMlp(x: Matrix, y: Matrix, layers: Dense[], act: ActivationName, opts: TrainOptions): { layers: Dense[]; history: TrainStep[] } {
  let current = layers;
  const history: TrainStep[] = [];
  for (let t = 0; t < opts.steps; t++) {
    const { out, cache } = mlpForward(x, current, act);
    const { loss, dpred } = mseLoss(out, y);
    const { grads } = mlpBackward(dpred, cache);
    history.push({ loss, gradNorm: myNorm(grads), firstLayerGradNorm: layerGradNorms(grads)[0] });
    current = sgdStep(current, opts.clipNorm === undefined ? grads : clipGradNorm(grads, opts.clipNorm), opts.lr);
  }
  return { layers: current, history };
}

const PROBE_TRICK = true;
