/**
 * One known mistake, one diagnosis. Each case under test/submissions/diagnoses/<case>/ is an
 * expected.json whose `patch` writes exactly one catalogued mistake into one reference solution
 * file (what a student would write; a patch that no longer applies fails loudly), in the format
 * of test/submissions.test.ts otherwise: the exact score,
 * the tests that fail, and the one diagnosis each of them names. Every other test must pass with
 * no diagnosis (test/submission-cases.ts), and the reference solutions themselves get none.
 *
 * Each case is graded on its own exercise only, all cases of an exercise in one vitest run.
 * docs/diagnoses.md lists, per diagnosis id, the cases that carry it (test/diagnoses-doc.test.ts).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';
import type { GradeReport } from '../grader/results';
import { gradeSubmissions } from '../grader/runner';
import { type CaseExpectation, mismatches } from './submission-cases';

const DIR = path.join(ROOT, 'test', 'submissions', 'diagnoses');
const TIMEOUTS = { callTimeoutMs: 4000, loadTimeoutMs: 4000 };
const CASES = readdirSync(DIR).sort().map((name) => ({ name, exp: JSON.parse(readFileSync(path.join(DIR, name, 'expected.json'), 'utf8')) as CaseExpectation }));
const EXERCISES = [...new Set(CASES.map((c) => c.exp.exercises[0]))].sort();
const REFERENCE = '(reference)';

/** The case's mistake written into the copied reference file; a `find` that is not there exactly once fails loudly. */
function writeMistake(dir: string, name: string): void {
  const patch = CASES.find((c) => c.name === name)?.exp.patch;
  if (!patch) throw new Error(`test/submissions/diagnoses/${name}/expected.json has no patch`);
  const file = path.join(dir, patch.file);
  let text = readFileSync(file, 'utf8');
  for (const { find, with: replacement } of patch.replace) {
    const count = text.split(find).length - 1;
    if (count !== 1) throw new Error(`${name}: the patch's text occurs ${count} times in solutions/${patch.file} (it must occur once): ${JSON.stringify(find.slice(0, 80))}`);
    text = text.replace(find, () => replacement);
  }
  writeFileSync(file, text);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-diagnoses-'));
const reports = new Map<string, GradeReport>();

beforeAll(async () => {
  const solutions = path.join(tmp, REFERENCE);
  cpSync(path.join(ROOT, 'solutions'), solutions, { recursive: true, dereference: true });
  for (const slug of EXERCISES) {
    const names = CASES.filter((c) => c.exp.exercises[0] === slug).map((c) => c.name);
    const dirs = names.map((name) => {
      const dir = path.join(tmp, name);
      cpSync(path.join(ROOT, 'solutions'), dir, { recursive: true, dereference: true });
      writeMistake(dir, name);
      return dir;
    });
    const got = await gradeSubmissions([solutions, ...dirs], { ...TIMEOUTS, exercises: [slug] });
    reports.set(`${REFERENCE} ${slug}`, got[0]);
    names.forEach((n, i) => reports.set(n, got[i + 1]));
  }
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
    const points = loadManifest().exercises.find((e) => e.slug === slug)?.points;
    expect(r.tests.filter((t) => t.status !== 'passed' || t.diagnosis).map((t) => t.id)).toEqual([]);
    expect(r.score).toBe(points);
  });
});
