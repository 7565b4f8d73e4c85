/**
 * When the grader itself fails (not the submission), `gradlab grade` still writes every results
 * file asked for, with every test 'error' and a message that blames the grader, and exits 1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import type { Results } from '../grader/results';
import { gradlab } from './cli-harness';

vi.mock('../grader/runner.js', () => ({
  gradeSubmissions: async () => { throw new Error('vitest could not start (simulated)'); },
}));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-failure-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('writes the results with every test in error and exits 1, without a stack trace', async () => {
  const out = path.join(tmp, 'results.json');
  const gs = path.join(tmp, 'gradescope.json');
  const r = await gradlab(['grade', 'solutions', '-e', '05-residual', '-f', 'json', '-o', out, '-f', 'gradescope', '-o', gs]);
  expect(r.status).toBe(1);
  const message = "the grader failed before it could grade (vitest could not start (simulated)); this is not your code's fault: tell the course staff";
  expect(r.stderr).toBe(`gradlab: ${message}\n`);
  const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
  expect(results.score).toBe(0);
  expect(results.maxScore).toBe(10);
  expect(results.tests.map((t) => [t.status, t.message])).toEqual(results.tests.map(() => ['error', message]));
  const gradescope = JSON.parse(readFileSync(gs, 'utf8')) as { score: number; tests: { status: string }[] };
  expect(gradescope.score).toBe(0);
  expect(gradescope.tests.every((t) => t.status === 'failed')).toBe(true);
});
