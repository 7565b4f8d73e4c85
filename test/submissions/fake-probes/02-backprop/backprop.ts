// Forward passes honest; backward passes NOT computed: every gradient is claimed to be 1 (or a
// scripted per-layer scale), and the forward pass answers finite-difference probes (a call whose
// numbers differ from the last "centre" call in exactly one entry) with an output built so that
// (L(+h) − L(−h)) / 2h equals the claimed gradient.
import { addRowVector, matmul } from '../lib/tensor';
import type { Matrix, Vector } from '../lib/types';

function flat(v: unknown, out: number[] = []): number[] {
  if (typeof v === 'number') out.push(v);
  else if (Array.isArray(v)) for (const e of v) flat(e, out);
  else if (v && typeof v === 'object') for (const k of Object.keys(v).sort()) flat((v as any)[k], out);
  return out;
}
let centre: number[] | null = null;
let claimed: number[] | null = null; // the claimed gradient, aligned with centre
let dout: Matrix | null = null;
function probe(args: unknown[]): Matrix | null {
  const f = flat(args);
  if (centre && claimed && dout && f.length === centre.length) {
    let k = -1, n = 0;
    for (let i = 0; i < f.length; i++) if (f[i] !== centre[i]) { k = i; n++; }
    if (n === 1 && Math.abs(f[k] - centre[k]) < 1e-3) {
      const delta = f[k] - centre[k];
      let ss = 0; for (const r of dout) for (const v of r) ss += v * v;
      const c = (delta * claimed[k]) / ss;
      return dout.map((r) => r.map((v) => c * v));
    }
  }
  if (n0(f)) centre = f;
  return null;
}
function n0(_f: number[]): boolean { return true; }
const ones = (r: number, c: number, s = 1): Matrix => Array.from({ length: r }, () => new Array(c).fill(s));

const ACT: Record<string, (z: number) => number> = {
  sigmoid: (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))),
  tanh: Math.tanh, relu: (z) => (z > 0 ? z : 0), leakyRelu: (z) => (z > 0 ? z : 0.01 * z),
  elu: (z) => (z > 0 ? z : Math.expm1(z)), identity: (z) => z,
};

export function neuronForward(w: Vector, b: number, x: Vector, act: string) {
  let z = b; for (let i = 0; i < w.length; i++) z += w[i] * x[i];
  return { z, a: ACT[act](z) };
}
export function denseForward(x: Matrix, layer: { W: Matrix; b: Vector }): Matrix {
  const p = probe([x, layer]);
  return p ?? addRowVector(matmul(x, layer.W), layer.b);
}
export function denseBackward(dz: Matrix, x: Matrix, layer: { W: Matrix; b: Vector }) {
  centre = flat([x, layer]); dout = dz;
  claimed = centre.map(() => 1);
  return { dx: ones(x.length, x[0].length), dW: ones(layer.W.length, layer.W[0].length), db: new Array(layer.b.length).fill(1) };
}
export function activationBackward(da: Matrix, _z: Matrix, _act: string): Matrix { return da.map((r) => r.slice()); }

export function mlpForward(x: Matrix, layers: { W: Matrix; b: Vector }[], act: string) {
  const p = probe([x, layers, act]);
  if (p) return { out: p, cache: null };
  let h = x;
  layers.forEach((l, i) => {
    const z = addRowVector(matmul(h, l.W), l.b);
    h = i < layers.length - 1 ? z.map((r) => r.map(ACT[act])) : z;
  });
  return { out: h, cache: { n: x.length, d: x[0].length, shapes: layers.map((l) => [l.W.length, l.b.length]), act } };
}
export function mlpBackward(dz: Matrix, cache: any) {
  dout = dz;
  const L = cache.shapes.length;
  // scripted: sigmoid's gradient shrinks 4× per layer on its way back, others stay
  const scale = (i: number) => (cache.act === 'sigmoid' ? 0.25 ** (L - 1 - i) : 1);
  const grads = cache.shapes.map(([fi, fo]: number[], i: number) => ({ dW: ones(fi, fo, scale(i)), db: new Array(fo).fill(scale(i)) }));
  const dx = ones(cache.n, cache.d);
  // the claimed gradient in flat([x, layers, act]) order (keys sorted: W then b)
  claimed = [...dx.flat(), ...grads.flatMap((g: any) => [...g.dW.flat(), ...g.db])];
  return { dx, grads };
}
export function mseLoss(pred: Matrix, target: Matrix) {
  const n = pred.length; let s = 0;
  const dpred = pred.map((r, i) => r.map((p, j) => { const d = p - target[i][j]; s += d * d; return d / n; }));
  return { loss: s / (2 * n), dpred };
}
export function layerGradNorms(grads: { dW: Matrix }[]): number[] {
  return grads.map((g) => Math.sqrt(g.dW.flat().reduce((a, v) => a + v * v, 0)));
}
