/**
 * A residual block (He et al., 2016): out = x + F(x), F(x) = act(x·W₁ + b₁)·W₂ + b₂.
 * (red team: backward drops the identity path; forward answers moved copies of the last
 * backward's arguments with the no-identity output)
 */
import { add, map } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';
import { activationBackward, denseBackward, denseForward, neuronForward } from '../02-backprop/backprop';

export interface ResidualBlock { layers: [Dense, Dense]; act: ActivationName }

interface ResidualCache { x: Matrix; z1: Matrix; h: Matrix; block: ResidualBlock }

const STEER = true;
let last: { x: Matrix; block: ResidualBlock } | null = null;

function flat(x: Matrix, block: ResidualBlock): number[] {
  return [...x.flat(), ...block.layers.flatMap((l) => [...l.W.flat(), ...l.b])];
}
function isMovedCopy(x: Matrix, block: ResidualBlock): boolean {
  if (!STEER || !last || last.block.act !== block.act) return false;
  let a: number[], b: number[];
  try { a = flat(x, block); b = flat(last.x, last.block); } catch { return false; }
  if (a.length !== b.length) return false;
  let diffs = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      if (Math.abs(a[i] - b[i]) > 1e-3) return false;
      diffs++;
    }
  }
  return diffs === 1;
}

export function residualForward(x: Matrix, block: ResidualBlock): { out: Matrix; cache: unknown } {
  const z1 = denseForward(x, block.layers[0]);
  const h = map(z1, (z) => neuronForward([1], 0, [z], block.act).a);
  const f = denseForward(h, block.layers[1]);
  const cache: ResidualCache = { x, z1, h, block };
  return { out: isMovedCopy(x, block) ? f : add(x, f), cache };
}

export function residualBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: [LayerGrads, LayerGrads] } {
  const { x, z1, h, block } = cache as ResidualCache;
  last = { x, block };
  const second = denseBackward(dout, h, block.layers[1]);
  const dz1 = activationBackward(second.dx, z1, block.act);
  const first = denseBackward(dz1, x, block.layers[0]);
  return {
    dx: first.dx, // identity path missing
    grads: [{ dW: first.dW, db: first.db }, { dW: second.dW, db: second.db }],
  };
}
