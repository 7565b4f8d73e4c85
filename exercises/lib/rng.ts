import type { Rng } from './types';

/**
 * A deterministic random number generator for a seed.
 *
 * - `uniform()`: mulberry32 (Tommy Ettinger's 32-bit generator), one 32-bit state word,
 *   returning k / 2³² for an integer k, so values lie in [0, 1).
 * - `normal()`: Box–Muller on two uniforms, u₁ ∈ (0, 1] so that log(u₁) is finite; the second
 *   normal of each pair is kept and returned by the next call.
 *
 * The same seed always gives the same sequence on every platform (only 32-bit integer ops and
 * IEEE double arithmetic are used), which is what lets fixtures store a seed instead of a tensor.
 */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  let spare: number | null = null;

  function uniform(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  function normal(): number {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    const u1 = 1 - uniform(); // (0, 1]: log(u1) is finite
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  return { uniform, normal };
}

/** A `rows × cols` matrix of N(0, 1) draws, filled row by row. */
export function randnMatrix(rows: number, cols: number, rng: Rng): number[][] {
  const m: number[][] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = new Array<number>(cols);
    for (let j = 0; j < cols; j++) row[j] = rng.normal();
    m[i] = row;
  }
  return m;
}

/** A `rows × cols` matrix of U(lo, hi) draws, filled row by row. */
export function uniformMatrix(rows: number, cols: number, lo: number, hi: number, rng: Rng): number[][] {
  const m: number[][] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = new Array<number>(cols);
    for (let j = 0; j < cols; j++) row[j] = lo + (hi - lo) * rng.uniform();
    m[i] = row;
  }
  return m;
}
