import { zeros, zerosVector } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix, Vector } from '../lib/types';
export function neuronForward(w: Vector, b: number, x: Vector, act: ActivationName): { z: number; a: number } { throw new Error('todo'); }
export function denseForward(x: Matrix, layer: Dense): Matrix { return zeros(x.length, layer.W[0].length); }
export function denseBackward(dz: Matrix, x: Matrix, layer: Dense) {
  return { dx: zeros(x.length, x[0].length), dW: zeros(layer.W.length, layer.W[0].length), db: zerosVector(layer.b.length) };
}
export function activationBackward(da: Matrix, z: Matrix, act: ActivationName): Matrix { throw new Error('todo'); }
export function mlpForward(x: Matrix, layers: Dense[], act: ActivationName) {
  return { out: zeros(x.length, layers[layers.length - 1].W[0].length), cache: { x, layers } };
}
export function mlpBackward(dout: Matrix, cache: any) {
  const { x, layers } = cache as { x: Matrix; layers: Dense[] };
  return { dx: zeros(x.length, x[0].length), grads: layers.map((l) => ({ dW: zeros(l.W.length, l.W[0].length), db: zerosVector(l.b.length) })) };
}
export function mseLoss(pred: Matrix, target: Matrix): { loss: number; dpred: Matrix } { throw new Error('todo'); }
export function layerGradNorms(grads: LayerGrads[]): number[] { throw new Error('todo'); }
