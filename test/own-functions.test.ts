/**
 * Another exercise's contract functions in a student's sandbox (issue 20): they are computed by
 * the reference outside the student's process (the oracle), unless the student's own function
 * passes its own exercise's tests, run first in that sandbox on the student's own module loaded in
 * a realm of its own (harness.ts chooseOwn, child.mjs ownRealm). Both branches, through the whole
 * grader, counted with GRADLAB_RECORD_CALLS (the calls the oracle answered for each exercise):
 *
 * - the reference solutions as a submission: every own function passes, so 02, 05, 06 and 07 ask
 *   the oracle nothing (05's hidden tests alone would otherwise make 30,405 round trips);
 * - one mistake in 02 (db averaged over the batch, test/submissions/db-mean): 02 loses exactly
 *   what that case says, 05, 06 and 07 keep every point; 05 and 07, which call denseBackward (07
 *   through mlpBackward), get 02's values from the oracle, 06 its own (it calls neither);
 * - two mistakes in 01 (test/submissions/patched-globals-wrong, which also patches a dozen globals
 *   at import): exactly that case's total, and 02 asks the oracle for the two failing functions'
 *   values only while its own realm's patched globals never reach 02's code; 07 then uses the
 *   reference's 02 (an own 02 on the reference's 01 would make a round trip per matrix entry);
 * - 01 looping forever at import (test/submissions/loop-at-import): 02 keeps every point and the
 *   oracle answers for all of 01 (the realm's import is stopped, or the load retried without it);
 * - 01 spinning 0.2 s a call only when it runs in another exercise's sandbox
 *   (test/submissions/checks-burn): the checks there stop at their own CPU budget (one per-call
 *   limit), so each sandbox spends at most that and one call on them, and the reference answers
 *   for 01 (a reviewer's version of it held 06 alone for 72–92 s of wall, full marks, none of it charged);
 * - a denseBackward right on small inputs but returning dx = dz on a 256-wide layer (written here,
 *   `wide-wrong`; an attacker's numerically differentiating 02 took the same path): 02's four
 *   backward tests fail on the wide check (gradcheck.ts; mlpBackward calls denseBackward), and 05
 *   and 07 keep every point: the checks that choose the own 02 run the wide check too, so both get
 *   02's backward from the reference. Without it there, 05's own wide check (its residualBackward
 *   calls denseBackward on a 256-wide layer) cost a correct 05 7.5 points.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../grader/paths';
import type { GradeReport } from '../grader/results';
import { gradeSubmissions } from '../grader/runner';
import { applyPatch, type CaseExpectation } from './submission-cases';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-own-'));
const recorded = path.join(tmp, 'calls');
const CASES = ['reference', 'db-mean', 'patched-globals-wrong', 'loop-at-import', 'checks-burn', 'wide-wrong'] as const;
type Case = (typeof CASES)[number];
const expectation = (name: string): CaseExpectation => JSON.parse(readFileSync(path.join(ROOT, 'test', 'submissions', name, 'expected.json'), 'utf8')) as CaseExpectation;

/** The reference solutions, all seven exercises, with a held-in case's files and patch written in (as test/submissions.test.ts does). */
function assemble(name: Case): string {
  const dir = path.join(tmp, name);
  cpSync(path.join(ROOT, 'solutions'), dir, { recursive: true, dereference: true });
  if (name === 'reference') return dir;
  if (name === 'wide-wrong') {
    const file = path.join(dir, '02-backprop', 'backprop.ts');
    const code = readFileSync(file, 'utf8').replace('export function denseBackward(', 'function denseBackwardRight(');
    writeFileSync(file, `${code}
export function denseBackward(dz: Matrix, x: Matrix, layer: Dense): { dx: Matrix } & LayerGrads {
  const right = denseBackwardRight(dz, x, layer);
  return dz[0].length >= 200 ? { ...right, dx: dz } : right;
}
`);
    return dir;
  }
  cpSync(path.join(ROOT, 'test', 'submissions', name), dir, { recursive: true, filter: (src) => path.basename(src) !== 'expected.json' });
  const { patch } = expectation(name);
  if (patch) applyPatch(dir, `test/submissions/${name}`, patch);
  return dir;
}

const reports = new Map<Case, GradeReport>();
/** Oracle round trips per case and exercise. */
const oracleCalls = new Map<Case, Record<string, number>>();
/** The CPU ms the checks of the own 01 and 02 took in each exercise's sandbox, per case. */
const checksMs = new Map<Case, Record<string, number>>();

beforeAll(async () => {
  const dirs = CASES.map(assemble);
  mkdirSync(recorded);
  process.env.GRADLAB_RECORD_CALLS = recorded;
  try {
    const graded = await gradeSubmissions(dirs, { callTimeoutMs: 3000, loadTimeoutMs: 2000 });
    CASES.forEach((c, i) => reports.set(c, graded[i]));
  } finally {
    delete process.env.GRADLAB_RECORD_CALLS;
  }
  for (const file of readdirSync(recorded).filter((f) => f.endsWith('.oracle.json'))) {
    const [, index, slug] = /^(\d+)-(.+)\.oracle\.json$/.exec(file) as RegExpExecArray;
    const c = CASES[Number(index)];
    const record = JSON.parse(readFileSync(path.join(recorded, file), 'utf8')) as { calls: number; checksMs: number };
    oracleCalls.set(c, { ...oracleCalls.get(c), [slug]: record.calls });
    checksMs.set(c, { ...checksMs.get(c), [slug]: record.checksMs });
  }
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const score = (c: Case, slug: string): number | undefined => reports.get(c)?.exercises.find((e) => e.slug === slug)?.score;

describe('another exercise’s contract functions: the student’s own where they pass, the reference’s otherwise', () => {
  it('a correct submission uses its own 01 and 02 everywhere: no round trip to the oracle', () => {
    expect(reports.get('reference')?.score).toBe(100);
    expect(oracleCalls.get('reference')).toEqual({
      '01-activations': 0, '02-backprop': 0, '03-initialization': 0, '04-batchnorm': 0, '05-residual': 0, '06-dead-neurons': 0, '07-training': 0,
    });
  });

  it('a mistake in 02 costs 02 alone: 05 and 07 get 02’s values from the reference, 06 (which calls none of the wrong ones) its own', () => {
    expect(score('db-mean', '02-backprop')).toBe(expectation('db-mean').perExercise['02-backprop'].score);
    expect(reports.get('db-mean')?.score).toBe(100 - (20 - (expectation('db-mean').perExercise['02-backprop'].score)));
    for (const slug of ['05-residual', '07-training']) expect(oracleCalls.get('db-mean')?.[slug], slug).toBeGreaterThan(0);
    // 06 imports neuronForward and activationBackward only, whose tests pass
    expect(oracleCalls.get('db-mean')?.['06-dead-neurons']).toBe(0);
    // every call 05's hidden tests make of 02's functions (docs/security.md), each a round trip here
    expect(oracleCalls.get('db-mean')?.['05-residual']).toBe(30_405);
  });

  it('two mistakes in 01 and patched globals cost exactly the two mistakes; 02 asks the oracle for those two functions', () => {
    expect(reports.get('patched-globals-wrong')?.score).toBe(expectation('patched-globals-wrong').score);
    expect(score('patched-globals-wrong', '02-backprop')).toBe(20);
    expect(oracleCalls.get('patched-globals-wrong')?.['02-backprop']).toBeGreaterThan(0);
  });

  it('an 01 whose checks never end costs nothing: they stop at one per-call limit of CPU (3 s here) and one call, and the reference answers for it', () => {
    expect(reports.get('checks-burn')?.score).toBe(100);
    const spent = checksMs.get('checks-burn') ?? {};
    // the sandboxes of 02, 05 (through 02), 06 and 07 check the own 01, each in its own child (nothing is reused
    // between sandboxes: what the budget reaches does not depend on what a worker graded before);
    // each reached the budget and went at most one call past it
    const ran = Object.keys(spent).filter((slug) => spent[slug] > 1000).sort();
    expect(ran).toEqual(['02-backprop', '05-residual', '06-dead-neurons', '07-training']);
    for (const slug of ran) expect(spent[slug], slug).toBeGreaterThanOrEqual(3000);
    for (const [slug, ms] of Object.entries(spent)) expect(ms, slug).toBeLessThan(3000 + 3000 + 500);
    expect(oracleCalls.get('checks-burn')?.['02-backprop']).toBeGreaterThan(0);
  });

  it('a denseBackward wrong only on wide inputs costs 02’s four backward tests and nothing else: 05 and 07 get 02’s backward from the reference', () => {
    const tests02 = reports.get('wide-wrong')?.tests.filter((t) => t.exercise === '02-backprop') ?? [];
    expect(tests02).toHaveLength(10);
    expect(tests02.filter((t) => t.status !== 'passed').map((t) => t.id)).toEqual(['backprop.denseBackward.fixture', 'backprop.denseBackward.gradcheck', 'backprop.mlpBackward.fixture', 'backprop.mlpBackward.gradcheck']);
    for (const t of tests02.filter((x) => x.status !== 'passed')) expect(t.message, t.id).toMatch(/width 256 gives neither the contract's gradients nor a known mistake's/);
    expect(score('wide-wrong', '05-residual')).toBe(10);
    expect(score('wide-wrong', '07-training')).toBe(15);
    for (const slug of ['05-residual', '07-training']) expect(oracleCalls.get('wide-wrong')?.[slug], slug).toBeGreaterThan(0);
  });

  it('an 01 that loops at import costs 01 alone: 02 gets every 01 value from the reference', () => {
    expect(reports.get('loop-at-import')?.score).toBe(expectation('loop-at-import').score);
    expect(score('loop-at-import', '02-backprop')).toBe(20);
    expect(oracleCalls.get('loop-at-import')?.['02-backprop']).toBeGreaterThan(0);
  });
});
