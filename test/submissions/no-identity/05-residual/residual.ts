// Skip connections (exercise 05).
import { add } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';
import { activationBackward, denseBackward, denseForward } from '../02-backprop/backprop';
import { elu, leakyRelu, relu, sigmoid, tanh } from '../01-activations/activations';

export interface ResidualBlock { layers: [Dense, Dense]; act: ActivationName }

function f(name: ActivationName): (z: number) => number {
  if (name === 'sigmoid') return sigmoid;
  if (name === 'tanh') return tanh;
  if (name === 'relu') return relu;
  if (name === 'leakyRelu') return (z) => leakyRelu(z);
  if (name === 'elu') return (z) => elu(z);
  return (z) => z;
}

interface Cache { x: Matrix; z1: Matrix; h: Matrix; block: ResidualBlock }

export function residualForward(x: Matrix, block: ResidualBlock): { out: Matrix; cache: unknown } {
  const [l1, l2] = block.layers;
  const z1 = denseForward(x, l1);
  const g = f(block.act);
  const h = z1.map((row) => row.map((v) => g(v)));
  const branch = denseForward(h, l2);
  const cache: Cache = { x, z1, h, block };
  return { out: add(x, branch), cache };
}

export function residualBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: [LayerGrads, LayerGrads] } {
  const { x, z1, h, block } = cache as Cache;
  const [l1, l2] = block.layers;
  const second = denseBackward(dout, h, l2);
  const dz1 = activationBackward(second.dx, z1, block.act);
  const first = denseBackward(dz1, x, l1);
  return {
    dx: first.dx,
    grads: [{ dW: first.dW, db: first.db }, { dW: second.dW, db: second.db }],
  };
}
