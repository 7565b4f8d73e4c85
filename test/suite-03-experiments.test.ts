/**
 * 03's deep experiments read the student's networks packed (sandbox/client.ts, callPacked) and
 * measure them on flat arrays (fixtures/nets.ts, preActivationsFlat), remembering what a network
 * measured within a worker. A network that is not what initMlp must return fails that test with a
 * message that says what is wrong, whatever it is; and the same weights graded twice in one run
 * (two students with the same code) get the same verdict as the first.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../grader/paths';
import type { GradeReport } from '../grader/results';
import { gradeSubmissions } from '../grader/runner';
import { initTheory } from '../fixtures/init-theory';

/** Changes to initMlp's returned layers, applied only to the 20-layer networks (width 128) of the ReLU experiment. */
const CASES: Record<string, { change: string; message: RegExp; on?: string }> = {
  'nan-weight': {
    change: 'layers[3].W[7][9] = NaN;',
    message: /^initMlp\(\[128,128,.*'heNormal', createRng\(\d+\)\)\[3\]\.W\[7\]\[9\] should be a finite number, got NaN$/,
  },
  'one-layer-short': {
    change: 'layers.pop();',
    message: /^initMlp\(\[128,128,.*'heNormal', createRng\(\d+\)\) should return 20 layers, got 19$/,
  },
  'narrow-layer': {
    change: 'layers[2].W = layers[2].W.map((row) => row.slice(0, 64));',
    message: /^initMlp\(\[128,128,.*'heNormal', createRng\(\d+\)\)\[2\]\.W should have shape \[128x128\], got \[128x64\]$/,
  },
  'he-too-large': {
    // He weights 10% too large in every layer: layer 20 grows ≈ 1.1¹⁹ ≈ 6× against layer 1
    change: "if (scheme === 'heNormal') for (const l of layers) l.W = l.W.map((row) => row.map((v) => 1.1 * v));",
    // relu-depth is a hidden fixture: its networks' exact values are not printed, only the mean's power of ten (≈ 6: 1e0)
    message: /^He, 20 ReLU layers of width 128: layer-20 \/ layer-1 pre-activation std = of order 1e0 \(the geometric mean of 4 networks, createRng\(3031\) to createRng\(3034\); a hidden fixture's exact values are not printed: the public test prints yours for its own networks\), expected within a factor 3 of 1 \(\[0\.3+, 3\]\)$/,
  },
  // initMlp asked for the probe network of non-square layers (PROBE_SIZES in the suite): a thrown
  // message naming its arguments is not shown, and one spread for every layer is no scheme
  'probe-throws-sizes': {
    on: 'sizes[0] === 64 && sizes.length === 4',
    change: "throw new Error(`sizes ${sizes.join(',')}`);",
    message: /^the experiments count only for an initMlp that follows its scheme: on a network of non-square layers \(not shown\), initMlp\(sizes, 'heNormal', rng\) threw or stopped \(its message is not shown here: it could name the sizes\); init\.initMlp\.layers says how yours differs$/,
  },
  'probe-one-spread': {
    on: 'sizes[0] === 64 && sizes.length === 4',
    // every layer rescaled to the spread of Xavier's formula for the middle layer's fans
    change: "for (const l of layers) { const n = l.W.length * l.W[0].length; const sd = Math.sqrt(l.W.flat().reduce((a, v) => a + v * v, 0) / n); l.W = l.W.map((row) => row.map((v) => (v * Math.sqrt(2 / 416)) / sd)); }",
    message: /^the experiments count only for an initMlp that follows its scheme: on a network of non-square layers \(not shown\), initMlp\(sizes, 'heNormal', rng\) draws its layers with spreads that are not heNormal's for their fans, nor one known mistake's/,
  },
  'short-bias': {
    change: 'layers[0].b = layers[0].b.slice(1);',
    message: /^initMlp\(\[128,128,.*'heNormal', createRng\(\d+\)\)\[0\]\.b should be a vector of 128 numbers, got 127 entries$/,
  },
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-03-deep-'));
const reports = new Map<string, GradeReport>();
const NAMES = ['reference', 'reference-again', ...Object.keys(CASES)];

beforeAll(async () => {
  const dirs = NAMES.map((name) => {
    const dir = path.join(tmp, name);
    cpSync(path.join(ROOT, 'solutions'), dir, { recursive: true, dereference: true });
    const c = CASES[name];
    if (c) {
      const file = path.join(dir, '03-initialization', 'init.ts');
      const text = readFileSync(file, 'utf8');
      const find = '  return layers;\n}';
      expect(text.split(find)).toHaveLength(2);
      writeFileSync(file, text.replace(find, `  if (${c.on ?? 'sizes.length === 21'}) { ${c.change} }\n${find}`));
    }
    return dir;
  });
  const got = await gradeSubmissions(dirs, { exercises: ['03-initialization'], callTimeoutMs: 4000, loadTimeoutMs: 4000 });
  NAMES.forEach((n, i) => reports.set(n, got[i]));
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const test = (r: GradeReport | undefined, id: string) => r?.tests.find((t) => t.id === id);

describe("03's deep experiments on packed networks", () => {
  it('grade the reference 15/15, twice in one run (the second from what the first measured)', () => {
    for (const name of ['reference', 'reference-again']) {
      expect(reports.get(name)?.score, name).toBe(15);
      expect(test(reports.get(name), 'init.deep.experiments')?.status).toBe('passed');
    }
  });

  it('the probe network cannot be passed by one spread: on its layers every formula of either scheme (right or a known mistake) varies by more than the ±5% band allows', () => {
    const source = readFileSync(path.join(ROOT, 'grader', 'suites', '03-initialization.suite.ts'), 'utf8');
    const sizes = JSON.parse(/const PROBE_SIZES = (\[[\d, ]+\]);/.exec(source)?.[1] ?? 'null') as number[];
    expect(source).toContain('Math.abs(std / formulas[i][j] - 1) <= 0.05');
    for (const scheme of ['heNormal', 'xavierNormal'] as const) {
      const per = sizes.slice(1).map((o, i) => { const t = initTheory(scheme, sizes[i], o); return [t.std, ...t.mistakes.map((m) => m.std)]; });
      for (let j = 0; j < per[0].length; j++) {
        const v = per.map((f) => f[j]);
        // one constant within 5% of each needs max / min ≤ 1.05 / 0.95
        expect(Math.max(...v) / Math.min(...v), `${scheme} formula ${j}`).toBeGreaterThan((1.05 / 0.95) * 1.05);
      }
    }
    // and a correct draw's sample std misses its own by 5% only beyond 10 standard errors (≈ 1/√(2N))
    const smallest = Math.min(...sizes.slice(1).map((o, i) => sizes[i] * o));
    expect(0.05 * Math.sqrt(2 * smallest)).toBeGreaterThan(10);
  });

  it.each(Object.keys(CASES))('%s: fails the deep experiment only, saying what is wrong with the network', (name) => {
    const r = reports.get(name);
    const deep = test(r, 'init.deep.experiments');
    expect(deep?.status).toBe('failed');
    expect(deep?.message).toMatch(CASES[name].message);
    expect(r?.tests.filter((t) => t.status !== 'passed').map((t) => t.id)).toEqual(['init.deep.experiments']);
    expect(r?.score).toBe(12.5);
  });
});
