/**
 * `gradlab check`: the public tests against the student's own files, each failing test shown with
 * its message, a syntax error named as one, an infinite loop stopped by its CPU time (bounded, the
 * worker killed), and --watch running again after a save.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeModuleError, TEST_CPU_MS } from '../grader/check/run-public';
import { gradlab } from './cli-harness';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-check-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A student's course folder: the stubs, with `solved` exercises replaced by the reference solutions. */
function course(name: string, solved: string[] = []): string {
  const dir = path.join(tmp, name);
  cpSync(path.join(ROOT, 'exercises'), path.join(dir, 'exercises'), { recursive: true });
  for (const ex of loadManifest().exercises.filter((e) => solved.includes(e.slug))) {
    cpSync(path.join(ROOT, 'solutions', ex.folder, ex.file), path.join(dir, 'exercises', ex.folder, ex.file));
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** Replaces `from` (which must occur) in an exercise file of the course. */
function edit(dir: string, file: string, from: string, to: string): void {
  const p = path.join(dir, 'exercises', file);
  const text = readFileSync(p, 'utf8');
  expect(text, `${file} holds ${from}`).toContain(from);
  writeFileSync(p, text.replace(from, to));
}

describe('gradlab check', () => {
  it('shows every exercise not started on the stubs, with the next step', async () => {
    const r = await gradlab(['check']);
    expect(r.status).toBe(0);
    for (const ex of loadManifest().exercises) expect(r.stdout).toMatch(new RegExp(`· ${ex.slug}\\s+not started\\n`));
    expect(r.stdout).toContain('Progress: [>-----------------------] 0/7');
    expect(r.stdout).toContain('Next exercise: 01-activations. Read exercises/01-activations/README.md; stuck? `npm run hint -- 01-activations`.');
  });

  it('shows full progress for working code and names the functions a half-done exercise still lacks', async () => {
    const dir = course('progress', ['01-activations', '02-backprop', '03-initialization', '04-batchnorm', '05-residual', '06-dead-neurons']);
    // 06 half done: the reference with deadUnitFraction back to a stub
    edit(dir, '06-dead-neurons/diagnostics.ts', 'export function deadUnitFraction(preActivations: Matrix): number {', "export function deadUnitFraction(preActivations: Matrix): number {\n  throw new NotImplementedError('deadUnitFraction');");
    edit(dir, '06-dead-neurons/diagnostics.ts', "import { shape } from '../lib/tensor';", "import { shape } from '../lib/tensor';\nimport { NotImplementedError } from '../lib/errors';");
    const r = await gradlab(['check'], {}, dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/✓ 05-residual\s+8\/8 public tests pass\n/);
    expect(r.stdout).toMatch(/✗ 06-dead-neurons\s+\d+\/21 public tests pass\n\s+· \d+ tests? wait for what you have not written yet: deadUnitFraction\n/);
    expect(r.stdout).toContain('Progress: [#################>------] 5/7');
    expect(r.stdout).toContain('Next exercise: 06-dead-neurons.');
  });

  it('stops an infinite loop by CPU time, names a syntax error, and shows each failing test with its message', async () => {
    const dir = course('broken', ['01-activations', '04-batchnorm', '05-residual']);
    edit(dir, '01-activations/activations.ts', 'if (x >= 0) return 1 / (1 + Math.exp(-x));', 'if (x >= 0) for (;;) { /* never returns */ }');
    edit(dir, '04-batchnorm/batchnorm.ts', 'variance = sq.map((s) => s / n);', 'variance = sq.map((s) => s / (n - 1));');
    writeFileSync(path.join(dir, 'exercises', '05-residual', 'residual.ts'), 'export function residualForward(x: number[][] {\n  return x;\n}\n');
    const r = await gradlab(['check', '01-activations', '04-batchnorm', '05-residual'], {}, dir);
    expect(r.status).toBe(0);
    const [line01] = r.stdout.split('\n').filter((l) => l.includes('01-activations'));
    // the first sigmoid test reaches sigmoid(0): stopped once it has used the limit, with the others listed as not run
    expect(line01).toMatch(new RegExp(`✗ 01-activations\\s+the test 'sigmoid > [^']+' was stopped after (\\d+\\.\\d) s of CPU time \\(the limit is ${TEST_CPU_MS / 1000} s, as in grading\\): an infinite loop\\? \\(\\d+/32 passed before\\)`));
    const cpu = Number(/stopped after (\d+\.\d) s/.exec(line01)![1]);
    expect(cpu).toBeGreaterThanOrEqual(TEST_CPU_MS / 1000);
    expect(r.stdout).toMatch(/\n\s+· \d+ tests after it did not run\n/);
    expect(r.stdout).toContain('✗ 05-residual        does not compile: exercises/05-residual/residual.ts:1:47: Expected `,` or `)` but found `{`\n');
    expect(r.stdout).not.toMatch(/no public tests/);
    // the unbiased variance in train mode: the test that says so fails, with vitest's message
    expect(r.stdout).toMatch(/✗ 04-batchnorm\s+\d+\/13 public tests pass\n/);
    expect(r.stdout).toMatch(/\n\s+✗ batchnormForward in train mode > normalizes each column with the batch mean and the biased \(÷N\) variance, then applies γ and β: \S.+\n/);
  });

  it('writes each exercise\'s Classroom point and its own lines with --points: those of check <exercise> --exit-code', async () => {
    const dir = course('points', ['01-activations', '02-backprop']);
    // tanhGrad without the square: 01 fails on its own, 02 is blocked by it, 03 is not started
    edit(dir, '01-activations/activations.ts', 'return 1 - t * t;', 'return 1 - t;');
    const points = path.join(dir, 'points');
    mkdirSync(points);
    writeFileSync(path.join(points, '03-initialization'), '1\nan older run\n');
    const all = await gradlab(['check', '01-activations', '02-backprop', '03-initialization', '--points', 'points'], {}, dir);
    expect(all.status).toBe(0);
    expect(readdirSync(points).sort()).toEqual(['01-activations', '02-backprop', '03-initialization']);
    for (const [slug, point] of [['01-activations', 0], ['02-backprop', 1], ['03-initialization', 0]] as const) {
      const alone = await gradlab(['check', slug, '--exit-code'], {}, dir);
      expect(alone.status, slug).toBe(1 - point);
      expect(readFileSync(path.join(points, slug), 'utf8'), slug).toBe(`${point}\n${alone.stdout}`);
    }
    expect(readFileSync(path.join(points, '02-backprop'), 'utf8')).toMatch(/^1\n {2}⊘ 02-backprop\s+blocked by 01-activations: tanhGrad fails its own tests — fix 01 first\n/);
    expect((await gradlab(['check', '--points', 'points', '--watch'], {}, dir)).stderr).toContain('--points writes the points of one run: use it without --watch');
  });

  it('runs again when a file is saved, with --watch', async () => {
    const dir = course('watch', ['01-activations', '02-backprop']);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'gradlab.mjs'), 'check', '05-residual', '--watch'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const seen = (text: string, times: number) => new Promise<void>((resolve, reject) => {
      const look = () => { if (out.split(text).length - 1 >= times) resolve(); };
      child.stdout.on('data', look);
      child.once('exit', (code) => reject(new Error(`check --watch exited (${code}) before printing '${text}' ${times}×:\n${out}`)));
      look();
    });
    // a backstop so that a watcher that never fires cannot hang the suite
    const backstop = setTimeout(() => child.kill('SIGKILL'), 100_000);
    try {
      await seen('Watching exercises/ for changes', 1);
      expect(out).toMatch(/· 05-residual\s+not started/);
      cpSync(path.join(ROOT, 'solutions', '05-residual', 'residual.ts'), path.join(dir, 'exercises', '05-residual', 'residual.ts'));
      await seen('Watching exercises/ for changes', 2);
      expect(out).toContain('── exercises/05-residual/residual.ts changed: running the public tests again ──');
      expect(out.split('Progress:').length - 1, out).toBe(2);
      expect(out).toMatch(/✓ 05-residual\s+8\/8 public tests pass/);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(backstop);
      child.kill('SIGKILL');
    }
  });

  it('reads a compile error out of vitest\'s transform message', () => {
    const raw = `Transform failed with 1 error:\n\n\u001b[31m[PARSE_ERROR] \u001b[0mUnexpected token\n   ╭─[ ${ROOT}/exercises/01-activations/activations.ts:3:19 ]\n`;
    expect(describeModuleError(raw, ROOT)).toEqual({ kind: 'compile', message: 'exercises/01-activations/activations.ts:3:19: Unexpected token' });
    expect(describeModuleError('Failed to load url ./activations (resolved id: ./activations)', ROOT)).toEqual({ kind: 'load', message: 'Failed to load url ./activations (resolved id: ./activations)' });
  });

  it('refuses an unknown exercise and a folder without exercises/', async () => {
    expect((await gradlab(['check', 'nope'])).stderr).toMatch(/^gradlab: unknown exercise 'nope': use one of 01-activations/);
    const r = await gradlab(['check'], {}, tmp);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`gradlab: no exercises/ folder in ${tmp}: run \`npm run check\` from the top of your course repository\n`);
  });
});
