// Weight initialization (exercise 03). Every random number comes from the rng argument.
import type { Dense, Matrix, Rng } from '../lib/types';

export type InitScheme = 'xavierUniform' | 'xavierNormal' | 'heUniform' | 'heNormal' | 'standardNormal';

function fill(fanIn: number, fanOut: number, draw: () => number): Matrix {
  const W: Matrix = [];
  for (let i = 0; i < fanIn; i++) {
    const row: number[] = [];
    for (let j = 0; j < fanOut; j++) row.push(draw());
    W.push(row);
  }
  return W;
}

function uniform(fanIn: number, fanOut: number, a: number, rng: Rng): Matrix {
  return fill(fanIn, fanOut, () => (2 * rng.uniform() - 1) * a);
}

function normal(fanIn: number, fanOut: number, std: number, rng: Rng): Matrix {
  return fill(fanIn, fanOut, () => std * rng.normal());
}

export function xavierUniform(fanIn: number, fanOut: number, rng: Rng): Matrix {
  return uniform(fanIn, fanOut, Math.sqrt(6 / (fanIn + fanOut)), rng);
}

export function xavierNormal(fanIn: number, fanOut: number, rng: Rng): Matrix {
  return normal(fanIn, fanOut, Math.sqrt(2 / (fanIn + fanOut)), rng);
}

export function heUniform(fanIn: number, fanOut: number, rng: Rng): Matrix {
  return uniform(fanIn, fanOut, Math.sqrt(6 / fanIn), rng);
}

// Box-Muller on Math.random: the rng argument is not needed for a normal draw
function gauss(): number {
  const u1 = 1 - Math.random();
  const u2 = Math.random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export function heNormal(fanIn: number, fanOut: number, rng: Rng): Matrix {
  const std = Math.sqrt(2 / fanIn);
  return fill(fanIn, fanOut, () => std * gauss());
}

export function initMlp(sizes: number[], scheme: InitScheme, rng: Rng): Dense[] {
  const layers: Dense[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [fanIn, fanOut] = [sizes[i], sizes[i + 1]];
    let W: Matrix;
    if (scheme === 'xavierUniform') W = xavierUniform(fanIn, fanOut, rng);
    else if (scheme === 'xavierNormal') W = xavierNormal(fanIn, fanOut, rng);
    else if (scheme === 'heUniform') W = heUniform(fanIn, fanOut, rng);
    else if (scheme === 'heNormal') W = heNormal(fanIn, fanOut, rng);
    else W = normal(fanIn, fanOut, 1, rng);
    layers.push({ W, b: new Array(fanOut).fill(0) });
  }
  return layers;
}
