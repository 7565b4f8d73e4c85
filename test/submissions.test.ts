/**
 * Broken and hostile submissions (test/submissions/<case>/, one line each in its README.md).
 *
 * A case holds the exercise files it brings, laid out like a submission, and an expected.json
 * (where the case is the reference with a small change, that change is the expected.json's
 * `patch` instead of a file, written into the reference as test/diagnoses.test.ts does): which exercises to grade, the exact total, the exact score and status of each
 * graded exercise and the status, message fragment and diagnosis of every affected test. Every
 * test it does not name must pass: that is how "a hostile case never changes another exercise's
 * score" is proven, on the neighbouring exercise of each case and on all six for a few of them.
 *
 * The submissions are assembled in a temporary folder (the reference solutions, then the case's
 * files and patch, then only the exercises the case is graded on) and graded with one
 * `gradeSubmissions` call in beforeAll: one vitest run for all cases, in which the exercises a
 * case's folder does not hold are missing and cost no grading; a case's report is its exercises'
 * part. Three cases go through the real CLI in a process group of its own: the fake
 * score lines (the text report must show the true Score line only and no workflow command), and
 * the two that signal the grader's processes (a kill of the whole process group, a SIGSTOP of the
 * vitest worker), which would otherwise take this test run down with them.
 *
 * Across all cases: no message carries a stack trace, an escape character or the temporary path,
 * and no `hidden` test prints a number from its exercise's hidden fixtures' expected values.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';
import type { GradeReport } from '../grader/results';
import { gradeSubmissions } from '../grader/runner';
import { applyPatch, type CaseExpectation, hiddenExpectedNumbers, hiddenLeaks, leakedNumbers, mismatches, onlyExercises, labelLeaks, visibleLeakedNumbers, visibleLeaks } from './submission-cases';

const CASES_DIR = path.join(ROOT, 'test', 'submissions');
// 3 s a call: oom-in-function fills the 256 MB heap in ≈ 1.7 s of CPU on Node 24 and 26 (GC included), and
// weird-returns builds a 4,000,003-entry array: at 1 s both were stopped as timeouts before they could fail as meant
const TIMEOUTS = { callTimeoutMs: 3000, loadTimeoutMs: 2000 };

const manifest = loadManifest();
const CASES: Array<{ name: string; exp: CaseExpectation }> = readdirSync(CASES_DIR)
  .filter((name) => existsSync(path.join(CASES_DIR, name, 'expected.json')))
  .sort()
  .map((name) => ({ name, exp: JSON.parse(readFileSync(path.join(CASES_DIR, name, 'expected.json'), 'utf8')) as CaseExpectation }));
const IN_PROCESS = CASES.filter((c) => c.exp.inProcess !== false);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-submissions-'));
const dirs = new Map<string, string>();
const reports = new Map<string, GradeReport>();
/** Each in-process case's whole report, with the exercises its folder does not hold. */
const whole = new Map<string, GradeReport>();
let gradedAt = 0;

/** The reference solutions with the case's files on top (expected.json left out), its patch written, links made, files deleted, and only the exercises it is graded on kept. */
function assemble(name: string, exp: CaseExpectation): string {
  const dir = path.join(tmp, name);
  cpSync(path.join(ROOT, 'solutions'), dir, { recursive: true, dereference: true });
  cpSync(path.join(CASES_DIR, name), dir, { recursive: true, filter: (src) => path.basename(src) !== 'expected.json' });
  if (exp.patch) applyPatch(dir, `test/submissions/${name}`, exp.patch);
  for (const rel of exp.delete ?? []) rmSync(path.join(dir, rel));
  for (const [rel, target] of Object.entries(exp.symlinks ?? {})) {
    rmSync(path.join(dir, rel), { force: true, recursive: true });
    symlinkSync(path.join(ROOT, target), path.join(dir, rel));
  }
  for (const { slug } of manifest.exercises) if (!exp.exercises.includes(slug)) rmSync(path.join(dir, slug), { recursive: true, force: true });
  return dir;
}

/** Where a planted file could land: as given, and relative to every working directory in play. */
function plantedPaths(exp: CaseExpectation, dir: string): string[] {
  return (exp.files?.absent ?? []).flatMap((f) => (path.isAbsolute(f)
    ? [f]
    : [path.resolve(f), path.join(ROOT, f), path.join(dir, f), ...exp.exercises.map((ex) => path.join(dir, ex, f))]));
}

function fingerprint(file: string): string {
  return existsSync(file) ? `${statSync(file).mtimeMs}:${statSync(file).size}` : 'absent';
}
const before = new Map<string, string>();

beforeAll(async () => {
  for (const { name, exp } of CASES) {
    const dir = assemble(name, exp);
    dirs.set(name, dir);
    for (const f of plantedPaths(exp, dir)) before.set(f, fingerprint(f));
  }
  // the limits are CPU time: 03's deep experiment (1.3 M numbers per call) uses ≈ 0.12 s of the 1 s however busy the machine
  const got = await gradeSubmissions(IN_PROCESS.map((c) => dirs.get(c.name) as string), TIMEOUTS);
  IN_PROCESS.forEach(({ name, exp }, i) => {
    whole.set(name, got[i]);
    reports.set(name, onlyExercises(got[i], exp.exercises));
  });
  gradedAt = Date.now();
}, 1_800_000); // a backstop only: every limit inside grading is CPU time (≈ 40 s on an idle 2-core machine, 4 min at a load of 30, more than 10 min at a load of 36)

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('broken and hostile submissions, graded in one run', () => {
  for (const { name, exp } of IN_PROCESS) {
    it(`${name}: ${exp.what} → ${exp.grader}`, async () => {
      const r = reports.get(name);
      expect(r, 'no report for this case').toBeDefined();
      expect(mismatches(exp, r as GradeReport)).toEqual([]);
      if (exp.files) {
        const wait = gradedAt + (exp.files.afterMs ?? 0) - Date.now();
        if (wait > 0) await sleep(wait);
        const dir = dirs.get(name) as string;
        const appeared = plantedPaths(exp, dir).filter((f) => fingerprint(f) !== before.get(f));
        expect(appeared, 'files planted by the submission').toEqual([]);
      }
    });
  }

  it('missing-gamma: the failed gradient check names dx, its place and the relative error, and not dgamma or dbeta', () => {
    const message = (reports.get('missing-gamma') as GradeReport).tests.find((t) => t.id === 'batchnorm.backward.gradcheck')?.message ?? '';
    expect(message).toMatch(/^dx disagrees with finite differences of your batchnormForward \(train mode\): relative error \S+ > 0\.000001; worst at dx\[\d\]\[\d\]/);
    expect(message).not.toMatch(/dgamma|dbeta/);
  });

  it('a case is graded on its own exercises only: the others of the run are missing, never run', () => {
    const graded = IN_PROCESS.flatMap(({ name, exp }) => (whole.get(name) as GradeReport).tests
      .filter((t) => !exp.exercises.includes(t.exercise) && t.status !== 'missing').map((t) => `${name}: ${t.id} ${t.status}`));
    expect(graded).toEqual([]);
  });

  it('every case has a line in README.md, and every case folder an expected.json', () => {
    const readme = readFileSync(path.join(CASES_DIR, 'README.md'), 'utf8');
    // diagnoses/ holds the one-mistake cases of test/diagnoses.test.ts, with their own expected.json
    const folders = readdirSync(CASES_DIR).filter((f) => f !== 'diagnoses' && statSync(path.join(CASES_DIR, f)).isDirectory());
    expect(folders.filter((f) => !existsSync(path.join(CASES_DIR, f, 'expected.json')))).toEqual([]);
    expect(CASES.filter((c) => !readme.includes(`\`${c.name}\``)).map((c) => c.name)).toEqual([]);
    for (const { name, exp } of CASES) {
      // the expectation adds up: scores within the points, and the total is their sum
      const sum = Object.values(exp.perExercise).reduce((a, e) => a + e.score, 0);
      expect(sum, name).toBe(exp.score);
      expect(Object.keys(exp.perExercise), name).toEqual(exp.exercises);
      for (const id of Object.keys(exp.tests)) expect(manifest.exercises.some((e) => exp.exercises.includes(e.slug) && e.tests.some((t) => t.id === id)), `${name}: ${id}`).toBe(true);
    }
  });

  it('no message carries a stack trace, an escape character or the temporary folder', () => {
    const bad = new Set<string>(); // one line per case, problem and message
    for (const [name, r] of reports) {
      for (const t of r.tests) {
        const text = `${t.message}\n${t.diagnosis?.hint ?? ''}`;
        const shown = JSON.stringify(t.message.slice(0, 160));
        if (/\n\s*at .*(:\d+:\d+\)?|\(native\))/.test(text) || /node:internal|file:\/\//.test(text)) bad.add(`${name} (${t.exercise}): stack trace in ${shown}`);
        if (/\u001b/.test(text)) bad.add(`${name} (${t.exercise}): escape character in ${shown}`);
        if (text.includes(path.basename(tmp))) bad.add(`${name} (${t.exercise}): temporary folder in ${shown}`);
      }
    }
    expect([...bad]).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Hidden tests never print their expected values.

describe('hidden tests', () => {
  it('the scan recognises a hidden value when one is printed', () => {
    const numbers = hiddenExpectedNumbers('02-backprop');
    const [value] = numbers;
    expect(value).toBeDefined();
    expect(leakedNumbers(`dW: relative error 0.5 > 1e-7; worst at [0][0]: want ${value}, got 1.234`, numbers)).toEqual([value]);
    expect(leakedNumbers(`dW: worst at [0][0]: expected ${value}`, new Set())).toHaveLength(1);
    expect(leakedNumbers(`dW: expected (hidden), got ${value}`, numbers)).toEqual([]);
  });

  it('no hidden test, in any case, prints a number from its hidden fixtures’ expected values', () => {
    const { scanned, leaks } = hiddenLeaks(reports);
    expect(leaks).toEqual([]);
    expect(scanned).toBeGreaterThanOrEqual(15); // the cases do reach the hidden tests
  });

  it('the scan of visible tests recognises a hidden value printed as numeric (finite differences on a hidden input)', () => {
    const numbers = hiddenExpectedNumbers('02-backprop');
    const [value] = numbers;
    expect(visibleLeakedNumbers(`db disagrees with finite differences of your denseForward: worst at db[1]: numeric ${value}, yours 1.5`, numbers)).toEqual([value]);
    expect(visibleLeakedNumbers(`db: expected 0.25, got ${value}`, numbers)).toEqual([]);
  });

  it('no test a student sees (visible, or after the due date), in any case, prints a number from a hidden fixture’s expected values', () => {
    const { scanned, leaks } = visibleLeaks(reports);
    expect(leaks).toEqual([]);
    expect(scanned).toBeGreaterThanOrEqual(40); // the cases do reach the visible tests
  });

  it('no test, in any case, prints a hidden fixture\'s case label that says what the case expects', () => {
    // an attacker's stub gradientFlow saw "(ratio just below 1e-2 is vanishing; …)" in a visible test,
    // and globalGradNorm's "(3 layers, global norm ≈ 9.84, maxNorm 1: clipped)" gave the answer to 3 digits
    const { scanned, leaks } = labelLeaks(reports);
    expect(leaks).toEqual([]);
    expect(scanned).toBeGreaterThanOrEqual(100);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the real CLI, in a process group of its own.

/** The CLI built by tsc into a folder of this test's own (dist/ is rebuilt by other test files at the same time). */
const cliHome = path.join(ROOT, 'node_modules', '.cache', 'gradlab-submissions-test');
const cliBin = path.join(cliHome, 'bin', 'gradlab.mjs');

interface CliRun { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number; timedOut: boolean }

/** `node bin/gradlab.mjs …` as the leader of a new process group; past `limitMs` the whole group is killed. */
function runCli(args: string[], limitMs: number): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('GITHUB_')) delete env[k];
  const started = Date.now();
  const child = spawn(process.execPath, [cliBin, ...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const group = child.pid as number;
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
  const killGroup = () => { try { process.kill(-group, 'SIGKILL'); } catch { /* already gone */ } };
  const timer = setTimeout(() => { timedOut = true; killGroup(); }, limitMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(); // whatever the run left behind in its group (a stopped worker, a sandbox)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

/**
 * How long a CLI run may take before its process group is killed: a backstop against a hang, far
 * above the few seconds a run takes (the sandbox's limits are CPU time, so load does not reach them).
 */
const CLI_BACKSTOP_MS = 240_000;

function exerciseArgs(exercises: string[]): string[] {
  return exercises.flatMap((e) => ['-e', e]);
}

describe('through the CLI', () => {
  beforeAll(() => {
    rmSync(cliHome, { recursive: true, force: true });
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(cliHome, 'dist')], { cwd: ROOT });
    mkdirSync(path.dirname(cliBin), { recursive: true });
    copyFileSync(path.join(ROOT, 'bin', 'gradlab.mjs'), cliBin);
  }, 120_000);

  const fake = CASES.find((c) => c.name === 'fake-scores');
  it('fake-scores: the text report shows the true Score line only, and nothing a GitHub runner would read as a command', async () => {
    const { exp } = fake as { exp: CaseExpectation };
    const cli = exp.cli as NonNullable<CaseExpectation['cli']>;
    const r = await runCli(['grade', dirs.get('fake-scores') as string, ...exerciseArgs(cli.exercises), '--timeout', '1000', '-f', 'text'], CLI_BACKSTOP_MS);
    expect([r.code, r.signal, r.timedOut]).toEqual([0, null, false]);
    const lines = r.stdout.split('\n');
    const problems = [
      ...(r.stderr === '' ? [] : [`stderr is not empty: ${JSON.stringify(r.stderr.slice(0, 300))}`]),
      ...(JSON.stringify(lines.filter((l) => /^Score:/.test(l))) === JSON.stringify([cli.scoreLine]) ? [] : [`Score lines: ${JSON.stringify(lines.filter((l) => /^Score:/.test(l)))}`]),
      // printed to the sandbox's stdout and stderr, which never reach the grader's
      ...lines.filter((l) => l.includes('\u2705')).map((l) => `the sandbox's stdout reached the report: ${JSON.stringify(l)}`),
      // a GitHub runner trims leading blanks (Unicode ones too) before it looks for `::`, and reads `##[` anywhere in a line
      ...lines.filter((l) => l.trimStart().startsWith('::')).map((l) => `a workflow command: ${JSON.stringify(l)}`),
      ...lines.filter((l) => l.includes('##[')).map((l) => `a legacy workflow command: ${JSON.stringify(l)}`),
    ];
    expect(problems).toEqual([]);
  }, CLI_BACKSTOP_MS + 60_000);

  for (const { name, exp } of CASES.filter((c) => c.exp.inProcess === false)) {
    it(`${name}: ${exp.what} → ${exp.grader}`, async () => {
      const cli = exp.cli as NonNullable<CaseExpectation['cli']>;
      const out = path.join(tmp, `${name}.results.json`);
      const limit = cli.withinMs ?? CLI_BACKSTOP_MS;
      const r = await runCli(['grade', dirs.get(name) as string, ...exerciseArgs(cli.exercises), '--timeout', '1000', '-f', 'json', '-o', out], limit);
      expect({ code: r.code, signal: r.signal, timedOut: r.timedOut, resultsWritten: existsSync(out) },
        `after ${r.ms} ms; stderr: ${r.stderr.slice(0, 500)}`).toEqual({ code: 0, signal: null, timedOut: false, resultsWritten: true });
      const results = JSON.parse(readFileSync(out, 'utf8')) as GradeReport;
      expect(mismatches(exp, results)).toEqual([]);
    }, CLI_BACKSTOP_MS + 60_000);
  }
});
