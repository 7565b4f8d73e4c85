/**
 * The hidden suites of 04-batchnorm, 05-residual and 06-dead-neurons through the real runner:
 * the reference solutions pass every test, the stubs are not-implemented everywhere, and each
 * classic mistake (a copy of one solution file with one change) fails exactly the tests it
 * should, with the diagnosis that names it — in one vitest run for all submissions.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradeSubmissions } from '../grader/runner';
import { ROOT } from '../grader/paths';
import { loadManifest } from '../grader/manifest';
import type { GradeReport, TestStatus } from '../grader/results';
import { fmt } from '../grader/suites/check';

const EXERCISES = ['04-batchnorm', '05-residual', '06-dead-neurons'];
const FILES: Record<string, string> = { '04-batchnorm': 'batchnorm.ts', '05-residual': 'residual.ts', '06-dead-neurons': 'diagnostics.ts' };

interface Broken {
  name: string;
  exercise: string;
  /** Exact text of the solution file → its replacement (each must occur). */
  patch: [string, string][];
  /** The tests that fail, with the diagnosis each must carry (null: none); every other test of the exercise passes. */
  fails: Record<string, string | null>;
}

const broken: Broken[] = [
  // 04 ------------------------------------------------------------------------------------------
  {
    name: 'bn-unbiased-normalization', exercise: '04-batchnorm',
    patch: [['variance = sq.map((s) => s / n);', 'variance = sq.map((s) => s / (n - 1));']],
    fails: {
      'batchnorm.forward.train': 'batchnorm-unbiased-normalization',
      'batchnorm.backward.train': 'batchnorm-unbiased-normalization',
      'batchnorm.backward.gradcheck': 'batchnorm-unbiased-normalization',
      'batchnorm.deep.restoresGradient': 'batchnorm-unbiased-normalization',
    },
  },
  {
    name: 'bn-momentum-flipped', exercise: '04-batchnorm',
    patch: [['const momentum = opts.momentum ?? 0.1;', 'const momentum = 1 - (opts.momentum ?? 0.1);']],
    fails: { 'batchnorm.forward.runningStats': 'batchnorm-momentum-flipped' },
  },
  {
    name: 'bn-running-var-biased', exercise: '04-batchnorm',
    patch: [['const unbiased = sq.map((s) => s / (n - 1));', 'const unbiased = sq.map((s) => s / n);']],
    fails: { 'batchnorm.forward.runningStats': 'batchnorm-running-var-biased' },
  },
  {
    name: 'bn-ignores-opts', exercise: '04-batchnorm',
    patch: [['const eps = opts.eps ?? 1e-5;', 'const eps = 1e-5;'], ['const momentum = opts.momentum ?? 0.1;', 'const momentum = 0.1;']],
    fails: {
      'batchnorm.forward.train': 'batchnorm-ignores-opts',
      'batchnorm.forward.runningStats': 'batchnorm-ignores-opts',
      'batchnorm.forward.eval': 'batchnorm-ignores-opts',
      'batchnorm.backward.train': 'batchnorm-ignores-opts',
      'batchnorm.backward.eval': 'batchnorm-ignores-opts',
    },
  },
  {
    name: 'bn-eval-uses-batch-stats', exercise: '04-batchnorm',
    patch: [["  } else {\n    mean = state.runningMean;\n    variance = state.runningVar;",
      "  } else {\n    mean = colSums(x).map((s) => s / n);\n    variance = colSums(map(x, (v, _i, j) => (v - mean[j]) ** 2)).map((s) => s / n);"]],
    fails: { 'batchnorm.forward.eval': 'batchnorm-eval-uses-batch-stats', 'batchnorm.backward.eval': 'batchnorm-eval-uses-batch-stats' },
  },
  {
    name: 'bn-mutates-state', exercise: '04-batchnorm',
    patch: [['    newState = {\n      runningMean: state.runningMean.map((r, j) => (1 - momentum) * r + momentum * mean[j]),\n      runningVar: state.runningVar.map((r, j) => (1 - momentum) * r + momentum * unbiased[j]),\n    };',
      '    state.runningMean.forEach((r, j) => { state.runningMean[j] = (1 - momentum) * r + momentum * mean[j]; });\n    state.runningVar.forEach((r, j) => { state.runningVar[j] = (1 - momentum) * r + momentum * unbiased[j]; });\n    newState = state;']],
    fails: { 'batchnorm.forward.noMutation': 'batchnorm-mutates-state' },
  },
  {
    name: 'bn-dx-missing-gamma', exercise: '04-batchnorm',
    patch: [['const dxhat = map(dout, (g, _i, j) => g * gamma[j]);', 'const dxhat = map(dout, (g) => g);']],
    fails: {
      'batchnorm.backward.train': 'batchnorm-dx-missing-gamma',
      'batchnorm.backward.eval': 'batchnorm-dx-missing-gamma',
      'batchnorm.backward.gradcheck': 'batchnorm-dx-missing-gamma',
    },
  },
  {
    name: 'bn-train-backward-as-eval', exercise: '04-batchnorm',
    patch: [["if (mode === 'eval') {", 'if (mode) {']],
    fails: { 'batchnorm.backward.train': 'batchnorm-train-backward-as-eval', 'batchnorm.backward.gradcheck': 'batchnorm-train-backward-as-eval' },
  },
  {
    name: 'bn-eval-backward-train-formula', exercise: '04-batchnorm',
    patch: [["if (mode === 'eval') {", "if (mode !== mode) {"]],
    fails: { 'batchnorm.backward.eval': 'batchnorm-eval-backward-train-formula' },
  },
  {
    name: 'bn-dx-missing-variance-term', exercise: '04-batchnorm',
    patch: [['(n * g - sumDxhat[j] - xhat[i][j] * sumDxhatXhat[j])', '(n * g - sumDxhat[j])']],
    fails: { 'batchnorm.backward.train': 'batchnorm-dx-missing-variance-term', 'batchnorm.backward.gradcheck': 'batchnorm-dx-missing-variance-term' },
  },
  // 05 ------------------------------------------------------------------------------------------
  {
    name: 'res-missing-identity', exercise: '05-residual',
    patch: [['dx: add(dout, first.dx),', 'dx: first.dx,']],
    fails: {
      'residual.backward.fixture': 'residual-missing-identity',
      'residual.backward.gradcheck': 'residual-missing-identity',
      'residual.deep.gradientFlow': 'residual-missing-identity',
    },
  },
  {
    name: 'res-act-grad-at-output', exercise: '05-residual',
    patch: [['activationBackward(second.dx, z1, block.act)', 'activationBackward(second.dx, h, block.act)']],
    fails: { 'residual.backward.fixture': 'residual-act-grad-at-output', 'residual.backward.gradcheck': 'residual-act-grad-at-output' },
  },
  {
    name: 'res-activation-after-sum', exercise: '05-residual',
    patch: [['return { out: add(x, f), cache };', 'return { out: map(add(x, f), (z) => neuronForward([1], 0, [z], block.act).a), cache };']],
    fails: {
      'residual.forward.values': 'residual-activation-after-sum',
      'residual.backward.fixture': 'residual-activation-after-sum',
      'residual.backward.gradcheck': 'residual-activation-after-sum',
    },
  },
  {
    name: 'res-grads-swapped', exercise: '05-residual',
    patch: [['grads: [{ dW: first.dW, db: first.db }, { dW: second.dW, db: second.db }],', 'grads: [{ dW: second.dW, db: second.db }, { dW: first.dW, db: first.db }],']],
    fails: { 'residual.backward.fixture': 'residual-grads-swapped', 'residual.backward.gradcheck': 'residual-grads-swapped' },
  },
  // 06 ------------------------------------------------------------------------------------------
  {
    name: 'dead-ge-zero', exercise: '06-dead-neurons',
    patch: [['alive = preActivations[i][j] > 0;', 'alive = preActivations[i][j] >= 0;']],
    fails: { 'diagnostics.deadUnitFraction.edges': 'dead-zero-counted-alive' },
  },
  {
    name: 'dead-per-entry', exercise: '06-dead-neurons',
    patch: [['  let dead = 0;\n  for (let j = 0; j < units; j++) {\n    let alive = false;\n    for (let i = 0; i < n && !alive; i++) alive = preActivations[i][j] > 0;\n    if (!alive) dead++;\n  }\n  return dead / units;',
      '  let dead = 0;\n  for (const row of preActivations) for (const z of row) if (z <= 0) dead++;\n  return dead / (n * units);']],
    fails: { 'diagnostics.deadUnitFraction.values': 'dead-per-entry', 'diagnostics.deadUnitFraction.edges': 'dead-per-entry' },
  },
  {
    name: 'saturated-per-unit', exercise: '06-dead-neurons',
    patch: [['  for (const row of preActivations) for (const z of row) if (grad(z) < gradThreshold) count++;\n  return count / (n * units);',
      '  for (let j = 0; j < units; j++) if (preActivations.every((row) => grad(row[j]) < gradThreshold)) count++;\n  return count / units;']],
    fails: { 'diagnostics.saturatedFraction.values': 'saturated-per-unit', 'diagnostics.saturatedFraction.threshold': 'saturated-per-unit' },
  },
  {
    name: 'flow-inverted', exercise: '06-dead-neurons',
    patch: [['const ratio = gradNorms[0] / gradNorms[gradNorms.length - 1];', 'const ratio = gradNorms[gradNorms.length - 1] / gradNorms[0];']],
    fails: { 'diagnostics.gradientFlow.classes': 'flow-ratio-inverted' },
  },
  {
    name: 'history-after-update', exercise: '06-dead-neurons',
    patch: [['    history.push({ z, a, loss: 0.5 * (a - target) ** 2 });\n', ''],
      ['    bias -= lr * dz;\n', '    bias -= lr * dz;\n    const z2 = weights.reduce((s, wi, i) => s + wi * x[i], bias);\n    const a2 = neuronForward([1], 0, [z2], act).a;\n    history.push({ z: z2, a: a2, loss: 0.5 * (a2 - target) ** 2 });\n']],
    // the story tests grade the phenomenon on the student's own numbers, which a shifted history still shows
    fails: { 'diagnostics.trainNeuron.history': 'history-after-update' },
  },
];

const manifest = loadManifest();
const exercise = (slug: string) => {
  const ex = manifest.exercises.find((e) => e.slug === slug);
  if (!ex) throw new Error(`no exercise ${slug}`);
  return ex;
};

let work = '';
let reports: GradeReport[] = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'gradlab-suites-04-06-'));
  const dirs = [path.join(ROOT, 'solutions'), path.join(ROOT, 'exercises')];
  for (const b of broken) {
    // only the broken exercise: the others are 'missing' and cost no grading time
    const dir = path.join(work, b.name);
    cpSync(path.join(ROOT, 'solutions', b.exercise), path.join(dir, b.exercise), { recursive: true, dereference: true });
    const file = path.join(dir, b.exercise, FILES[b.exercise]);
    let text = readFileSync(file, 'utf8');
    for (const [from, to] of b.patch) {
      if (!text.includes(from)) throw new Error(`${b.name}: the solution no longer contains ${JSON.stringify(from)}; update the patch`);
      text = text.replace(from, to);
    }
    writeFileSync(file, text);
    dirs.push(dir);
  }
  reports = await gradeSubmissions(dirs, { exercises: EXERCISES });
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const statuses = (r: GradeReport, slug?: string): Record<string, TestStatus> =>
  Object.fromEntries(r.tests.filter((t) => !slug || t.exercise === slug).map((t) => [t.id, t.status]));

describe('hidden suites of 04–06 through the runner', () => {
  it('grade the reference solutions 35/35, every test passed', () => {
    const [r] = reports;
    expect(r.tests.filter((t) => t.status !== 'passed').map((t) => `${t.id}: ${t.status}: ${t.message}`)).toEqual([]);
    expect(r.tests.map((t) => t.id)).toEqual(EXERCISES.flatMap((s) => exercise(s).tests.map((t) => t.id)));
    expect(r.exercises.map((e) => [e.slug, e.score, e.maxScore])).toEqual([['04-batchnorm', 15, 15], ['05-residual', 10, 10], ['06-dead-neurons', 10, 10]]);
    expect(r.score).toBe(35);
  });

  it('grade the stubs 0/35, every test not-implemented', () => {
    const r = reports[1];
    expect(new Set(r.tests.map((t) => t.status))).toEqual(new Set(['not-implemented']));
    expect(r.tests).toHaveLength(20);
    expect(r.score).toBe(0);
  });

  it.each(broken.map((b, i) => [b.name, b, i] as const))('%s: fails exactly the expected tests, with their diagnoses', (_name, b, i) => {
    const r = reports[2 + i];
    const ex = exercise(b.exercise);
    const want: Record<string, TestStatus> = Object.fromEntries(ex.tests.map((t) => [t.id, t.id in b.fails ? 'failed' : 'passed']));
    expect(statuses(r, b.exercise), r.tests.map((t) => `${t.id}: ${t.message}`).join('\n')).toEqual(want);
    const diagnoses = Object.fromEntries(r.tests.filter((t) => t.id in b.fails).map((t) => [t.id, t.diagnosis?.id ?? null]));
    expect(diagnoses).toEqual(b.fails);
    // every failure says something, and hints never print numbers from hidden fixtures
    for (const t of r.tests.filter((k) => k.status === 'failed')) {
      expect(t.message.length).toBeGreaterThan(20);
      expect(t.diagnosis?.hint ?? 'no hint').not.toMatch(/\d\.\d{4}/);
    }
    const passed = ex.tests.filter((t) => !(t.id in b.fails)).reduce((s, t) => s + t.points, 0);
    expect(r.exercises.find((e) => e.slug === b.exercise)?.score).toBe(passed);
    // the other exercises were not submitted
    for (const slug of EXERCISES.filter((s) => s !== b.exercise)) {
      expect(new Set(Object.values(statuses(r, slug)))).toEqual(new Set(['missing']));
    }
  });

  it('hidden tests never print an expected value from the hidden fixtures', () => {
    const numbers = new Set<string>();
    const collect = (v: unknown): void => {
      if (typeof v === 'number') {
        const s = fmt(v);
        if (s.replace(/[^0-9]/g, '').length >= 5) numbers.add(s); // skip 0, 1, 0.5: they occur by chance
      } else if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object') Object.values(v).forEach(collect);
    };
    for (const [slug, name] of [['04-batchnorm', 'batchnorm'], ['04-batchnorm', 'batchnorm-options'], ['05-residual', 'residual'],
      ['06-dead-neurons', 'dead-fraction'], ['06-dead-neurons', 'saturated-fraction']]) {
      const f = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', slug, `${name}.json`), 'utf8')) as { cases: { expected: unknown }[] };
      f.cases.forEach((c) => collect(c.expected));
    }
    const hidden = reports.flatMap((r) => r.tests).filter((t) => t.visibility === 'hidden' && t.status === 'failed');
    expect(hidden.length).toBeGreaterThanOrEqual(10);
    for (const t of hidden) {
      // what the student's code returned may coincide with a fixture value (swapped gradients): not a leak
      const shown = t.message.replace(/\b(got|yours) -?[0-9.e+-]+/g, '$1 …');
      const leaked = [...numbers].filter((n) => shown.includes(n) || (t.diagnosis?.hint ?? '').includes(n));
      expect(leaked, `${t.id}: ${t.message}`).toEqual([]);
      expect(t.message).toMatch(/\(hidden\)|already off|relative error/);
    }
  });

  it('finite-difference failures name the wrong gradient', () => {
    const at = (name: string, id: string) => reports[2 + broken.findIndex((b) => b.name === name)].tests.find((t) => t.id === id)?.message ?? '';
    expect(at('bn-dx-missing-gamma', 'batchnorm.backward.gradcheck')).toMatch(/^dx disagrees with finite differences of your batchnormForward \(train mode\): relative error \S+ > 0\.000001; worst at dx\[\d\]\[\d\]/);
    expect(at('bn-dx-missing-gamma', 'batchnorm.backward.gradcheck')).not.toMatch(/dgamma|dbeta/);
    expect(at('res-grads-swapped', 'residual.backward.gradcheck')).toMatch(/^grads\[0\]\.dW disagrees with finite differences of your residualForward \(act 'sigmoid'\)/m);
    expect(at('res-grads-swapped', 'residual.backward.gradcheck')).toMatch(/^grads\[1\]\.db disagrees/m);
    expect(at('res-grads-swapped', 'residual.backward.gradcheck')).not.toMatch(/^dx disagrees/m);
    expect(at('res-grads-swapped', 'residual.backward.gradcheck')).toMatch(/disagree with act 'tanh' and 'relu' too/);
  });
});
