/**
 * A residual block written with my own helper `act` from 02 (not in the contract).
 */
import { add, map } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';
import { act, activationBackward, denseBackward, denseForward } from '../02-backprop/backprop';

export interface ResidualBlock { layers: [Dense, Dense]; act: ActivationName }

interface Cache { x: Matrix; z1: Matrix; h: Matrix; block: ResidualBlock }

export function residualForward(x: Matrix, block: ResidualBlock): { out: Matrix; cache: unknown } {
  const z1 = denseForward(x, block.layers[0]);
  const h = map(z1, (z) => act(block.act, z));
  const cache: Cache = { x, z1, h, block };
  return { out: add(x, denseForward(h, block.layers[1])), cache };
}

export function residualBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: [LayerGrads, LayerGrads] } {
  const { x, z1, h, block } = cache as Cache;
  const second = denseBackward(dout, h, block.layers[1]);
  const first = denseBackward(activationBackward(second.dx, z1, block.act), x, block.layers[0]);
  return { dx: add(dout, first.dx), grads: [{ dW: first.dW, db: first.db }, { dW: second.dW, db: second.db }] };
}
