/**
 * One known mistake, one diagnosis. Each case under test/submissions/diagnoses/<case>/ is an
 * expected.json whose `patch` writes exactly one catalogued mistake into one reference solution
 * file (what a student would write; a patch that no longer applies fails loudly), in the format
 * of test/submissions.test.ts otherwise: the exact score,
 * the tests that fail, and the one diagnosis each of them names. Every other test must pass with
 * no diagnosis (test/submission-cases.ts), and the reference solutions themselves get none.
 * Failed hidden tests never print a hidden expected value, and say where the answer is off
 * without it; a failed gradient check names the gradient that disagrees.
 *
 * All cases and the reference are graded in one vitest run: a case's folder holds only its own
 * exercise (the others are `missing`, which costs no grading), and its report is that exercise's
 * part. docs/diagnoses.md lists, per diagnosis id, the cases that carry it (test/diagnoses-doc.test.ts).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';
import type { GradeReport } from '../grader/results';
import { gradeSubmissions } from '../grader/runner';
import { applyPatch, type CaseExpectation, hiddenLeaks, mismatches, onlyExercises, visibleLeaks } from './submission-cases';

const DIR = path.join(ROOT, 'test', 'submissions', 'diagnoses');
const TIMEOUTS = { callTimeoutMs: 4000, loadTimeoutMs: 4000 };
const CASES = readdirSync(DIR).sort().map((name) => ({ name, exp: JSON.parse(readFileSync(path.join(DIR, name, 'expected.json'), 'utf8')) as CaseExpectation }));
const EXERCISES = [...new Set(CASES.map((c) => c.exp.exercises[0]))].sort();
const REFERENCE = '(reference)';
const manifest = loadManifest();

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-diagnoses-'));
const reports = new Map<string, GradeReport>();
/** Each case's whole report, with the exercises its folder does not hold. */
const whole = new Map<string, GradeReport>();

beforeAll(async () => {
  const solutions = path.join(tmp, REFERENCE);
  cpSync(path.join(ROOT, 'solutions'), solutions, { recursive: true, dereference: true });
  const dirs = CASES.map(({ name, exp }) => {
    const dir = path.join(tmp, name);
    const slug = exp.exercises[0];
    cpSync(path.join(ROOT, 'solutions', slug), path.join(dir, slug), { recursive: true, dereference: true });
    if (!exp.patch) throw new Error(`test/submissions/diagnoses/${name}/expected.json has no patch`);
    applyPatch(dir, `test/submissions/diagnoses/${name}`, exp.patch);
    return dir;
  });
  const got = await gradeSubmissions([solutions, ...dirs], { ...TIMEOUTS, exercises: EXERCISES });
  for (const slug of EXERCISES) reports.set(`${REFERENCE} ${slug}`, onlyExercises(got[0], [slug]));
  CASES.forEach(({ name, exp }, i) => {
    whole.set(name, got[i + 1]);
    reports.set(name, onlyExercises(got[i + 1], exp.exercises));
  });
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('one known mistake gets exactly its diagnosis', () => {
  it.each(CASES.map((c) => [c.name, c.exp.what, c.exp] as const))('%s: %s', (name, _what, exp) => {
    expect(exp.exercises, `${name} is graded on one exercise`).toHaveLength(1);
    expect(Object.values(exp.tests).some((t) => t.diagnosis !== undefined), `${name} names a diagnosis`).toBe(true);
    expect(mismatches(exp, reports.get(name) as GradeReport)).toEqual([]);
  });

  it.each(EXERCISES)('the reference solution of %s passes every test with no diagnosis', (slug) => {
    const r = reports.get(`${REFERENCE} ${slug}`) as GradeReport;
    const points = manifest.exercises.find((e) => e.slug === slug)?.points;
    expect(r.tests.filter((t) => t.status !== 'passed' || t.diagnosis).map((t) => t.id)).toEqual([]);
    expect(r.tests.map((t) => t.id)).toEqual(manifest.exercises.find((e) => e.slug === slug)?.tests.map((t) => t.id));
    expect(r.score).toBe(points);
  });

  it('a case is graded on its own exercise only: the others of the run are missing, never run', () => {
    const graded = CASES.flatMap(({ name, exp }) => (whole.get(name) as GradeReport).tests
      .filter((t) => t.exercise !== exp.exercises[0] && t.status !== 'missing').map((t) => `${name}: ${t.id} ${t.status}`));
    expect(graded).toEqual([]);
  });
});

describe('what a failed hidden test says', () => {
  const caseReports = () => new Map(CASES.map(({ name }) => [name, reports.get(name) as GradeReport]));
  const failedHidden = () => [...caseReports()].flatMap(([name, r]) => r.tests.filter((t) => t.visibility === 'hidden' && t.status === 'failed').map((t) => ({ name, t })));

  it('never a number from its hidden fixtures’ expected values, in the message or the hint', () => {
    const { scanned, leaks } = hiddenLeaks(caseReports());
    expect(leaks).toEqual([]);
    expect(scanned).toBeGreaterThanOrEqual(25); // the cases do reach the hidden tests (28 failed hidden tests)
  });

  it('never a number from a hidden fixture’s expected values in a test the student sees (visible or after the due date), not even as `numeric`', () => {
    const { scanned, leaks } = visibleLeaks(caseReports());
    expect(leaks).toEqual([]);
    expect(scanned).toBeGreaterThanOrEqual(25);
  });

  it('where the answer is off, without the hidden value: (hidden), the relative error, or where it is already off', () => {
    const bare = failedHidden().filter(({ t }) => !/\(hidden\)|already off|relative error/.test(t.message)).map(({ name, t }) => `${name} ${t.id}: ${t.message.slice(0, 200)}`);
    expect(bare).toEqual([]);
  });

  it('hints carry no long decimals (numbers the student could copy)', () => {
    const numeric = failedHidden().filter(({ t }) => /\d\.\d{4}/.test(t.diagnosis?.hint ?? '')).map(({ name, t }) => `${name} ${t.id}: ${t.diagnosis?.hint}`);
    expect(numeric).toEqual([]);
  });

  it('a failed gradient check names the gradients that disagree, and only those', () => {
    const message = (reports.get('residual-grads-swapped') as GradeReport).tests.find((t) => t.id === 'residual.backward.gradcheck')?.message ?? '';
    expect(message).toMatch(/^grads\[0\]\.dW disagrees with finite differences of your residualForward \(act 'sigmoid'\)/m);
    expect(message).toMatch(/^grads\[1\]\.db disagrees/m);
    expect(message).not.toMatch(/^dx disagrees/m);
    expect(message).toMatch(/disagree with act 'tanh' and 'relu' too/);
  });
});
