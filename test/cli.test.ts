/**
 * The `gradlab` command as users run it: a real process, real files, exit codes. Grading the
 * reference solutions gives 100/100, the stubs 0 with every test not-implemented, and a missing
 * folder or a bad argument exits 2 with a message that says what to do.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradlab } from './cli-harness';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';
import type { Results } from '../grader/results';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-cli-'));
const bin = path.join(ROOT, 'bin', 'gradlab.mjs');

/** The real command, as a child process. */
function gradlabProcess(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' }, timeout: 120_000 });
}

beforeAll(() => {
  // the CLI runs compiled JavaScript: build it the way `npm ci` does (the prepare script)
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('gradlab grade', () => {
  it('grades the reference solutions 100/100 and writes json, junit and text in one run', () => {
    const json = path.join(tmp, 'solutions.json');
    const junit = path.join(tmp, 'junit.xml');
    const r = gradlabProcess(['grade', 'solutions', '-f', 'json', '-o', json, '-f', 'junit', '-o', junit, '-f', 'text']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const results = JSON.parse(readFileSync(json, 'utf8')) as Results;
    expect(results.score).toBe(100);
    expect(results.maxScore).toBe(100);
    expect(results.tests.filter((t) => t.status !== 'passed').map((t) => `${t.id}: ${t.message}`)).toEqual([]);
    expect(results.tests.length).toBe(loadManifest().exercises.reduce((a, e) => a + e.tests.length, 0));
    expect(results.exercises.map((e) => [e.slug, e.score, e.status])).toEqual(loadManifest().exercises.map((e) => [e.slug, e.points, 'passed']));
    expect(readFileSync(junit, 'utf8')).toMatch(/^<\?xml[\s\S]*<testsuites[^>]* failures="0" errors="0"/);
    expect(r.stdout).toMatch(/\nScore: 100\/100\n/);
  });

  it('grades the stubs 0 with every test not-implemented, and exits 0', () => {
    const json = path.join(tmp, 'stubs.json');
    const r = gradlabProcess(['grade', 'exercises', '--format', 'json', '--out', json]);
    expect(r.status).toBe(0);
    const results = JSON.parse(readFileSync(json, 'utf8')) as Results;
    expect(results.score).toBe(0);
    expect(new Set(results.tests.map((t) => t.status))).toEqual(new Set(['not-implemented']));
    expect(results.exercises.every((e) => e.status === 'not-implemented')).toBe(true);
  });

  it('defaults to exercises/ and JSON on stdout when stdout is not a terminal, one exercise with -e', async () => {
    const r = await gradlab(['grade', '-e', '05-residual']);
    expect(r.status).toBe(0);
    const results = JSON.parse(r.stdout) as Results;
    expect(results.exercises.map((e) => e.slug)).toEqual(['05-residual']);
    expect(results.maxScore).toBe(10);
  });

  it('exits 2 for a missing submission folder, says what to do, and still writes the results file', () => {
    const out = path.join(tmp, 'missing.json');
    const r = gradlabProcess(['grade', 'no-such-folder', '-f', 'json', '-o', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("gradlab: the submission folder 'no-such-folder' does not exist: pass a folder shaped like exercises/ (01-activations/activations.ts, …)\n");
    const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
    expect(results.score).toBe(0);
    expect(new Set(results.tests.map((t) => t.status))).toEqual(new Set(['missing']));
  });

  it('exits 2 on bad arguments with a message naming the valid choices, never a stack trace', async () => {
    const cases: [string[], string][] = [
      [['grade', 'solutions', '-f', 'pdf'], "gradlab: unknown format 'pdf': use one of text, json, gradescope, classroom, junit\n"],
      [['grade', 'solutions', '-e', '08-attention'], "gradlab: unknown exercise '08-attention': use one of 01-activations, 02-backprop, 03-initialization, 04-batchnorm, 05-residual, 06-dead-neurons, 07-training\n"],
      [['grade', 'solutions', '--frobnicate'], "gradlab: Unknown option '--frobnicate'. See `gradlab grade --help`.\n"],
      [['grade', 'a', 'b'], 'gradlab: grade takes one submission folder, got 2 (a, b)\n'],
      [['grade', 'solutions', '-o', 'x.json', '-o', 'y.json'], 'gradlab: 2 --out files for 1 --format: give one --format per --out, in the same order\n'],
      [['grade', 'solutions', '--timeout', 'soon'], "gradlab: --timeout must be a number of milliseconds ≥ 100, got 'soon'\n"],
      [['frobnicate'], "gradlab: unknown command 'frobnicate': use one of grade, collect, class, merge, diff, lms, similarity, comment, check, lab, hint, list, export (see `gradlab --help`)\n"],
    ];
    for (const [args, message] of cases) {
      const r = await gradlab(args);
      expect(r.stderr, args.join(' ')).toBe(message);
      expect(r.status, args.join(' ')).toBe(2);
    }
    expect(existsSync(path.join(ROOT, 'x.json'))).toBe(false);
  });

  it('writes the Classroom hand-over to $GITHUB_ENV and $GITHUB_OUTPUT', async () => {
    const env = path.join(tmp, 'github_env');
    const output = path.join(tmp, 'github_output');
    const r = await gradlab(['grade', 'solutions', '-e', '06-dead-neurons', '-f', 'classroom', '-o', path.join(tmp, 'classroom.json')], { GITHUB_ENV: env, GITHUB_OUTPUT: output });
    expect(r.status).toBe(0);
    const line = readFileSync(env, 'utf8').split('\n').find((l) => l.startsWith('EX06DEADNEURONS_RESULTS='));
    expect(line).toBeDefined();
    const result = JSON.parse(Buffer.from(line!.split('=')[1], 'base64').toString('utf8'));
    expect(result.max_score).toBe(10);
    expect(result.tests.reduce((a: number, t: { score: number }) => a + t.score, 0)).toBe(10);
    expect(readFileSync(output, 'utf8')).toMatch(/^result=[A-Za-z0-9+/=]+$/m);
  });
});

describe('gradlab hint, list, help', () => {
  it('shows the hints of an exercise by slug or number', async () => {
    const r = await gradlab(['hint', '3']);
    expect(r.status).toBe(0);
    const ex = loadManifest().exercises[2];
    expect(r.stdout).toContain(`Hints for ${ex.slug}`);
    for (const h of ex.hints) expect(r.stdout).toContain(h);
    expect((await gradlab(['hint'])).status).toBe(2);
    expect((await gradlab(['hint', 'nope'])).stderr).toMatch(/^gradlab: unknown exercise 'nope': use one of 01-activations/);
  });

  it('lists exercises and tests with points adding up to 100', async () => {
    const r = await gradlab(['list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Total: 100 points.');
    for (const ex of loadManifest().exercises) for (const t of ex.tests) expect(r.stdout).toContain(t.id);
  });

  it('prints usage for --help (exit 0) and for no command (exit 2)', async () => {
    expect((await gradlab(['--help'])).status).toBe(0);
    const none = await gradlab([]);
    expect(none.status).toBe(2);
    expect(none.stdout).toMatch(/^Usage: gradlab <command>/);
    const gradeHelp = await gradlab(['grade', '--help']);
    expect(gradeHelp.status).toBe(0);
    expect(gradeHelp.stdout).toMatch(/^Usage: gradlab grade/);
  });
});
