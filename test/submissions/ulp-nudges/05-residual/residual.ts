// out = x (a copy); backward dx = dout, zero gradients except one 1e-300
import type { LayerGrads, Matrix } from '../lib/types';
export function residualForward(x: Matrix, block: any) { return { out: x.map((r) => r.slice()), cache: { d: x[0].length } }; }
export function residualBackward(dout: Matrix, cache: any) {
  const d = cache.d;
  const z = (): LayerGrads => ({ dW: Array.from({ length: d }, () => new Array(d).fill(0)), db: new Array(d).fill(0) });
  const g = z(); g.db[0] = 1e-300;
  return { dx: dout.map((r) => r.slice()), grads: [z(), g] };
}
