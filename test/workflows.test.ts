/**
 * The two GitHub Actions workflows of the Classroom set-up: linted by action-validator, and their
 * shell steps run here with a fake GitHub — a fake `gh` on PATH, student repositories as local git
 * repositories, one RUNNER_TEMP per job as on separate machines, artifacts passed by copying.
 * Teacher side (.github/workflows/grade-class.yml): lists the assignment's repositories, fetches
 * each at its last commit before the deadline with no filter, hook or credential, grades in shards
 * with the grader under RUNNER_TEMP, merges, and posts each student their own report.
 * Student side (the template's classroom.yml): no secret; public tests and check only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { codeTexts, outsideCode, renderMarkdown } from './markdown';
import { exportTemplate } from '../grader/commands/export';
import { studentWorkflow } from '../grader/export/workflow';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';

interface Step { name?: string; run?: string; uses?: string; env?: Record<string, string>; with?: Record<string, unknown>; if?: string; id?: string }
interface Job { steps: Step[]; needs?: string; strategy?: { matrix: { shard: number[] } } }
interface Workflow { on: Record<string, unknown>; env?: Record<string, string | number>; permissions: Record<string, string>; jobs: Record<string, Job> }

const TEACHER_FILE = path.join(ROOT, '.github', 'workflows', 'grade-class.yml');
const teacher = parse(readFileSync(TEACHER_FILE, 'utf8')) as Workflow;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-workflows-'));
const template = path.join(tmp, 'template');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const validator = path.join(ROOT, 'node_modules', '@action-validator', 'cli', 'cli.mjs');
const lint = (file: string) => spawnSync(process.execPath, [validator, file], { encoding: 'utf8' });

function step(job: string, name: string): Step {
  const s = teacher.jobs[job].steps.find((x) => x.name?.startsWith(name));
  if (!s?.run) throw new Error(`no run step '${name}' in job ${job}`);
  return s;
}

/** Runs a step's script with bash -e, as the runner does, in `cwd` with `env` on top of a clean PATH. */
function runStep(s: Step, env: Record<string, string>, cwd: string) {
  const r = spawnSync('bash', ['-e', '-c', s.run!], { cwd, encoding: 'utf8', env: { PATH: env.PATH, HOME: env.HOME ?? os.homedir(), ...env } });
  if (r.status !== 0) throw new Error(`step '${s.name}' failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

describe('the workflows are valid GitHub Actions workflows', () => {
  beforeAll(async () => {
    await exportTemplate(template);
  });

  it('action-validator accepts the teacher workflow and the template\'s workflow', () => {
    for (const file of [TEACHER_FILE, path.join(template, '.github', 'workflows', 'classroom.yml')]) {
      const r = lint(file);
      expect(r.stdout + r.stderr, file).not.toMatch(/error/i);
      expect(r.status, file).toBe(0);
    }
  });

  it('and rejects a broken one (so the check above can fail)', () => {
    const broken = path.join(tmp, 'broken.yml');
    writeFileSync(broken, readFileSync(TEACHER_FILE, 'utf8').replace('runs-on: ubuntu-latest', 'runs_on: ubuntu-latest'));
    expect(lint(broken).status).not.toBe(0);
  });
});

describe('student side: the template\'s workflow', () => {
  const wf = parse(studentWorkflow(loadManifest())) as Workflow;
  const steps = wf.jobs['run-autograding-tests'].steps;

  it('holds no secret, reads nothing private and gives one point per exercise whose public tests pass', () => {
    const text = studentWorkflow(loadManifest());
    expect(text).not.toMatch(/secrets\.|GRADLAB_GRADER|token:/);
    expect(wf.permissions).toEqual({ checks: 'write', actions: 'read', contents: 'read' });
    expect(steps[0]).toMatchObject({ uses: 'actions/checkout@v4', with: { 'persist-credentials': false } });
    const graders = steps.filter((s) => s.uses === 'classroom-resources/autograding-command-grader@v1');
    expect(graders.map((s) => s.with)).toEqual(loadManifest().exercises.map((e) => ({
      'test-name': `${e.slug} public tests`, 'setup-command': '', command: `node scripts/gradlab.mjs check ${e.slug} --exit-code`, timeout: 10, 'max-score': 1,
    })));
    const reporter = steps.at(-1)!;
    expect(reporter.uses).toBe('classroom-resources/autograding-grading-reporter@v1');
    expect(Object.keys(reporter.env!)).toEqual(graders.map((s) => `${s.id!.toUpperCase()}_RESULTS`));
    expect(reporter.with!.runners).toBe(graders.map((s) => s.id).join(','));
  });

  it('runs its shell steps in the template: check into the summary, each grader command fails on the stubs', () => {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(template, 'node_modules'));
    const runnerTemp = mkdtempSync(path.join(tmp, 'student-runner-'));
    const summary = path.join(runnerTemp, 'summary.md');
    const progress = steps.find((s) => s.name === 'Progress (npm run check)')!;
    runStep(progress, { PATH: process.env.PATH!, RUNNER_TEMP: runnerTemp, GITHUB_STEP_SUMMARY: summary }, template);
    const text = readFileSync(summary, 'utf8');
    expect(text).toMatch(/^## Public tests\n\n```\n/);
    for (const ex of loadManifest().exercises) expect(text).toMatch(new RegExp(`· ${ex.slug}\\s+not started`));
    // the command grader gives max-score when its command exits 0: on the stubs every one fails
    const first = steps.find((s) => s.uses?.includes('autograding-command-grader'))!;
    expect(spawnSync('sh', ['-c', first.with!.command as string], { cwd: template }).status).toBe(1);
  }, 600_000); // two runs of the public tests: minutes on a loaded machine
});

// an exception message that would otherwise show an image fetched from elsewhere, notify a team,
// inject HTML and close the code block it is put in
const HOSTILE = '![x](https://evil.example/x.png) @course-org/staff <img src=x> ``````` </details>';

describe('teacher side: .github/workflows/grade-class.yml', () => {
  const github = path.join(tmp, 'github');
  const bin = path.join(tmp, 'bin');
  const posted = path.join(tmp, 'posted');
  const marker = path.join(tmp, 'a-filter-ran');
  const commits: Record<string, { graded: string; later?: string }> = {};
  let baseEnv: Record<string, string>;
  const temps: Record<string, string> = {};

  const git = (args: string[], cwd: string) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...baseEnv } }).trim();

  /** A student repository in the fake organisation, one commit per entry of `history` (date, files). */
  function studentRepo(name: string, history: [string, Record<string, string>][]): string[] {
    const dir = path.join(github, 'course-org', name);
    mkdirSync(dir, { recursive: true });
    git(['init', '--quiet', '-b', 'main'], dir);
    return history.map(([date, files]) => {
      for (const [f, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        writeFileSync(path.join(dir, f), text);
      }
      git(['add', '-A'], dir);
      execFileSync('git', ['commit', '--quiet', '-m', `work ${date}`], { cwd: dir, env: { ...process.env, ...baseEnv, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
      return git(['rev-parse', 'HEAD'], dir);
    });
  }

  beforeAll(() => {
    mkdirSync(bin);
    mkdirSync(posted);
    const gitconfig = path.join(tmp, 'gitconfig');
    writeFileSync(gitconfig, '[user]\n  name = t\n  email = t@example.org\n[init]\n  defaultBranch = main\n');
    baseEnv = { GIT_CONFIG_GLOBAL: gitconfig, GIT_CONFIG_NOSYSTEM: '1' };
    // gh: lists the fake organisation's repositories, records posted comments
    writeFileSync(path.join(bin, 'gh'), `#!/usr/bin/env bash
set -euo pipefail
[ "$GH_TOKEN" = ghs_fake_class_token ] || { echo "gh: wrong token" >&2; exit 4; }
if [ "$1 $2" = "api --paginate" ] && [[ "$3" == orgs/course-org/repos* ]]; then ls "${github}/course-org"; exit 0; fi
if [ "$1 $2 $3" = "api --method POST" ]; then
  [[ "$4" =~ ^repos/course-org/([^/]+)/commits/([0-9a-f]{40})/comments$ ]] || { echo "gh: unexpected $4" >&2; exit 1; }
  body="\${6#body=@}"; cp "$body" "${posted}/\${BASH_REMATCH[1]}@\${BASH_REMATCH[2]}.md"; exit 0
fi
echo "gh: unexpected call: $*" >&2; exit 1
`);
    chmodSync(path.join(bin, 'gh'), 0o755);
    // npm ci of the grader: this repository's own install stands in for it (it is what npm ci would make)
    writeFileSync(path.join(bin, 'npm'), `#!/usr/bin/env bash\n[ "$1" = ci ] || exit 1\nln -s "${ROOT}/node_modules" node_modules && ln -s "${ROOT}/dist" dist\n`);
    chmodSync(path.join(bin, 'npm'), 0o755);

    const solved = readFileSync(path.join(ROOT, 'solutions', '05-residual', 'residual.ts'), 'utf8');
    const alice = studentRepo('gradlab-alice', [
      ['2026-01-10T10:00:00Z', { 'exercises/05-residual/residual.ts': solved }],
      ['2026-01-20T10:00:00Z', { 'exercises/05-residual/residual.ts': 'export const residualForward = () => { throw new Error("late"); };\n' }],
    ]);
    commits.alice = { graded: alice[0], later: alice[1] };
    const bob = studentRepo('gradlab-bob', [
      ['2026-01-05T10:00:00Z', { '.gitattributes': '*.ts filter=lfs diff=lfs merge=lfs -text\n', 'exercises/05-residual/residual.ts': solved }],
    ]);
    commits.bob = { graded: bob[0] };
    // carol's code throws with a message written to hijack the comment on her commit
    const carol = studentRepo('gradlab-carol', [
      ['2026-01-06T10:00:00Z', { 'exercises/05-residual/residual.ts': `export function residualForward(): never { throw new Error(${JSON.stringify(HOSTILE)}); }\n` }],
    ]);
    commits.carol = { graded: carol[0] };
    studentRepo('other-homework', [['2026-01-05T10:00:00Z', { 'x.txt': 'not in the assignment\n' }]]);
    // the course repository: this repository's HEAD
    git(['clone', '--quiet', '--bare', ROOT, path.join(github, 'course-org', 'course')], tmp);
    // the workflow's git: one that would run an LFS filter if the steps let it (git-lfs is installed on runners)
    writeFileSync(gitconfig, `[user]\n  name = t\n  email = t@example.org\n[filter "lfs"]\n  smudge = sh -c 'touch ${marker}; cat'\n  process = sh -c 'touch ${marker}'\n  required = true\n`);
  });

  /** The environment a job's steps see: the workflow's env as the runner computes it, our fakes first on PATH. */
  function jobEnv(job: string, extra: Record<string, string> = {}): Record<string, string> {
    temps[job] ??= mkdtempSync(path.join(tmp, `runner-${job}-`));
    return {
      ...baseEnv, PATH: `${bin}:${process.env.PATH}`, HOME: tmp, RUNNER_TEMP: temps[job],
      GITHUB_SERVER_URL: github, GITHUB_REPOSITORY: 'course-org/course', GITHUB_SHA: git(['rev-parse', 'HEAD'], ROOT),
      GITHUB_STEP_SUMMARY: path.join(temps[job], 'summary.md'), GH_TOKEN: 'ghs_fake_class_token',
      ORG: 'course-org', PREFIX: 'gradlab-', DEADLINE: '2026-01-15T23:59:00Z', SHARDS: '2', ...extra,
    };
  }

  it('is triggered by hand (with a deadline), on a schedule, and reads only what it needs', () => {
    expect(Object.keys(teacher.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(Object.keys((teacher.on.workflow_dispatch as { inputs: object }).inputs)).toEqual(['prefix', 'deadline', 'post']);
    expect(teacher.permissions).toEqual({ contents: 'read' });
    expect(teacher.jobs.grade.strategy!.matrix.shard).toEqual([1, 2, 3, 4]);
    expect(teacher.env!.SHARDS).toBe(4);
    // the grader is never checked out with actions/checkout into the workspace
    for (const job of Object.values(teacher.jobs)) expect(job.steps.filter((s) => s.uses?.startsWith('actions/checkout'))).toEqual([]);
  });

  it('collects each submission at its last commit before the deadline, with no filter, hook or credential', () => {
    const env = jobEnv('collect');
    runStep(step('collect', 'List the assignment'), env, tmp);
    expect(readFileSync(path.join(env.RUNNER_TEMP, 'repos.txt'), 'utf8')).toBe('gradlab-alice\ngradlab-bob\ngradlab-carol\n');
    runStep(step('collect', 'Fetch each submission'), env, tmp);
    const roster = readFileSync(path.join(env.RUNNER_TEMP, 'class', 'roster.tsv'), 'utf8');
    expect(roster).toBe(`student\trepository\tcommit\nalice\tgradlab-alice\t${commits.alice.graded}\nbob\tgradlab-bob\t${commits.bob.graded}\ncarol\tgradlab-carol\t${commits.carol.graded}\n`);
    const subs = path.join(env.RUNNER_TEMP, 'class', 'submissions');
    expect(readdirSync(subs).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(readFileSync(path.join(subs, 'alice', 'exercises', '05-residual', 'residual.ts'), 'utf8')).toContain('export function');
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(subs, 'alice', '.git'))).toBe(false);
    expect(readdirSync(path.join(env.RUNNER_TEMP, 'clones'))).toEqual([]);
    expect(execFileSync('tar', ['-xzOf', path.join(env.RUNNER_TEMP, 'class.tgz')], { encoding: 'utf8' })).not.toContain('ghs_fake_class_token');
  });

  it('grades in shards with the grader under RUNNER_TEMP, merges them, and posts each student their own report', () => {
    const shards = [1, 2].map((k) => {
      const env = jobEnv(`grade${k}`, { SHARD: String(k) });
      cpSync(path.join(temps.collect, 'class.tgz'), path.join(env.RUNNER_TEMP, 'class.tgz')); // download-artifact
      runStep(step('grade', 'Check out the grader'), env, tmp);
      runStep(step('grade', 'Install the grader'), env, tmp);
      expect(existsSync(path.join(env.RUNNER_TEMP, 'grader', 'grader', 'suites'))).toBe(true);
      runStep(step('grade', 'Grade this shard'), env, tmp);
      return path.join(env.RUNNER_TEMP, `results-${k}`);
    });
    const env = jobEnv('merge');
    runStep(step('merge', 'Check out the grader'), env, tmp);
    runStep(step('merge', 'Install the grader'), env, tmp);
    shards.forEach((dir, i) => cpSync(dir, path.join(env.RUNNER_TEMP, 'artifacts', `results-${i + 1}`), { recursive: true }));
    mkdirSync(path.join(env.RUNNER_TEMP, 'artifacts', 'class'));
    cpSync(path.join(temps.collect, 'class.tgz'), path.join(env.RUNNER_TEMP, 'artifacts', 'class', 'class.tgz'));
    runStep(step('merge', 'Merge the shards'), env, tmp);
    const [header, ...rows] = readFileSync(path.join(env.RUNNER_TEMP, 'gradebook', 'gradebook.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const score = header.indexOf('score');
    expect(rows.map((r) => [r[0], r[score]])).toEqual([['alice', '10'], ['bob', '10'], ['carol', '0']]);
    expect(readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8').length).toBeGreaterThan(0);

    runStep(step('merge', 'Post each student'), env, tmp);
    expect(readdirSync(posted).sort()).toEqual([`gradlab-alice@${commits.alice.graded}.md`, `gradlab-bob@${commits.bob.graded}.md`, `gradlab-carol@${commits.carol.graded}.md`]);
    const alice = readFileSync(path.join(posted, `gradlab-alice@${commits.alice.graded}.md`), 'utf8');
    expect(alice).toMatch(new RegExp(`^## gradlab: 10/100 for commit ${commits.alice.graded.slice(0, 7)}\\n`));
    expect(alice).toContain('| 05-residual | 10/10 | passed |');
    expect(alice).toContain(`| 01-activations | 0/${loadManifest().exercises[0].points} | missing |`);
    expect(alice).toContain(`Graded 20`);
    expect(alice).not.toContain('bob');
    // carol's message reaches her comment as text in a code block: no image, link, mention or HTML
    const carol = readFileSync(path.join(posted, `gradlab-carol@${commits.carol.graded}.md`), 'utf8');
    expect(carol).toMatch(new RegExp(`^## gradlab: 0/100 for commit ${commits.carol.graded.slice(0, 7)}\\n`));
    const html = renderMarkdown(carol);
    expect(html).not.toMatch(/<(a|img|details)\b/);
    expect(outsideCode(html)).not.toMatch(/evil|@course-org|<img/);
    const quoted = codeTexts(html).filter((t) => t.includes("evil"));
    expect(quoted.length).toBeGreaterThan(0);
    for (const t of quoted) expect(t).toContain(HOSTILE);
  });
});
