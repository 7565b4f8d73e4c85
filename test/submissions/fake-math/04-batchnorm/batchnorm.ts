// out = x + beta (no normalization, gamma ignored); backward consistent with that
import type { Matrix, Vector } from '../lib/types';
export function batchnormForward(x: Matrix, p: { gamma: Vector; beta: Vector }, state: any, mode: 'train' | 'eval', opts?: any) {
  return { out: x.map((r) => r.map((v, j) => v + p.beta[j])), state: { runningMean: state.runningMean.slice(), runningVar: state.runningVar.slice() }, cache: { d: x[0].length } };
}
export function batchnormBackward(dout: Matrix, cache: any) {
  return { dx: dout.map((r) => r.slice()), dgamma: new Array(cache.d).fill(0), dbeta: dout[0].map((_, j) => dout.reduce((s, r) => s + r[j], 0)) };
}
