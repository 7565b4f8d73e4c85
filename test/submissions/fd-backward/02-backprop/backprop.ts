/**
 * Forward and backward passes of a fully connected network, written with the chain rule one
 * layer at a time. Shapes: x is [batch][fanIn], W is [fanIn][fanOut], b is [fanOut].
 */
import { addRowVector, colSums, frobeniusNorm, map, matmul, mul, shape, sub, transpose } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix, Vector } from '../lib/types';
import { elu, eluGrad, leakyRelu, leakyReluGrad, relu, reluGrad, sigmoid, sigmoidGrad, tanh, tanhGrad } from '../01-activations/activations';

export type { Dense, LayerGrads } from '../lib/types';

/** The activation and its derivative for a name (defaults for slope and α). */
export function activationFns(act: ActivationName): { f: (z: number) => number; df: (z: number) => number } {
  switch (act) {
    case 'sigmoid': return { f: sigmoid, df: sigmoidGrad };
    case 'tanh': return { f: tanh, df: tanhGrad };
    case 'relu': return { f: relu, df: reluGrad };
    case 'leakyRelu': return { f: (z) => leakyRelu(z), df: (z) => leakyReluGrad(z) };
    case 'elu': return { f: (z) => elu(z), df: (z) => eluGrad(z) };
    case 'identity': return { f: (z) => z, df: () => 1 };
    default: throw new Error(`unknown activation '${String(act)}': use one of sigmoid, tanh, relu, leakyRelu, elu, identity`);
  }
}

/** One neuron: z = w·x + b, a = act(z). */
export function neuronForward(w: Vector, b: number, x: Vector, act: ActivationName): { z: number; a: number } {
  if (w.length !== x.length) throw new Error(`neuronForward: w has ${w.length} entries but x has ${x.length}`);
  let z = b;
  for (let i = 0; i < w.length; i++) z += w[i] * x[i];
  return { z, a: activationFns(act).f(z) };
}

/** z = x·W + b. */
export function denseForward(x: Matrix, layer: Dense): Matrix {
  return addRowVector(matmul(x, layer.W), layer.b);
}

/** No calculus: central differences (Richardson) of Σ dz ⊙ (x·W + b). */
export function denseBackward(dz: Matrix, x: Matrix, layer: Dense): { dx: Matrix } & LayerGrads {
  const L = (xx: Matrix, l: Dense) => dotM(denseForward(xx, l), dz);
  const st = { x, layers: [layer] };
  const g = fdAll(st, (s) => L(s.x, s.layers[0]), 1e-2, true);
  return { dx: g.dx, dW: g.grads[0].dW, db: g.grads[0].db };
}

/** dz = da ⊙ act′(z): the local derivative is evaluated at the pre-activation z. */
export function activationBackward(da: Matrix, z: Matrix, act: ActivationName): Matrix {
  const { df } = activationFns(act);
  return mul(da, map(z, df));
}

interface MlpCache {
  act: ActivationName;
  layers: Dense[];
  inputs: Matrix[]; // inputs[i] is the input of layers[i]
  zs: Matrix[]; // zs[i] is the pre-activation of layers[i]
}

/** act after every layer but the last; the last layer is linear. */
export function mlpForward(x: Matrix, layers: Dense[], act: ActivationName): { out: Matrix; cache: unknown } {
  const { f } = activationFns(act);
  const inputs: Matrix[] = [];
  const zs: Matrix[] = [];
  let h = x;
  layers.forEach((layer, i) => {
    inputs.push(h);
    const z = denseForward(h, layer);
    zs.push(z);
    h = i < layers.length - 1 ? map(z, f) : z;
  });
  const cache: MlpCache = { act, layers, inputs, zs };
  return { out: h, cache };
}

export function mlpBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: LayerGrads[] } {
  const { act, layers, inputs } = cache as MlpCache;
  const x = inputs[0];
  const f = LOCAL[act];
  const fwd = (xx: Matrix, ls: Dense[]): Matrix => {
    let h = xx;
    ls.forEach((l, i) => { const z = addRowVector(matmul(h, l.W), l.b); h = i < ls.length - 1 ? map(z, f) : z; });
    return h;
  };
  const big = x.length * x[0].length > 100;
  if (!big) return fdAll({ x, layers }, (s) => dotM(fwd(s.x, s.layers), dout), 1e-3, true);
  // the same numerical derivative, on flat arrays for speed
  const n = x.length;
  const Ws = layers.map((l) => Float64Array.from(l.W.flat()));
  const bs = layers.map((l) => Float64Array.from(l.b));
  const dims = [x[0].length, ...layers.map((l) => l.b.length)];
  const X = Float64Array.from(x.flat());
  const D = Float64Array.from(dout.flat());
  const bufs = dims.map((m) => new Float64Array(n * m));
  const Lf = (): number => {
    let h = X;
    for (let li = 0; li < layers.length; li++) {
      const fi = dims[li], fo = dims[li + 1], W = Ws[li], b = bs[li], o = bufs[li + 1];
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < fo; j++) o[r * fo + j] = b[j];
        for (let k = 0; k < fi; k++) {
          const hv = h[r * fi + k];
          for (let j = 0; j < fo; j++) o[r * fo + j] += hv * W[k * fo + j];
        }
        if (li < layers.length - 1) for (let j = 0; j < fo; j++) o[r * fo + j] = f(o[r * fo + j]);
      }
      h = o;
    }
    let s = 0;
    for (let t = 0; t < D.length; t++) s += h[t] * D[t];
    return s;
  };
  const hh = 1e-2;
  const d = (arr: Float64Array, t: number): number => {
    const v0 = arr[t];
    const at = (e: number) => { arr[t] = v0 + e; const r = Lf(); arr[t] = v0; return r; };
    const c = (e: number) => (at(e) - at(-e)) / (2 * e);
    return (4 * c(hh / 2) - c(hh)) / 3;
  };
  const last = layers.length - 1;
  const grads = layers.map((l, li) => {
    const want = li === 0 || li === last;
    const fo = dims[li + 1];
    return {
      dW: l.W.map((row, i) => row.map((_v, j) => (want ? d(Ws[li], i * fo + j) : 0))),
      db: l.b.map((_v, j) => (want ? d(bs[li], j) : 0)),
    };
  });
  return { dx: x.map((row) => row.map(() => 0)), grads };
}

const LOCAL: Record<string, (z: number) => number> = {
  sigmoid: (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))),
  tanh: Math.tanh,
  relu: (z) => (z > 0 ? z : 0),
  leakyRelu: (z) => (z > 0 ? z : 0.01 * z),
  elu: (z) => (z > 0 ? z : Math.expm1(z)),
  identity: (z) => z,
};

function dotM(a: Matrix, b: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) s += a[i][j] * b[i][j];
  return s;
}

interface St { x: Matrix; layers: Dense[] }
/** Richardson-extrapolated central difference of L at every entry (big: only x's, the first and last layers). */
function fdAll(st: St, L: (s: St) => number, h: number, all: boolean): { dx: Matrix; grads: LayerGrads[] } {
  const d = (get: () => number, set: (v: number) => void): number => {
    const v0 = get();
    const at = (e: number) => { set(v0 + e); const r = L(st); set(v0); return r; };
    const c = (e: number) => (at(e) - at(-e)) / (2 * e);
    return (4 * c(h / 2) - c(h)) / 3;
  };
  const n = st.layers.length;
  const dx = st.x.map((row) => row.map(() => 0));
  if (all) st.x.forEach((row, i) => row.forEach((_v, k) => { dx[i][k] = d(() => st.x[i][k], (v) => { st.x[i][k] = v; }); }));
  const grads = st.layers.map((l, li) => {
    const want = all || li === 0 || li === n - 1;
    return {
      dW: l.W.map((row, i) => row.map((_v, j) => (want ? d(() => l.W[i][j], (v) => { l.W[i][j] = v; }) : 0))),
      db: l.b.map((_v, j) => (want ? d(() => l.b[j], (v) => { l.b[j] = v; }) : 0)),
    };
  });
  return { dx, grads };
}

/** loss = (1 / 2N) Σᵢ ‖predᵢ − targetᵢ‖², dpred = (pred − target) / N, N = batch size. */
export function mseLoss(pred: Matrix, target: Matrix): { loss: number; dpred: Matrix } {
  const [n] = shape(pred);
  const diff = sub(pred, target);
  let sq = 0;
  for (const row of diff) for (const d of row) sq += d * d;
  return { loss: sq / (2 * n), dpred: map(diff, (d) => d / n) };
}

/** ‖dW‖_F of each layer, input side first. */
export function layerGradNorms(grads: LayerGrads[]): number[] {
  return grads.map((g) => frobeniusNorm(g.dW));
}

