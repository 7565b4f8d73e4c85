/**
 * The grader's dense-layer kernel (fixtures/dense-kernel.wat, run by preActivationsFlat): its
 * committed bytes are its source assembled, and it gives preActivations' numbers bit for bit on
 * shapes 03's networks do not have (odd widths, one row, layers of different widths, zeros, −0,
 * infinities) and with WebAssembly missing. 03's own networks are compared in
 * test/fixtures.phenomena.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRng } from '../exercises/lib/rng';
import type { Dense, Matrix } from '../exercises/lib/types';
import { preActivations, preActivationsFlat, type FlatDense } from '../fixtures/nets';
import { ROOT } from '../grader/paths';

const flat = (m: Matrix) => Float64Array.from(m.flat());
const flatLayer = (l: Dense): FlatDense => ({ rows: l.W.length, cols: l.W[0].length, W: flat(l.W), b: Float64Array.from(l.b) });

/** Entries of a normal draw, with every `sparse`-th one a zero of either sign (the kernel skips those rows of W). */
function matrix(rows: number, cols: number, seed: number, sparse = 0): Matrix {
  const rng = createRng(seed);
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_v, j) => {
    const t = i * cols + j;
    if (sparse && t % sparse === 0) return t % (2 * sparse) === 0 ? 0 : -0;
    return rng.normal() * 0.7;
  }));
}

/** The flat pass against preActivations, entry by entry with Object.is; returns the entries compared. */
function expectSameBits(x: Matrix, layers: Dense[], f: (z: number) => number): number {
  const nested = preActivations(x, layers, f);
  const got = preActivationsFlat(flat(x), x.length, layers.map(flatLayer), f);
  expect(got.length).toBe(nested.length);
  let compared = 0;
  nested.forEach((z, k) => {
    const want = flat(z);
    expect(got[k].length).toBe(want.length);
    const differing = [...want].filter((v, t) => !Object.is(got[k][t], v)).length;
    expect(differing, `layer ${k}`).toBe(0);
    compared += want.length;
  });
  return compared;
}

const relu = (z: number) => (z > 0 ? z : 0);

afterEach(() => vi.unstubAllGlobals());

describe('the dense-layer kernel', () => {
  it('is fixtures/dense-kernel.wat assembled, and the check says so when the bytes differ', () => {
    const ok = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'wasm.mjs'), '--check'], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-kernel-'));
    try {
      const tampered = path.join(tmp, 'dense-kernel.ts');
      writeFileSync(tampered, readFileSync(path.join(ROOT, 'fixtures', 'dense-kernel.ts'), 'utf8').replace(/'([A-Za-z0-9+/]{8})/, (_m, s: string) => `'${s.slice(0, 7)}${s[7] === 'A' ? 'B' : 'A'}`));
      const bad = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'wasm.mjs'), '--check', tampered], { encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('is not fixtures/dense-kernel.wat assembled: run `npm run wasm`');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('gives preActivations bit for bit on odd widths, one row, changing widths, zeros of both signs and infinities', () => {
    let compared = 0;
    // widths 1, 3, 5, 7 exercise the odd last column; 2 and 6 only pairs
    const sizes = [5, 7, 2, 1, 3, 6, 3];
    const layers = sizes.slice(1).map((m, i) => ({ W: matrix(sizes[i], m, 40 + i, 5), b: matrix(1, m, 60 + i)[0] }));
    for (const batch of [1, 2, 9]) {
      const x = matrix(batch, sizes[0], 80 + batch, 4);
      compared += expectSameBits(x, layers, relu);
      compared += expectSameBits(x, layers, Math.tanh);
      compared += expectSameBits(x, layers, (z) => z); // no zero from the activation: every row of W used
    }
    const x = matrix(3, 4, 91);
    x[1][2] = Infinity;
    x[2][0] = -Infinity;
    const inf = [{ W: matrix(4, 3, 92), b: [0, -0, 1] }];
    compared += expectSameBits(x, inf, (z) => z);
    expect(compared).toBe((1 + 2 + 9) * 3 * (7 + 2 + 1 + 3 + 6 + 3) + 3 * 3);
  });

  it('keeps nothing from one network to the next: a narrow one after a wide one, and the other way round', () => {
    const wide = [{ W: matrix(9, 9, 1), b: matrix(1, 9, 2)[0] }, { W: matrix(9, 9, 3), b: matrix(1, 9, 4)[0] }];
    const narrow = [{ W: matrix(3, 2, 5), b: [0.5, -0.5] }];
    expect(expectSameBits(matrix(6, 9, 6), wide, relu)).toBe(6 * 18);
    expect(expectSameBits(matrix(2, 3, 7), narrow, relu)).toBe(4);
    expect(expectSameBits(matrix(6, 9, 8), wide, Math.tanh)).toBe(6 * 18);
  });

  it('is preActivations itself where WebAssembly is missing (node --jitless)', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    expect(typeof (globalThis as { WebAssembly?: unknown }).WebAssembly).toBe('undefined');
    // a fresh copy of the module, whose kernel was never compiled: had it tried to, it would throw here
    vi.resetModules();
    const fresh = await import('../fixtures/nets');
    expect(fresh.preActivationsFlat).not.toBe(preActivationsFlat);
    const layers = [{ W: matrix(4, 3, 11, 3), b: [0.25, -0, 1] }, { W: matrix(3, 5, 12), b: matrix(1, 5, 13)[0] }];
    const x = matrix(3, 4, 14, 2);
    const want = preActivations(x, layers, relu);
    const got = fresh.preActivationsFlat(flat(x), 3, layers.map(flatLayer), relu);
    expect(got.map((z) => [...z])).toEqual(want.map((z) => z.flat()));
    expect(got.every((z, k) => [...z].every((v, t) => Object.is(v, want[k].flat()[t])))).toBe(true);
  });

  it('refuses layers that do not fit their input, naming the layer', () => {
    const l = flatLayer({ W: matrix(4, 3, 21), b: [0, 0, 0] });
    expect(() => preActivationsFlat(new Float64Array(6), 2, [l], relu)).toThrow('preActivationsFlat: layer 0 ([4x3], W of 12, b of 3) does not fit its input');
    expect(() => preActivationsFlat(new Float64Array(8), 2, [l, l], relu)).toThrow('layer 1 ([4x3], W of 12, b of 3) does not fit its input');
    expect(() => preActivationsFlat(new Float64Array(8), 2, [{ ...l, b: new Float64Array(2) }], relu)).toThrow('layer 0 ([4x3], W of 12, b of 2)');
    expect(preActivationsFlat(new Float64Array(0), 0, [], relu)).toEqual([]);
  });
});
