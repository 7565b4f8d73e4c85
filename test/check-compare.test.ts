// worstRelError compares finite numbers of an array in place (no Worst, no path string per entry):
// here it is held to the definition it had before, one recursive step per entry, on hand-picked
// values and on random nested ones with every kind of entry the suites meet.
import { describe, expect, it } from 'vitest';
import { maxRelError, relError, worstRelError } from '../grader/suites/check.js';
import { createRng } from '../exercises/lib/rng.js';

type Worst = ReturnType<typeof worstRelError>;

/** The definition: each entry its own recursive step, the first problem ends it, the first largest error wins. */
function definition(got: unknown, want: unknown, path = ''): Worst {
  if (typeof want === 'number') {
    if (!Number.isFinite(want) && Object.is(got, want)) return { err: 0, path, got, want };
    if (typeof got !== 'number' || !Number.isFinite(got)) return { err: Infinity, path, got, want, problem: 'p' };
    return { err: relError(got, want), path, got, want };
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return { err: Infinity, path, got, want, problem: 'p' };
    let worst: Worst = { err: 0, path, got, want };
    for (let i = 0; i < want.length; i++) {
      const w = definition(got[i], want[i], `${path}[${i}]`);
      if (w.problem) return w;
      if (w.err > worst.err) worst = w;
    }
    return worst;
  }
  if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return { err: Infinity, path, got, want, problem: 'p' };
    let worst: Worst = { err: 0, path, got, want };
    for (const k of Object.keys(want)) {
      const w = definition((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}.${k}`);
      if (w.problem) return w;
      if (w.err > worst.err) worst = w;
    }
    return worst;
  }
  return Object.is(got, want) ? { err: 0, path, got, want } : { err: Infinity, path, got, want, problem: 'p' };
}

const same = (a: Worst, b: Worst): void => {
  expect({ err: a.err, path: a.path, problem: a.problem !== undefined }).toEqual({ err: b.err, path: b.path, problem: b.problem !== undefined });
  expect(Object.is(a.got, b.got) && Object.is(a.want, b.want)).toBe(true);
};

describe('worstRelError', () => {
  it('names the first entry with the largest error, and returns 0 for equal arrays', () => {
    const w = worstRelError([[1, 2], [3, 4.5]], [[1, 2.2], [3, 4]]);
    // 2 vs 2.2: 0.2 / 4.2; 4.5 vs 4: 0.5 / 8.5 (larger)
    expect(w.path).toBe('[1][1]');
    expect(w.err).toBeCloseTo(0.5 / 8.5, 15);
    expect(w.got).toBe(4.5);
    expect(worstRelError([1, 2], [1, 2])).toEqual({ err: 0, path: '', got: [1, 2], want: [1, 2] });
    // ties keep the first
    expect(worstRelError([2, 0, 2], [1, 0, 1]).path).toBe('[0]');
  });

  it('stops at the first problem, after any number of finite entries', () => {
    const w = worstRelError([1, 5, NaN, 'x'], [1, 1, 1, 1]);
    expect([w.path, w.err, w.problem !== undefined]).toEqual(['[2]', Infinity, true]);
    expect(worstRelError([1, Infinity], [1, Infinity]).err).toBe(0); // the same non-finite value matches
    expect(Number.isNaN(maxRelError([3, 1], [Infinity, 1]))).toBe(false); // NaN of a finite got against ∞ never wins
  });

  it('agrees with the recursive definition on 2,000 random nested values', () => {
    const r = createRng(4242);
    const rng = (): number => r.uniform();
    const leaf = (): unknown => {
      const u = rng();
      if (u < 0.6) return (rng() - 0.5) * 10 ** Math.floor(rng() * 8 - 4);
      if (u < 0.65) return 0;
      if (u < 0.7) return -0;
      if (u < 0.74) return NaN;
      if (u < 0.78) return rng() < 0.5 ? Infinity : -Infinity;
      if (u < 0.82) return 'a';
      if (u < 0.85) return undefined;
      if (u < 0.88) return null;
      return [leaf(), leaf()];
    };
    const value = (depth: number): unknown => {
      const u = rng();
      if (depth === 0 || u < 0.2) return leaf();
      if (u < 0.8) return Array.from({ length: Math.floor(rng() * 6) }, () => value(depth - 1));
      return { a: value(depth - 1), b: value(depth - 1) };
    };
    // got: want moved a little, or a different value here and there, or a hole
    const near = (want: unknown): unknown => {
      const u = rng();
      if (u < 0.03) return value(1);
      if (typeof want === 'number') return u < 0.5 ? want : want * (1 + (rng() - 0.5) * 1e-3);
      if (Array.isArray(want)) return u < 0.05 ? want.slice(1) : want.map(near);
      if (want !== null && typeof want === 'object') return Object.fromEntries(Object.entries(want).map(([k, v]) => [k, near(v)]));
      return want;
    };
    let problems = 0;
    let nonzero = 0;
    for (let t = 0; t < 2000; t++) {
      const want = value(4);
      const got = near(want);
      const d = definition(got, want);
      same(worstRelError(got, want), d);
      if (d.problem) problems++;
      else if (d.err > 0) nonzero++;
    }
    // both kinds of outcome were met many times
    expect(problems).toBeGreaterThan(200);
    expect(nonzero).toBeGreaterThan(200);
  });
});
