// one-ulp changes only
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';
const ulp = (v: number) => (v === 0 ? 5e-324 : v * (1 + 2 ** -52));
export function globalGradNorm(grads: LayerGrads[]): number { return 1; }
export function clipGradNorm(grads: LayerGrads[], maxNorm: number): LayerGrads[] {
  if (!(maxNorm > 0)) throw new Error('maxNorm');
  const big = grads.some((g) => g.dW.flat().concat(g.db).some((v) => Math.abs(v) > maxNorm));
  return grads.map((g, i) => ({ dW: g.dW.map((r, a) => r.map((v, c) => (big && i === 0 && a === 0 && c === 0 ? ulp(v) : v))), db: g.db.slice() }));
}
export function sgdStep(layers: Dense[], grads: LayerGrads[], lr: number): Dense[] {
  if (grads.length !== layers.length) throw new Error('grads');
  return layers.map((l, i) => ({ W: l.W.map((r, a) => r.map((v, c) => (i === 0 && a === 0 && c === 0 ? ulp(v) : v))), b: l.b.slice() }));
}
export function trainMlp(x: Matrix, y: Matrix, layers: Dense[], act: ActivationName, opts: { lr: number; steps: number; clipNorm?: number }) {
  return { layers, history: [] };
}
