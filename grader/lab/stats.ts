/**
 * The lab's own instruments, computed in the trusted process from numbers the student's code
 * returned: statistics of a layer's pre-activations, and histograms. They measure; they are not
 * the exercise (06 asks the student for deadUnitFraction and saturatedFraction, which the lab
 * calls where it shows that exercise).
 */
import type { Matrix } from '../../exercises/lib/types.js';

/** act′(z) below this counts as saturated (the threshold of 06's saturatedFraction). */
export const SATURATION_THRESHOLD = 1e-3;

export function meanStd(m: Matrix): { mean: number; std: number } {
  let n = 0;
  let sum = 0;
  for (const row of m) for (const v of row) { sum += v; n++; }
  const mean = sum / n;
  let sq = 0;
  for (const row of m) for (const v of row) sq += (v - mean) ** 2;
  return { mean, std: Math.sqrt(sq / n) };
}

/** Fraction of entries whose act′(z) (given: the student's own, see own-activations.ts) is below the threshold. */
export function saturatedShare(grad: Matrix): number {
  let n = 0;
  let sat = 0;
  for (const row of grad) for (const v of row) { n++; if (v < SATURATION_THRESHOLD) sat++; }
  return sat / n;
}

/** Fraction of units (columns) with z ≤ 0 for every example: they pass no gradient. ReLU only. */
export function deadShare(z: Matrix, act: string): number | null {
  if (act !== 'relu') return null;
  const cols = z[0]?.length ?? 0;
  let dead = 0;
  for (let j = 0; j < cols; j++) if (z.every((row) => row[j] <= 0)) dead++;
  return cols === 0 ? 0 : dead / cols;
}

/** The Frobenius norm; NaN if any entry is not finite (the plot shows a gap, the table says NaN). */
export function norm(m: Matrix): number {
  let s = 0;
  for (const row of m) for (const v of row) s += v * v;
  return Math.sqrt(s);
}

/** Density histogram of the values in [lo, hi] over `bins` equal bins (values outside are left out). */
export function histogram(values: number[], lo: number, hi: number, bins: number): Array<{ x: number; density: number }> {
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (const v of values) {
    if (!(v >= lo && v <= hi)) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  const total = values.length * width;
  return counts.map((c, i) => ({ x: lo + (i + 0.5) * width, density: total > 0 ? c / total : 0 }));
}

/** x·W + b, row by row: the lab's own forward pass where it makes inputs (exercises/lib's tensor
 * helpers use extensionless imports that only a bundler resolves, so the CLI cannot load them). */
export function affine(x: Matrix, W: Matrix, b: number[]): Matrix {
  const cols = b.length;
  return x.map((row) => {
    const out = b.slice();
    row.forEach((v, k) => {
      const w = W[k];
      for (let j = 0; j < cols; j++) out[j] += v * w[j];
    });
    return out;
  });
}

/** f applied to every entry. */
export function mapMatrix(m: Matrix, f: (v: number) => number): Matrix {
  return m.map((row) => row.map((v) => f(v)));
}

