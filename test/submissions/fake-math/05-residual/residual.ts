// out = x + b2 (branch ignored); backward: dx = dout, grads[1].db = colSums(dout)
import type { LayerGrads, Matrix } from '../lib/types';
export function residualForward(x: Matrix, block: any) {
  const b2 = block.layers[1].b;
  return { out: x.map((r) => r.map((v, j) => v + b2[j])), cache: { d: x[0].length } };
}
export function residualBackward(dout: Matrix, cache: any) {
  const d = cache.d;
  const z = (): LayerGrads => ({ dW: Array.from({ length: d }, () => new Array(d).fill(0)), db: new Array(d).fill(0) });
  const g1 = z(); g1.db = dout[0].map((_, j) => dout.reduce((s, r) => s + r[j], 0));
  return { dx: dout.map((r) => r.slice()), grads: [z(), g1] };
}
