/** grader/gradescope/run_autograder, run as Gradescope runs it, on a fake /autograder tree. */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../grader/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-gs-'));
beforeAll(() => {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('grades /autograder/submission into results.json, even with a broken and a missing file', () => {
  const sub = path.join(tmp, 'submission', 'exercises');
  cpSync(path.join(ROOT, 'solutions'), sub, { recursive: true, dereference: true });
  writeFileSync(path.join(sub, '05-residual', 'residual.ts'), 'export function residualForward( {');
  rmSync(path.join(sub, '06-dead-neurons'), { recursive: true });
  mkdirSync(path.join(tmp, 'results'), { recursive: true });
  const r = spawnSync('bash', [path.join(ROOT, 'grader', 'gradescope', 'run_autograder')], {
    encoding: 'utf8', env: { ...process.env, AUTOGRADER_ROOT: tmp, GRADLAB_SOURCE: ROOT }, timeout: 120_000,
  });
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('Score: 80/100');
  const results = JSON.parse(readFileSync(path.join(tmp, 'results', 'results.json'), 'utf8'));
  expect(results.score).toBe(80);
  const byTag = (slug: string) => results.tests.filter((t: { tags: string[] }) => t.tags.includes(slug));
  expect(byTag('05-residual').every((t: { status: string; output: string }) => t.status === 'failed' && /does not compile/.test(t.output))).toBe(true);
  expect(byTag('06-dead-neurons').every((t: { output: string }) => /is missing from the submission/.test(t.output))).toBe(true);
  expect(byTag('04-batchnorm').every((t: { status: string }) => t.status === 'passed')).toBe(true);
});
