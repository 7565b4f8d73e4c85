/**
 * Every command the README, the exercise READMEs and the exported template's README give, run the
 * way a student or a TA runs it (a shell, `npx`, `npm run`), and checked against what the text
 * says it does — in this repository and in a template written by `gradlab export` and installed
 * with `npm ci`. A command the READMEs add without saying here what it should do fails the test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTemplate, studentReadme } from '../grader/commands/export';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';
import type { Results } from '../grader/results';

const manifest = loadManifest();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-readme-'));
/** A scratch folder where `npx gradlab` resolves to this grader, for the commands that write files. */
const scratch = path.join(tmp, 'scratch');
const template = path.join(tmp, 'template');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The shell commands of a Markdown text: each line of its ```sh blocks, and inline `npm …` / `npx …` spans. */
export function commandsIn(markdown: string): string[] {
  const found: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1].split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command) found.push(...command.split(/\s+&&\s+/));
    }
  }
  for (const span of markdown.matchAll(/`((?:npx|npm) [^`]+)`/g)) found.push(span[1]);
  return [...new Set(found)];
}

const exerciseReadmes = manifest.exercises.map((e) => readFileSync(path.join(ROOT, 'exercises', e.folder, 'README.md'), 'utf8'));
const courseCommands = [...new Set([readFileSync(path.join(ROOT, 'README.md'), 'utf8'), ...exerciseReadmes].flatMap(commandsIn))];
const templateCommands = [...new Set([studentReadme(manifest), ...exerciseReadmes].flatMap(commandsIn))];

function sh(command: string, cwd: string) {
  return spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 300_000 });
}

/**
 * `npm run check -- --watch`: starts, runs once, watches; Ctrl-C (SIGINT to the whole process
 * group, as a terminal sends it) ends npm and the watcher, leaving no process behind.
 */
async function watchStartsAndStops(command: string, cwd: string): Promise<string> {
  const child = spawn('sh', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' }, detached: true });
  const group = child.pid!;
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  const groupAlive = () => { try { process.kill(-group, 0); return true; } catch { return false; } };
  const backstop = setTimeout(() => { if (groupAlive()) process.kill(-group, 'SIGKILL'); }, 200_000);
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => { if (out.includes('Watching exercises/ for changes')) resolve(); });
      child.once('exit', (code) => reject(new Error(`${command} exited (${code}) before watching:\n${out}`)));
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-group, 'SIGINT');
    await exited;
    // the watcher (a grandchild, under npm) is gone too
    for (let i = 0; i < 300 && groupAlive(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(groupAlive()).toBe(false);
    return out;
  } finally {
    clearTimeout(backstop);
    if (groupAlive()) process.kill(-group, 'SIGKILL');
  }
}

const stubsNotStarted = (out: string) => {
  for (const ex of manifest.exercises) expect(out).toMatch(new RegExp(`· ${ex.slug}\\s+not started\\n`));
  expect(out).toContain(`Progress: [>-----------------------] 0/${manifest.exercises.length}`);
};

/** `npx vitest run exercises/NN`: the exercise's public tests run against the stub, and all fail with NotImplementedError. */
function publicTestsFailOnStub(command: string, cwd: string, folder: string) {
  const r = sh(command, cwd);
  expect(r.status, r.stderr).toBe(1);
  const out = r.stdout + r.stderr;
  expect(out).toContain(`exercises/${folder}/`);
  expect(out).toContain('NotImplementedError');
  const summary = /Tests\s+(\d+) failed \((\d+)\)/.exec(out);
  expect(summary, out).not.toBeNull();
  expect(summary![1]).toBe(summary![2]);
}

/** `npm run lab [-- NN] [--html DIR]`: on the stubs no experiment runs, and the lab says which function to write first. */
function labOnStubs(command: string, cwd: string) {
  const html = /--html (\S+)/.exec(command)?.[1];
  // the page goes to a scratch folder, not into the repository
  const out = html ? path.join(tmp, `lab-${path.basename(cwd)}`) : null;
  const r = sh(out ? command.replace(`--html ${html}`, `--html ${out}`) : command, cwd);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/\n0 of \d+ experiments? ran \([\d.]+ s\)\. Next: implement \w+ \(0\d-[a-z-]+\) to see this\.\n/);
  if (out) expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toMatch(/^<!doctype html>/i);
}

function hintShows(command: string, cwd: string, wanted: string) {
  const r = sh(command, cwd);
  expect(r.status, r.stderr).toBe(0);
  const ex = manifest.exercises.find((e) => e.slug === wanted || e.slug.startsWith(`${wanted}-`))!;
  expect(r.stdout).toContain(`Hints for ${ex.slug} (${ex.title}):`);
  for (const h of ex.hints) expect(r.stdout).toContain(h);
}

/** What `npx gradlab grade …` must have done, read from its arguments (formats and files, exercise filter). */
function gradeDid(command: string, cwd: string, submission: { score: number; exercises: string[] }) {
  const r = sh(command, cwd);
  expect(r.status, r.stderr).toBe(0);
  const args = command.split(/\s+/).slice(3);
  const formats: string[] = [];
  const outs: string[] = [];
  let only: string | null = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-f' || args[i] === '--format') formats.push(args[++i]);
    else if (args[i] === '-o' || args[i] === '--out') outs.push(args[++i]);
    else if (args[i] === '-e') only = args[++i];
  }
  const slugs = only ? [only] : manifest.exercises.map((e) => e.slug);
  const score = only ? (submission.exercises.includes(only) ? manifest.exercises.find((e) => e.slug === only)!.points : 0) : submission.score;
  const checkJson = (text: string) => {
    const res = JSON.parse(text) as Results;
    expect(res.score).toBe(score);
    expect(res.exercises.map((e) => e.slug)).toEqual(slugs);
  };
  formats.forEach((format, i) => {
    const file = outs[i];
    const text = file ? readFileSync(path.join(cwd, file), 'utf8') : r.stdout;
    if (format === 'json') checkJson(text);
    else if (format === 'gradescope') expect(JSON.parse(text).score).toBe(score);
    else if (format === 'junit') expect(text).toMatch(/^<\?xml[\s\S]*<testsuites/);
    else if (format === 'text') expect(text).toContain(`Score: ${score}/${slugs.reduce((a, s) => a + manifest.exercises.find((e) => e.slug === s)!.points, 0)}`);
    else throw new Error(`no check for format ${format}`);
  });
  // no --format: a report on a terminal, the JSON results when piped (as here)
  if (formats.length === 0) checkJson(r.stdout);
}

type Check = [RegExp, (m: RegExpExecArray, command: string) => void | Promise<void>];

/** What each course command does, by pattern; `covered` ones are run elsewhere, as said. */
const courseChecks: Check[] = [
  [/^npm ci$/, () => expect(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^scripts\/with-node "\$first" npm ci --no-audit --no-fund$/m)], // .ci/run runs it on a fresh clone; rerunning it here would pull node_modules from under this test
  // this suite, run by .ci/run on each supported line through scripts/with-node: here, that the line it installs is that line
  [/^scripts\/with-node (\d+) npm test$/, (m) => {
    expect(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^  scripts\/with-node "\$line" npm test$/m);
    expect(sh(`scripts/with-node ${m[1]} node --version`, ROOT).stdout).toMatch(new RegExp(`^v${m[1]}\\.\\d+\\.\\d+\\n$`));
  }],
  [/^npm test$/, () => expect(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.test).toMatch(/vitest run --config vitest\.test\.config\.ts/)], // this suite is npm test
  [/^npm run fixtures$/, () => expect(existsSync(path.join(ROOT, 'test', 'fixtures.check.test.ts'))).toBe(true)], // run with -- --check by test/fixtures.check.test.ts (it would rewrite fixtures/ here)
  [/^npm run mutation$/, () => expect(existsSync(path.join(ROOT, 'test', 'mutation.test.ts'))).toBe(true)], // StrykerJS over every exercise takes many minutes: test/mutation.test.ts runs it on a small case, docs/mutation.md records its figures
  [/^npm run measure$/, () => expect(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.measure).toMatch(/scripts\/measure\.ts/)], // minutes of CPU over 300 seeds: test/readme-claims.test.ts re-measures a spread of its seeds against scripts/measure/measurements.json
  [/^npm run wasm$/, () => expect(sh('npm run -s wasm -- --check', ROOT).status).toBe(0)], // writes fixtures/dense-kernel.ts: its --check says the committed bytes are the .wat's (test/dense-kernel.test.ts fails them on a change)
  [/^npm run bench$/, () => expect(readFileSync(path.join(ROOT, 'docs', 'benchmarks.md'), 'utf8')).toContain('npm run bench')], // minutes of CPU: its figures are in docs/benchmarks.md
  [/^npx gradlab grade solutions$/, (_m, c) => gradeDid(c, ROOT, { score: 100, exercises: manifest.exercises.map((e) => e.slug) })],
  [/^npx gradlab grade$/, (_m, c) => gradeDid(c, ROOT, { score: 0, exercises: [] })],
  [/^npx gradlab grade (sub|path\/to\/submission)\b.*$/, (_m, c) => gradeDid(c.replace(/\/autograder\/results\//, ''), scratch, { score: 5 + 5, exercises: ['05-residual'] })],
  [/^npx gradlab list$/, (_m, c) => {
    const r = sh(c, ROOT);
    expect(r.stdout).toContain('Total: 100 points.');
    for (const ex of manifest.exercises) for (const t of ex.tests) expect(r.stdout).toContain(t.id);
  }],
  // a class folder graded into a results folder (default gradlab-results/), again incrementally, one student, one shard
  [/^npx gradlab class submissions\/(?: --results (\S+?)\/?)?(?: --only alice| --shard 2\/4)?$/, (m, c) => {
    const r = sh(c, scratch);
    expect(r.status, r.stderr).toBe(0);
    const results = path.join(scratch, m[1] ?? 'gradlab-results');
    const shard = c.includes('--shard');
    // shard 2 of 4 holds the students whose sha256(name) mod 4 is 1: it may hold neither of the two
    if (!shard) expect(readdirSync(path.join(results, 'students')).sort()).toEqual(['alice.json', 'bob.json']);
    expect(existsSync(path.join(results, 'gradebook.csv'))).toBe(true);
  }],
  // covered where their inputs exist: shards merged equal one run, diff and LMS files against hand-checked files
  [/^npx gradlab merge --results /, () => expect(readFileSync(path.join(ROOT, 'test', 'class-runs.test.ts'), 'utf8')).toMatch(/merge/)],
  [/^npx gradlab diff /, () => expect(readFileSync(path.join(ROOT, 'test', 'class-outputs.test.ts'), 'utf8')).toMatch(/diff/)],
  [/^npx gradlab lms /, () => expect(readFileSync(path.join(ROOT, 'test', 'class-outputs.test.ts'), 'utf8')).toMatch(/lms/i)],
  [/^npx gradlab similarity /, () => expect(readFileSync(path.join(ROOT, 'test', 'similarity.test.ts'), 'utf8')).toMatch(/'similarity', cls, '--results', results, '--earlier', earlier/)],
  // minutes of grading beside two busy loops: its figures are in docs/benchmarks.md
  [/^npm run load-test$/, () => expect(readFileSync(path.join(ROOT, 'docs', 'benchmarks.md'), 'utf8')).toContain('npm run load-test')],
  [/^npx gradlab export \.\.\/gradlab-student$/, (_m, c) => {
    const r = sh(c, path.join(scratch, 'sub'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Wrote \d+ files from commit [0-9a-f]+ to \.\.\/gradlab-student\./);
    for (const f of ['package-lock.json', 'scripts/gradlab.mjs', '.github/workflows/classroom.yml', 'exercises/exercises.json']) expect(existsSync(path.join(scratch, 'gradlab-student', f)), f).toBe(true);
  }],
  [/^npm run check$/, (_m, c) => stubsNotStarted(sh(c, ROOT).stdout)],
  [/^npm run check -- --watch$/, async (_m, c) => stubsNotStarted(await watchStartsAndStops(c, ROOT))],
  [/^npx vitest run exercises\/(\S+)$/, (m, c) => publicTestsFailOnStub(c, ROOT, m[1])],
  [/^npm run hint -- (\S+)$/, (m, c) => hintShows(c, ROOT, m[1])],
  [/^npm run lab( -- .*)?$/, (_m, c) => labOnStubs(c, ROOT)],
];

const templateChecks: Check[] = [
  [/^npm ci$/, () => expect(existsSync(path.join(template, 'node_modules', 'vitest', 'package.json'))).toBe(true)], // ran in beforeAll
  [/^npm test$/, (_m, c) => {
    const r = sh(c, template);
    expect(r.status).toBe(1);
    const summary = /Test Files\s+(\d+) failed \((\d+)\)[\s\S]*Tests\s+(\d+) failed \((\d+)\)/.exec(r.stdout + r.stderr);
    expect(summary).not.toBeNull();
    expect(Number(summary![1])).toBe(manifest.exercises.length);
    expect(summary![3]).toBe(summary![4]);
  }],
  [/^npm run check$/, (_m, c) => stubsNotStarted(sh(c, template).stdout)],
  [/^npm run check -- --watch$/, async (_m, c) => stubsNotStarted(await watchStartsAndStops(c, template))],
  [/^npx vitest run exercises\/(\S+)$/, (m, c) => publicTestsFailOnStub(c, template, m[1])],
  [/^npm run hint -- (\S+)$/, (m, c) => hintShows(c, template, m[1])],
  [/^npm run lab( -- .*)?$/, (_m, c) => labOnStubs(c, template)],
];

function checkFor(checks: Check[], command: string): [RegExpExecArray, Check[1]] {
  for (const [re, run] of checks) {
    const m = re.exec(command);
    if (m) return [m, run];
  }
  throw new Error(`the READMEs give \`${command}\`, which test/readme-commands.test.ts does not run: add a pattern saying what it should do`);
}

beforeAll(async () => {
  mkdirSync(path.join(scratch, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(path.join(scratch, 'package.json'), '{ "name": "scratch", "private": true }\n');
  symlinkSync(path.join(ROOT, 'bin', 'gradlab.mjs'), path.join(scratch, 'node_modules', '.bin', 'gradlab'));
  // a submission with only 05 done; a class of two such students
  cpSync(path.join(ROOT, 'solutions', '05-residual'), path.join(scratch, 'sub', '05-residual'), { recursive: true });
  cpSync(path.join(scratch, 'sub'), path.join(scratch, 'path', 'to', 'submission'), { recursive: true });
  for (const s of ['alice', 'bob']) cpSync(path.join(scratch, 'sub'), path.join(scratch, 'submissions', s), { recursive: true });
  // the template, from this repository's HEAD, installed as its README says
  const exported = await exportTemplate(template);
  expect(readFileSync(path.join(template, 'README.md'), 'utf8')).toBe(studentReadme(manifest));
  expect(exported.files).toContain('package-lock.json');
  const ci = sh('npm ci --no-audit --no-fund --prefer-offline', template);
  expect(ci.status, ci.stderr).toBe(0);
});

describe('the commands of README.md and the exercise READMEs, in this repository', () => {
  it('finds the commands', () => {
    expect(courseCommands).toEqual(expect.arrayContaining(['npm test', 'npm run check', 'npx vitest run exercises/01-activations', 'npm run hint -- 06-dead-neurons']));
  });
  for (const command of courseCommands) {
    it(command, async () => {
      const [m, run] = checkFor(courseChecks, command);
      await run(m, command);
    });
  }
});

describe('the commands of the exported template\'s README and exercise READMEs, in the template', () => {
  for (const command of templateCommands) {
    it(command, async () => {
      const [m, run] = checkFor(templateChecks, command);
      await run(m, command);
    });
  }
});
