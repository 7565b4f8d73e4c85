/**
 * A residual block (He et al., 2016): out = x + F(x), F(x) = act(x·W₁ + b₁)·W₂ + b₂.
 */
import { add, map } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';
// only names the course contract lists for 02: they come from the reference, so this exercise is
// graded on its own whatever 02-backprop/backprop.ts holds (spec/COURSE.md, "Layout of a submission")
import { activationBackward, denseBackward, denseForward, neuronForward } from '../02-backprop/backprop';

export interface ResidualBlock { layers: [Dense, Dense]; act: ActivationName }

interface ResidualCache { x: Matrix; z1: Matrix; h: Matrix; block: ResidualBlock }

export function residualForward(x: Matrix, block: ResidualBlock): { out: Matrix; cache: unknown } {
  const z1 = denseForward(x, block.layers[0]);
  const h = map(z1, (z) => neuronForward([1], 0, [z], block.act).a); // act(1·z + 0) = act(z)
  const f = denseForward(h, block.layers[1]);
  const cache: ResidualCache = { x, z1, h, block };
  return { out: add(x, f), cache };
}

export function residualBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: [LayerGrads, LayerGrads] } {
  const { x, z1, h, block } = cache as ResidualCache;
  const second = denseBackward(dout, h, block.layers[1]);
  const dz1 = activationBackward(second.dx, z1, block.act);
  const first = denseBackward(dz1, x, block.layers[0]);
  // identity path: dout passes through unchanged and adds to the branch's gradient
  return {
    dx: add(dout, first.dx),
    grads: [{ dW: first.dW, db: first.db }, { dW: second.dW, db: second.db }],
  };
}
