import { describe, expect, it } from 'vitest';
import { createRng, randnMatrix } from '../lib/rng';
import { map, matmul } from '../lib/tensor';
import type { Matrix, Rng } from '../lib/types';
import { heNormal, heUniform, initMlp, xavierNormal, xavierUniform } from './init';
import type { InitScheme } from './init';

// The order in which you draw from rng is yours, so these tests look at statistics, not at
// values. Layers are 256 × 128 (32768 entries, non-square so a swapped or missing fan shows),
// and every limit is many standard errors wide: a correct implementation essentially never fails.
//   sample variance: relative standard error √(0.8 / n) = 0.5% (uniform), √(2 / n) = 0.8% (normal)
//   sample mean: standard error σ / √n

const FAN_IN = 256;
const FAN_OUT = 128;

interface Stats { rows: number; cols: number; n: number; mean: number; variance: number; min: number; max: number }

function stats(m: Matrix): Stats {
  const values = m.flat();
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { rows: m.length, cols: m[0]?.length ?? 0, n, mean, variance, min, max };
}

function expectShape(m: Matrix, rows: number, cols: number, what: string): void {
  expect(Array.isArray(m), `${what}: expected a matrix (number[][])`).toBe(true);
  expect(m.length, `${what}: expected ${rows} rows (fanIn), one per input unit`).toBe(rows);
  m.forEach((row, i) => expect(row.length, `${what}[${i}]: expected ${cols} columns (fanOut)`).toBe(cols));
  expect(m.flat().every(Number.isFinite), `${what}: every entry must be a finite number`).toBe(true);
}

/** Mean within 6 standard errors of 0 and variance within `rtol` of `variance` (relative). */
function expectMoments(s: Stats, variance: number, rtol: number, what: string): void {
  const se = Math.sqrt(variance / s.n);
  expect(Math.abs(s.mean), `${what}: mean ${s.mean.toExponential(3)}, expected ≈ 0 (limit ±${(6 * se).toExponential(2)})`).toBeLessThanOrEqual(6 * se);
  expect(
    Math.abs(s.variance / variance - 1),
    `${what}: variance ${s.variance.toExponential(4)}, expected ${variance.toExponential(4)} (within ${100 * rtol}%)`,
  ).toBeLessThanOrEqual(rtol);
}

/** Every entry in [−a, a], and the extremes within 1% of ±a (32768 uniform draws always get there). */
function expectUniformBounds(m: Matrix, a: number, what: string): void {
  const s = stats(m);
  expect(s.max, `${what}: largest entry, the bound is a = ${a.toFixed(5)}`).toBeLessThanOrEqual(a * (1 + 1e-12));
  expect(s.min, `${what}: smallest entry, the bound is −a = ${(-a).toFixed(5)}`).toBeGreaterThanOrEqual(-a * (1 + 1e-12));
  expect(s.max, `${what}: largest entry should come close to a = ${a.toFixed(5)}`).toBeGreaterThan(0.99 * a);
  expect(s.min, `${what}: smallest entry should come close to −a = ${(-a).toFixed(5)}`).toBeLessThan(-0.99 * a);
  // U(−a, a) puts half of its mass in |w| < a/2; a normal with the same variance puts 61% there.
  const inner = m.flat().filter((v) => Math.abs(v) < a / 2).length / s.n;
  expect(Math.abs(inner - 0.5), `${what}: fraction of |w| < a/2 is ${inner.toFixed(4)}, expected 0.5 for a uniform`).toBeLessThanOrEqual(0.03);
}

/** A normal puts 4.55% of its mass beyond 2 standard deviations (a uniform with that variance, none). */
function expectNormalTails(m: Matrix, std: number, what: string): void {
  const values = m.flat();
  const tail = values.filter((v) => Math.abs(v) > 2 * std).length / values.length;
  expect(tail, `${what}: fraction of |w| > 2σ is ${tail.toFixed(4)}, expected ≈ 0.0455 for a normal`).toBeGreaterThanOrEqual(0.03);
  expect(tail, `${what}: fraction of |w| > 2σ is ${tail.toFixed(4)}, expected ≈ 0.0455 for a normal`).toBeLessThanOrEqual(0.06);
}

function std(m: Matrix): number {
  return Math.sqrt(stats(m).variance);
}

function expectSameSeedSameMatrix(init: (fanIn: number, fanOut: number, rng: Rng) => Matrix, what: string): void {
  const a = init(20, 30, createRng(7));
  const b = init(20, 30, createRng(7));
  const c = init(20, 30, createRng(8));
  expect(b, `${what}: two calls with createRng(7) must give the same matrix`).toEqual(a);
  expect(c, `${what}: createRng(8) should give a different matrix from createRng(7)`).not.toEqual(a);
}

describe('xavierUniform', () => {
  it('returns a [fanIn][fanOut] matrix', () => {
    expectShape(xavierUniform(3, 7, createRng(1)), 3, 7, 'xavierUniform(3, 7)');
    expectShape(xavierUniform(FAN_IN, FAN_OUT, createRng(1)), FAN_IN, FAN_OUT, 'xavierUniform(256, 128)');
  });

  it('stays inside [−a, a] with a = √(6 / (fanIn + fanOut)) and fills it uniformly', () => {
    expectUniformBounds(xavierUniform(FAN_IN, FAN_OUT, createRng(2)), Math.sqrt(6 / (FAN_IN + FAN_OUT)), 'xavierUniform(256, 128)');
  });

  it('has mean ≈ 0 and variance ≈ 2 / (fanIn + fanOut) = a² / 3', () => {
    expectMoments(stats(xavierUniform(FAN_IN, FAN_OUT, createRng(3))), 2 / (FAN_IN + FAN_OUT), 0.05, 'xavierUniform(256, 128)');
  });

  it('gives the same matrix for the same seed', () => {
    expectSameSeedSameMatrix(xavierUniform, 'xavierUniform');
  });
});

describe('xavierNormal', () => {
  it('returns a [fanIn][fanOut] matrix', () => {
    expectShape(xavierNormal(3, 7, createRng(1)), 3, 7, 'xavierNormal(3, 7)');
    expectShape(xavierNormal(FAN_IN, FAN_OUT, createRng(1)), FAN_IN, FAN_OUT, 'xavierNormal(256, 128)');
  });

  it('has mean ≈ 0 and variance ≈ 2 / (fanIn + fanOut) (std ≈ 0.0722 for 256 × 128)', () => {
    expectMoments(stats(xavierNormal(FAN_IN, FAN_OUT, createRng(4))), 2 / (FAN_IN + FAN_OUT), 0.06, 'xavierNormal(256, 128)');
  });

  it('is normal, not uniform: about 4.55% of the entries lie beyond 2σ', () => {
    expectNormalTails(xavierNormal(FAN_IN, FAN_OUT, createRng(5)), Math.sqrt(2 / (FAN_IN + FAN_OUT)), 'xavierNormal(256, 128)');
  });

  it('gives the same matrix for the same seed', () => {
    expectSameSeedSameMatrix(xavierNormal, 'xavierNormal');
  });
});

describe('heUniform', () => {
  it('returns a [fanIn][fanOut] matrix', () => {
    expectShape(heUniform(3, 7, createRng(1)), 3, 7, 'heUniform(3, 7)');
    expectShape(heUniform(FAN_IN, FAN_OUT, createRng(1)), FAN_IN, FAN_OUT, 'heUniform(256, 128)');
  });

  it('stays inside [−a, a] with a = √(6 / fanIn), the fan-in only', () => {
    expectUniformBounds(heUniform(FAN_IN, FAN_OUT, createRng(6)), Math.sqrt(6 / FAN_IN), 'heUniform(256, 128)');
  });

  it('has mean ≈ 0 and variance ≈ 2 / fanIn', () => {
    expectMoments(stats(heUniform(FAN_IN, FAN_OUT, createRng(7))), 2 / FAN_IN, 0.05, 'heUniform(256, 128)');
  });

  it('gives the same matrix for the same seed', () => {
    expectSameSeedSameMatrix(heUniform, 'heUniform');
  });
});

describe('heNormal', () => {
  it('returns a [fanIn][fanOut] matrix', () => {
    expectShape(heNormal(3, 7, createRng(1)), 3, 7, 'heNormal(3, 7)');
    expectShape(heNormal(FAN_IN, FAN_OUT, createRng(1)), FAN_IN, FAN_OUT, 'heNormal(256, 128)');
  });

  it('has mean ≈ 0 and variance ≈ 2 / fanIn (std ≈ 0.0884 for fanIn = 256)', () => {
    expectMoments(stats(heNormal(FAN_IN, FAN_OUT, createRng(8))), 2 / FAN_IN, 0.06, 'heNormal(256, 128)');
  });

  it('is normal, not uniform: about 4.55% of the entries lie beyond 2σ', () => {
    expectNormalTails(heNormal(FAN_IN, FAN_OUT, createRng(9)), Math.sqrt(2 / FAN_IN), 'heNormal(256, 128)');
  });

  it('gives the same matrix for the same seed', () => {
    expectSameSeedSameMatrix(heNormal, 'heNormal');
  });
});

describe('initMlp', () => {
  it('returns sizes.length − 1 layers, W of shape [sizes[i]][sizes[i + 1]] and zero biases', () => {
    const sizes = [10, 32, 16, 3];
    const layers = initMlp(sizes, 'heNormal', createRng(10));
    expect(layers.length, 'number of layers').toBe(3);
    layers.forEach((layer, i) => {
      expectShape(layer.W, sizes[i], sizes[i + 1], `layers[${i}].W`);
      expect(layer.b, `layers[${i}].b: ${sizes[i + 1]} zeros`).toEqual(new Array(sizes[i + 1]).fill(0));
    });
  });

  it('draws the weights with the scheme it is given', () => {
    const variances: Record<InitScheme, number> = {
      xavierUniform: 2 / (FAN_IN + FAN_OUT),
      xavierNormal: 2 / (FAN_IN + FAN_OUT),
      heUniform: 2 / FAN_IN,
      heNormal: 2 / FAN_IN,
      standardNormal: 1,
    };
    for (const scheme of Object.keys(variances) as InitScheme[]) {
      const [first] = initMlp([FAN_IN, FAN_OUT, 8], scheme, createRng(11));
      expectMoments(stats(first.W), variances[scheme], 0.06, `initMlp(…, '${scheme}') layers[0].W`);
    }
  });

  it('returns [] for fewer than two sizes', () => {
    expect(initMlp([], 'heNormal', createRng(12)), 'initMlp([])').toEqual([]);
    expect(initMlp([5], 'heNormal', createRng(12)), 'initMlp([5])').toEqual([]);
  });

  it('gives the same layers for the same seed, and different weights to layers of the same shape', () => {
    const a = initMlp([16, 16, 16], 'xavierNormal', createRng(13));
    const b = initMlp([16, 16, 16], 'xavierNormal', createRng(13));
    expect(b, 'two calls with createRng(13)').toEqual(a);
    expect(a[1].W, 'layers[1].W should not repeat layers[0].W: draw every layer from the same rng').not.toEqual(a[0].W);
  });

  it('keeps a 20-layer ReLU network\'s signal with He, while Xavier shrinks it about 2⁻¹⁰', () => {
    // width 128, batch 32, zero biases: std of layer 20's pre-activations over layer 1's.
    const ratio = (scheme: InitScheme): number => {
      const layers = initMlp(new Array(21).fill(128), scheme, createRng(scheme === 'heNormal' ? 14 : 15));
      let h = randnMatrix(32, 128, createRng(16));
      let first = 0;
      let last = 0;
      layers.forEach((layer, i) => {
        const z = matmul(h, layer.W);
        if (i === 0) first = std(z);
        if (i === 19) last = std(z);
        h = map(z, (v) => (v > 0 ? v : 0));
      });
      return last / first;
    };
    const he = ratio('heNormal');
    const xavier = ratio('xavierNormal');
    expect(he, `He: std(z₂₀) / std(z₁) = ${he.toExponential(3)}, expected near 1`).toBeGreaterThan(0.1);
    expect(he, `He: std(z₂₀) / std(z₁) = ${he.toExponential(3)}, expected near 1`).toBeLessThan(10);
    expect(xavier, `Xavier: std(z₂₀) / std(z₁) = ${xavier.toExponential(3)}, expected ≈ 2^(−19/2) ≈ 1.4e-3: 19 layers that each halve the variance`).toBeLessThan(1e-2);
  });

  it('saturates a tanh network with standard-normal weights, but not with Xavier weights', () => {
    // width 256, batch 32: fraction of layer 5's pre-activations where tanh′(z) < 1e-3.
    const saturated = (scheme: InitScheme): number => {
      const layers = initMlp(new Array(6).fill(256), scheme, createRng(17));
      let h = randnMatrix(32, 256, createRng(18));
      let z: Matrix = [];
      for (const layer of layers) {
        z = matmul(h, layer.W);
        h = map(z, Math.tanh);
      }
      const values = z.flat();
      return values.filter((v) => 1 - Math.tanh(v) ** 2 < 1e-3).length / values.length;
    };
    const standard = saturated('standardNormal');
    const xavier = saturated('xavierNormal');
    expect(standard, `standard normal: ${(100 * standard).toFixed(1)}% saturated, expected about 79%`).toBeGreaterThan(0.6);
    expect(xavier, `Xavier: ${(100 * xavier).toFixed(1)}% saturated, expected almost none`).toBeLessThan(0.05);
  });
});
