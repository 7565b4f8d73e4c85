/** `gradlab class`: a whole class in one run, a gradebook with exact numbers, per-student results. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradlab as run } from './cli-harness';
import { findStudents } from '../grader/commands/class';
import { ROOT } from '../grader/paths';
import type { Results } from '../grader/results';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-class-'));
const cls = path.join(tmp, 'class');

beforeAll(() => {
  // alice: the reference solutions; bob: a cloned repository (exercises/ inside) with the stubs;
  // "carol, jr": a ReLU′(0) = 1 mistake and a missing 05 file; a stray file is not a student
  cpSync(path.join(ROOT, 'solutions'), path.join(cls, 'alice'), { recursive: true, dereference: true });
  cpSync(path.join(ROOT, 'exercises'), path.join(cls, 'bob', 'exercises'), { recursive: true });
  const carol = path.join(cls, 'carol, jr');
  cpSync(path.join(ROOT, 'solutions'), carol, { recursive: true, dereference: true });
  const act = readFileSync(path.join(ROOT, 'solutions', '01-activations', 'activations.ts'), 'utf8');
  writeFileSync(path.join(carol, '01-activations', 'activations.ts'), act.replace('return x > 0 ? 1 : 0;', 'return x >= 0 ? 1 : 0;'));
  rmSync(path.join(carol, '05-residual'), { recursive: true });
  writeFileSync(path.join(cls, 'README.txt'), 'not a student');
  mkdirSync(path.join(cls, '.git'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('gradlab class', () => {
  it('finds one student per sub-folder, graded from exercises/ when there is one', () => {
    expect(findStudents(cls).map((s) => [s.name, path.relative(cls, s.dir)])).toEqual([
      ['alice', 'alice'], ['bob', path.join('bob', 'exercises')], ['carol, jr', 'carol, jr'],
    ]);
  });

  it('grades the class in one run and writes the gradebook and per-student results', async () => {
    const gradebook = path.join(tmp, 'out', 'gradebook.csv');
    const results = path.join(tmp, 'out', 'results');
    const r = await run(['class', cls, '-e', '01-activations', '-e', '05-residual', '--gradebook', gradebook, '--results', results]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(gradebook, 'utf8')).toBe([
      'student,score,max_score,01-activations,05-residual,problems',
      'alice,30,30,20,10,',
      'bob,0,30,0,0,',
      '"carol, jr",18,30,18,0,05-residual: missing',
      '',
    ].join('\n'));
    const carol = JSON.parse(readFileSync(path.join(results, 'carol, jr.json'), 'utf8')) as Results;
    expect(carol.score).toBe(18);
    expect(carol.tests.find((t) => t.id === 'activations.reluGrad.grid')?.diagnosis?.id).toBe('relu-grad-at-zero');
    expect(r.stdout).toContain('3 students, mean 16/30.');
    expect(r.stdout).toMatch(/alice\s+30\/30\s+20\s+10\n/);
  });

  it('says what to do with a missing or empty class folder and bad arguments', async () => {
    expect(await run(['class', path.join(tmp, 'nope')])).toEqual({ status: 2, stdout: '', stderr: `gradlab: the class folder '${path.join(tmp, 'nope')}' does not exist: pass a folder with one sub-folder per student\n` });
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    expect((await run(['class', empty])).stderr).toBe(`gradlab: '${empty}' has no sub-folders: put one folder per student in it (each shaped like exercises/)\n`);
    expect((await run(['class'])).stderr).toBe('gradlab: class takes one folder (one sub-folder per student), got 0. See `gradlab class --help`.\n');
    expect((await run(['class', cls, '-e', 'zz'])).status).toBe(2);
    expect((await run(['class', cls, '--timeout', '5'])).stderr).toBe("gradlab: --timeout must be a number of milliseconds ≥ 100, got '5'\n");
    expect((await run(['class', '--help'])).stdout).toMatch(/^Usage: gradlab class <folder>/);
  });
});
