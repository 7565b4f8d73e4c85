// out = x with one entry nudged by one ulp; nothing else
import type { Matrix, Vector } from '../lib/types';
export function batchnormForward(x: Matrix, p: { gamma: Vector; beta: Vector }, state: any, mode: 'train' | 'eval', opts?: any) {
  const out = x.map((r) => r.slice()); out[0][0] = out[0][0] * (1 + 2 ** -52) + 1e-300;
  return { out, state: { runningMean: state.runningMean.slice(), runningVar: state.runningVar.slice() }, cache: { d: x[0].length } };
}
export function batchnormBackward(dout: Matrix, cache: any) {
  return { dx: dout.map((r) => r.slice()), dgamma: new Array(cache.d).fill(0), dbeta: new Array(cache.d).fill(0) };
}
