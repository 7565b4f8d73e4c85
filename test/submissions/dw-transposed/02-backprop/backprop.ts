// Backprop through a deep network (exercise 02).
import { addRowVector, colSums, frobeniusNorm, matmul, transpose } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix, Vector } from '../lib/types';
import { elu, eluGrad, leakyRelu, leakyReluGrad, relu, reluGrad, sigmoid, sigmoidGrad, tanh, tanhGrad } from '../01-activations/activations';

function act(name: ActivationName): [(z: number) => number, (z: number) => number] {
  switch (name) {
    case 'sigmoid': return [sigmoid, sigmoidGrad];
    case 'tanh': return [tanh, tanhGrad];
    case 'relu': return [relu, reluGrad];
    case 'leakyRelu': return [(z) => leakyRelu(z), (z) => leakyReluGrad(z)];
    case 'elu': return [(z) => elu(z), (z) => eluGrad(z)];
    case 'identity': return [(z) => z, () => 1];
  }
  throw new Error(`unknown activation ${name}`);
}

function apply(m: Matrix, f: (z: number) => number): Matrix {
  return m.map((row) => row.map((v) => f(v)));
}

export function neuronForward(w: Vector, b: number, x: Vector, name: ActivationName): { z: number; a: number } {
  if (w.length !== x.length) throw new Error('w and x differ in length');
  let z = b;
  for (let i = 0; i < w.length; i++) z += w[i] * x[i];
  return { z, a: act(name)[0](z) };
}

export function denseForward(x: Matrix, layer: Dense): Matrix {
  return addRowVector(matmul(x, layer.W), layer.b);
}

export function denseBackward(dz: Matrix, x: Matrix, layer: Dense): { dx: Matrix; dW: Matrix; db: Vector } {
  return { dx: matmul(dz, transpose(layer.W)), dW: matmul(transpose(dz), x), db: colSums(dz) };
}

export function activationBackward(da: Matrix, z: Matrix, name: ActivationName): Matrix {
  const d = act(name)[1];
  return da.map((row, i) => row.map((g, j) => g * d(z[i][j])));
}

interface Cache { xs: Matrix[]; zs: Matrix[]; layers: Dense[]; name: ActivationName }

export function mlpForward(x: Matrix, layers: Dense[], name: ActivationName): { out: Matrix; cache: unknown } {
  const f = act(name)[0];
  const xs: Matrix[] = [];
  const zs: Matrix[] = [];
  let h = x;
  for (let i = 0; i < layers.length; i++) {
    xs.push(h);
    const z = denseForward(h, layers[i]);
    zs.push(z);
    h = i === layers.length - 1 ? z : apply(z, f);
  }
  const cache: Cache = { xs, zs, layers, name };
  return { out: h, cache };
}

export function mlpBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: LayerGrads[] } {
  const { xs, zs, layers, name } = cache as Cache;
  const grads: LayerGrads[] = [];
  let dz = dout;
  let dx = dout;
  for (let i = layers.length - 1; i >= 0; i--) {
    const g = denseBackward(dz, xs[i], layers[i]);
    grads[i] = { dW: g.dW, db: g.db };
    dx = g.dx;
    if (i > 0) dz = activationBackward(g.dx, zs[i - 1], name);
  }
  return { dx, grads };
}

export function mseLoss(pred: Matrix, target: Matrix): { loss: number; dpred: Matrix } {
  const n = pred.length;
  let s = 0;
  const dpred = pred.map((row, i) => row.map((p, j) => {
    const d = p - target[i][j];
    s += d * d;
    return d / n;
  }));
  return { loss: s / (2 * n), dpred };
}

export function layerGradNorms(grads: LayerGrads[]): number[] {
  return grads.map((g) => frobeniusNorm(g.dW));
}
