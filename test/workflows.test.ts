/**
 * The two GitHub Actions workflows of the Classroom set-up: linted by action-validator, and their
 * shell steps run here with a fake GitHub — a fake `gh` on PATH, student repositories as local git
 * repositories, one RUNNER_TEMP per job as on separate machines, artifacts passed by copying.
 * Teacher side (.github/workflows/grade-class.yml): lists the assignment's repositories, fetches
 * each at its last commit before the deadline with no filter, hook or credential (`gradlab collect`:
 * only the exercise files, within the intake's limits, a repository over them refused), grades in shards
 * with the grader under RUNNER_TEMP, merges, and posts each student their own report.
 * Student side (the template's classroom.yml): no secret; public tests and check only.
 * Both: every action at a major whose runtime GitHub still runs (.github/action-runtimes.json), and
 * the Node line gradlab recommends.
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
import { INTAKE_LIMITS } from '../grader/intake';
import { loadManifest } from '../grader/manifest';
import { RECOMMENDED_NODE_LINE, SUPPORTED_NODE } from '../grader/node-support';
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
  const r = spawnSync('/bin/bash', ['-e', '-c', s.run!], { cwd, encoding: 'utf8', env: { PATH: env.PATH, HOME: env.HOME ?? os.homedir(), ...env } });
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
  const points = steps.find((s) => s.name?.startsWith('Points for Classroom'))!;

  it('holds no secret, reads nothing private and gives one point per exercise whose public tests pass', () => {
    const text = studentWorkflow(loadManifest());
    expect(text).not.toMatch(/secrets\.|GRADLAB_GRADER|token:/);
    expect(wf.permissions).toEqual({ checks: 'write', actions: 'read', contents: 'read' });
    expect(steps[0]).toMatchObject({ uses: 'actions/checkout@v7', with: { 'persist-credentials': false } });
    expect(steps[1]).toMatchObject({ uses: 'actions/setup-node@v7', with: { 'node-version': RECOMMENDED_NODE_LINE, 'package-manager-cache': false } });
    // Classroom's own grader and reporter actions run on node20, which GitHub removed: none is used
    expect(text).not.toContain('classroom-resources/');
    expect(points.run).toContain(`for slug in ${loadManifest().exercises.map((e) => e.slug).join(' ')}; do`);
    // one mistake, one point: an exercise blocked by another's failing function keeps its point (check/blocked.ts)
    expect(points.run).toContain('node scripts/gradlab.mjs check "$slug" --exit-code');
    // ...from the progress step's one run, which writes each exercise's point (check --points)
    expect(steps.find((s) => s.name === 'Progress (npm run check)')!.run).toContain('npm run --silent check -- --points "$RUNNER_TEMP/points"');
  });

  it('runs its shell steps in the template: check into the summary, and Classroom\'s points as its reporter wrote them', () => {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(template, 'node_modules'));
    const runnerTemp = mkdtempSync(path.join(tmp, 'student-runner-'));
    const summary = path.join(runnerTemp, 'summary.md');
    const env = { PATH: process.env.PATH!, RUNNER_TEMP: runnerTemp, GITHUB_STEP_SUMMARY: summary };
    const progress = steps.find((s) => s.name === 'Progress (npm run check)')!;
    runStep(progress, env, template);
    const text = readFileSync(summary, 'utf8');
    expect(text).toMatch(/^## Public tests\n\n```\n/);
    for (const ex of loadManifest().exercises) expect(text).toMatch(new RegExp(`· ${ex.slug}\\s+not started`));

    // one exercise solved in a copy of the template, its job's own RUNNER_TEMP: one point of seven
    // from the progress step's run, and the points step fails as the reporter did
    const solved = path.join(tmp, 'template-one-solved');
    cpSync(template, solved, { recursive: true, verbatimSymlinks: true });
    const first = loadManifest().exercises[0];
    cpSync(path.join(ROOT, 'solutions', first.folder, first.file), path.join(solved, 'exercises', first.folder, first.file));
    const solvedTemp = mkdtempSync(path.join(tmp, 'student-runner-'));
    const solvedEnv = { ...env, RUNNER_TEMP: solvedTemp, HOME: os.homedir() };
    runStep(progress, solvedEnv, solved);
    expect(readFileSync(path.join(solvedTemp, 'points', first.slug), 'utf8')).toMatch(new RegExp(`^1\n  ✓ ${first.slug}\\s+\\d+/\\d+ public tests pass\n`));
    const r = spawnSync('bash', ['-e', '-c', points.run!], { cwd: solved, encoding: 'utf8', env: solvedEnv });
    const n = loadManifest().exercises.length;
    expect(r.status).toBe(1);
    // the two annotations Classroom reads (autograding-grading-reporter's src/notify-classroom.js)
    expect(r.stdout).toContain(`::notice title=Autograding complete::Points 1/${n}\n`);
    expect(r.stdout).toContain(`::notice title=Autograding report::{"totalPoints":1,"maxPoints":${n}}\n`);
    expect(readFileSync(summary, 'utf8')).toContain(`| ${first.slug} | pass (or blocked by another exercise) | 1 |\n| ${loadManifest().exercises[1].slug} | not all pass | 0 |`);
  }, 900_000); // two check runs, one after the other, as on the runner
});

/** Every `uses:` of a workflow text, as owner/repo and major. */
function actionsUsed(text: string): { action: string; major: string }[] {
  return [...text.matchAll(/^\s*(?:-\s+)?uses:\s*['"]?([^@\s'"]+)@([^\s'"#]+)/gm)].map((m) => ({ action: m[1], major: m[2].split('.')[0] }));
}

interface Runtimes { removed_runtimes: Record<string, string>; actions: Record<string, { majors: Record<string, { 'runs.using': string; commit: string }> }> }
const RUNTIMES = JSON.parse(readFileSync(path.join(ROOT, '.github', 'action-runtimes.json'), 'utf8')) as Runtimes;

/** Why a workflow's actions will not run on GitHub's runners: one line per action, empty when all will. */
function runtimeProblems(text: string): string[] {
  return actionsUsed(text).flatMap(({ action, major }) => {
    const known = RUNTIMES.actions[action]?.majors[major];
    if (!known) return [`${action}@${major}: its runtime is not in .github/action-runtimes.json (read its action.yml at that tag and add it)`];
    const removed = RUNTIMES.removed_runtimes[known['runs.using']];
    return removed ? [`${action}@${major} runs on ${known['runs.using']}, which GitHub removed (${removed.split(' ')[0]})`] : [];
  });
}

describe('every action runs on a runtime GitHub still has', () => {
  it('in the teacher workflow and the template\'s workflow', () => {
    const texts = [readFileSync(TEACHER_FILE, 'utf8'), studentWorkflow(loadManifest())];
    for (const text of texts) {
      expect(actionsUsed(text).length).toBeGreaterThan(1);
      expect(runtimeProblems(text)).toEqual([]);
    }
  });

  it('and the check fails on a workflow with an action on node20, node16 or node12, or one nobody looked up', () => {
    const old = readFileSync(TEACHER_FILE, 'utf8').replace(/actions\/upload-artifact@v7/g, 'actions/upload-artifact@v4');
    expect(runtimeProblems(old)).toContain('actions/upload-artifact@v4 runs on node20, which GitHub removed (https://github.blog/changelog/2025-09-19-deprecation-of-node-20-on-github-actions-runners/)');
    expect(runtimeProblems('steps:\n  - uses: actions/checkout@v3.6.0\n  - uses: "actions/setup-node@v2"\n')).toEqual([
      'actions/checkout@v3 runs on node16, which GitHub removed (https://github.blog/changelog/2023-09-22-github-actions-transitioning-from-node-16-to-node-20/)',
      'actions/setup-node@v2 runs on node12, which GitHub removed (https://github.blog/changelog/2022-09-22-github-actions-all-actions-will-begin-running-on-node16-instead-of-node12/)',
    ]);
    expect(runtimeProblems('      - uses: classroom-resources/autograding-grading-reporter@v1\n')).toEqual([
      expect.stringMatching(/^classroom-resources\/autograding-grading-reporter@v1 runs on node20, which GitHub removed/),
    ]);
    expect(runtimeProblems('      - uses: someone/else@v9\n')).toEqual(['someone/else@v9: its runtime is not in .github/action-runtimes.json (read its action.yml at that tag and add it)']);
  });

  it('keeps each fact with where it comes from', () => {
    for (const [action, { majors }] of Object.entries(RUNTIMES.actions)) {
      for (const [major, fact] of Object.entries(majors)) {
        expect(major, action).toMatch(/^v\d+$/);
        expect(fact.commit, `${action}@${major}`).toMatch(/^[0-9a-f]{40}$/);
        expect(['node12', 'node16', 'node20', 'node24'], `${action}@${major}`).toContain(fact['runs.using']);
      }
    }
    expect(Object.keys(RUNTIMES.removed_runtimes)).toEqual(['node12', 'node16', 'node20']);
    expect(Object.keys(RUNTIMES.actions)).toEqual(expect.arrayContaining(['classroom-resources/autograding-command-grader', 'classroom-resources/autograding-grading-reporter']));
  });

  it('and every workflow installs the Node line gradlab recommends, one it supports', () => {
    const setups = [teacher.jobs.grade, teacher.jobs.merge, parse(studentWorkflow(loadManifest())).jobs['run-autograding-tests'] as Job]
      .flatMap((job) => job.steps.filter((s) => s.uses?.startsWith('actions/setup-node@')));
    expect(setups.length).toBe(3);
    for (const s of setups) expect(s.with).toEqual({ 'node-version': RECOMMENDED_NODE_LINE, 'package-manager-cache': false });
    expect(SUPPORTED_NODE.map((l) => l.line)).toContain(RECOMMENDED_NODE_LINE);
  });
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
    // gh: lists the fake organisation's repositories as the API does (name, is_template: the ones
    // named in templates.txt) through the step's own --jq filter (jq standing in for gh's built-in
    // gojq), records posted comments
    writeFileSync(path.join(bin, 'gh'), `#!/usr/bin/env bash
set -euo pipefail
[ "$GH_TOKEN" = ghs_fake_class_token ] || { echo "gh: wrong token" >&2; exit 4; }
if [ "$1 $2" = "api --paginate" ] && [[ "$3" == orgs/course-org/repos* ]] && [ "$4" = --jq ]; then
  for repo in $(ls "${github}/course-org"); do
    if grep -qx "$repo" "${github}/templates.txt"; then t=true; else t=false; fi
    printf '{"name": "%s", "full_name": "course-org/%s", "is_template": %s, "private": true}\\n' "$repo" "$repo" "$t"
  done | jq -s . | jq -r "$5"
  exit 0
fi
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
    // mallory's push is small, but its tree names one blob just over the intake's per-file limit 100
    // times: `git archive | tar -x` wrote all of it (no grade for the class when the disk filled)
    studentRepo('gradlab-mallory', [['2026-01-07T10:00:00Z', { 'exercises/05-residual/residual.ts': solved }]]);
    const malloryDir = path.join(github, 'course-org', 'gradlab-mallory');
    writeFileSync(path.join(tmp, 'big.bin'), Buffer.alloc(INTAKE_LIMITS.fileBytes + 1));
    const big = git(['hash-object', '-w', path.join(tmp, 'big.bin')], malloryDir);
    execFileSync('git', ['update-index', '--index-info'], { cwd: malloryDir, input: Array.from({ length: 100 }, (_, i) => `100644 ${big}\texercises/02-backprop/b${i}.ts\n`).join('') });
    execFileSync('git', ['commit', '--quiet', '--amend', '--no-edit'], { cwd: malloryDir, env: { ...process.env, ...baseEnv, GIT_AUTHOR_DATE: '2026-01-07T10:00:00Z', GIT_COMMITTER_DATE: '2026-01-07T10:00:00Z' } });
    commits.mallory = { graded: git(['rev-parse', 'HEAD'], malloryDir) };
    studentRepo('other-homework', [['2026-01-05T10:00:00Z', { 'x.txt': 'not in the assignment\n' }]]);
    // with the prefix but no student's: the assignment's template (the API marks it), a TA's trial
    // run the teacher excludes, and the course repository itself (this repository's HEAD)
    studentRepo('gradlab-student', [['2026-01-02T10:00:00Z', { 'exercises/05-residual/residual.ts': 'export {};\n' }]]);
    writeFileSync(path.join(github, 'templates.txt'), 'gradlab-student\n');
    studentRepo('gradlab-ta-trial', [['2026-01-03T10:00:00Z', { 'exercises/05-residual/residual.ts': solved }]]);
    git(['clone', '--quiet', '--bare', ROOT, path.join(github, 'course-org', 'gradlab-course')], tmp);
    // the workflow's git: one that would run an LFS filter if the steps let it (git-lfs is installed on runners)
    writeFileSync(gitconfig, `[user]\n  name = t\n  email = t@example.org\n[filter "lfs"]\n  smudge = sh -c 'touch ${marker}; cat'\n  process = sh -c 'touch ${marker}'\n  required = true\n`);
  });

  /** The environment a job's steps see: the workflow's env as the runner computes it, our fakes first on PATH. */
  function jobEnv(job: string, extra: Record<string, string> = {}): Record<string, string> {
    temps[job] ??= mkdtempSync(path.join(tmp, `runner-${job}-`));
    return {
      ...baseEnv, PATH: `${bin}:${process.env.PATH}`, HOME: tmp, RUNNER_TEMP: temps[job],
      GITHUB_SERVER_URL: github, GITHUB_REPOSITORY: 'course-org/gradlab-course', GITHUB_SHA: git(['rev-parse', 'HEAD'], ROOT),
      GITHUB_STEP_SUMMARY: path.join(temps[job], 'summary.md'), GH_TOKEN: 'ghs_fake_class_token',
      ORG: 'course-org', PREFIX: 'gradlab-', DEADLINE: '2026-01-15T23:59:00Z', EXCLUDE: 'other-homework, gradlab-TA-trial', SHARDS: '2', ...extra,
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

  it('gives the sandbox every layer before grading: user namespaces on Ubuntu 24.04, bubblewrap, and no grade without them', () => {
    const names = teacher.jobs.grade.steps.map((s) => s.name);
    const layers = step('grade', 'Give the sandbox its layers');
    expect(names.indexOf(layers.name)).toBeLessThan(names.indexOf('Grade this shard'));
    // run with a sudo that records instead of changing this machine, on a PATH without bwrap
    const fakeRoot = mkdtempSync(path.join(tmp, 'fake-sudo-'));
    const log = path.join(fakeRoot, 'sudo.log');
    writeFileSync(path.join(fakeRoot, 'sudo'), `#!/bin/bash\necho "$*" >> "${log}"\n`);
    chmodSync(path.join(fakeRoot, 'sudo'), 0o755);
    runStep(layers, { PATH: fakeRoot }, tmp);
    expect(readFileSync(log, 'utf8')).toBe([
      'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
      'apt-get update -qq',
      'apt-get install -y -qq --no-install-recommends bubblewrap', '',
    ].join('\n'));
    // where bwrap is there already, only the sysctl
    writeFileSync(path.join(fakeRoot, 'bwrap'), '#!/bin/bash\n');
    chmodSync(path.join(fakeRoot, 'bwrap'), 0o755);
    rmSync(log);
    runStep(layers, { PATH: fakeRoot }, tmp);
    expect(readFileSync(log, 'utf8')).toBe('sysctl -w kernel.apparmor_restrict_unprivileged_userns=0\n');
    // the sandbox's --require-confinement (grader/sandbox/confine.ts): a runner missing a layer grades nobody
    expect(step('grade', 'Grade this shard').run).toMatch(/gradlab\.mjs class [^\n]*\\\n\s+--require-confinement\n/);
  });

  it('collects each submission at its last commit before the deadline, with no filter, hook or credential, and a repository over the intake\'s limits as refused', () => {
    // the clones go to TMPDIR (the runner's /tmp): here a folder of the job's own, to see it emptied
    const env = jobEnv('collect', { TMPDIR: mkdtempSync(path.join(tmp, 'collect-tmp-')) });
    const listing = runStep(step('collect', 'List the assignment'), env, tmp);
    // only students: the template, the course repository and the excluded one are named, with why
    expect(readFileSync(path.join(env.RUNNER_TEMP, 'repos.txt'), 'utf8')).toBe('gradlab-alice\ngradlab-bob\ngradlab-carol\ngradlab-mallory\n');
    expect(listing.stdout).toBe('4 student repositories start with gradlab-; 3 skipped\n');
    expect(readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8')).toBe([
      '## Repositories starting with `gradlab-`', '', '4 graded as students.', '',
      '| not graded | why |', '|---|---|',
      '| `gradlab-course` | this course repository |',
      '| `gradlab-student` | a template repository (the assignment\'s starter code) |',
      '| `gradlab-ta-trial` | listed in GRADLAB_EXCLUDE |', '',
    ].join('\n'));
    // the grader collects (gradlab collect): checked out and installed first, as in the grading jobs
    runStep(step('collect', 'Check out the grader'), env, tmp);
    runStep(step('collect', 'Install the grader'), env, tmp);
    const fetched = runStep(step('collect', 'Fetch each submission'), env, tmp);
    const roster = readFileSync(path.join(env.RUNNER_TEMP, 'class', 'roster.tsv'), 'utf8');
    expect(roster).toBe(`student\trepository\tcommit\nalice\tgradlab-alice\t${commits.alice.graded}\nbob\tgradlab-bob\t${commits.bob.graded}\n` +
      `carol\tgradlab-carol\t${commits.carol.graded}\nmallory\tgradlab-mallory\t${commits.mallory.graded}\n`);
    const subs = path.join(env.RUNNER_TEMP, 'class', 'submissions');
    expect(readdirSync(subs).sort()).toEqual(['.collect-refusals.json', 'alice', 'bob', 'carol']);
    expect(readFileSync(path.join(subs, 'alice', 'exercises', '05-residual', 'residual.ts'), 'utf8')).toContain('export function');
    expect(fetched.stderr).toContain(`mallory at ${commits.mallory.graded.slice(0, 7)}: refused, was not collected: exercises/02-backprop/b0.ts`);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(subs, 'alice', '.git'))).toBe(false);
    expect(readdirSync(env.TMPDIR)).toEqual([]);
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
    expect(rows.map((r) => [r[0], r[1], r[score]])).toEqual([['alice', 'graded', '10'], ['bob', 'graded', '10'], ['carol', 'graded', '0'], ['mallory', 'refused', '0']]);
    expect(readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8').length).toBeGreaterThan(0);
    // the similarity report goes into the gradebook artifact, and the class report gets its section
    runStep(step('merge', 'Compare the submissions for similarity'), env, tmp);
    expect(readdirSync(path.join(env.RUNNER_TEMP, 'gradebook')).filter((f) => f.startsWith('similarity.')).sort()).toEqual(['similarity.html', 'similarity.json', 'similarity.md']);
    expect(readFileSync(path.join(env.RUNNER_TEMP, 'gradebook', 'report.md'), 'utf8')).toContain('\n## Similarity\n\nEvidence for a person to read, never a grade: it changes no score.');

    runStep(step('merge', 'Post each student'), env, tmp);
    expect(readdirSync(posted).sort()).toEqual([`gradlab-alice@${commits.alice.graded}.md`, `gradlab-bob@${commits.bob.graded}.md`, `gradlab-carol@${commits.carol.graded}.md`, `gradlab-mallory@${commits.mallory.graded}.md`]);
    // mallory is told why, on her graded commit
    expect(readFileSync(path.join(posted, `gradlab-mallory@${commits.mallory.graded}.md`), 'utf8')).toMatch(
      new RegExp(`^## gradlab: commit ${commits.mallory.graded.slice(0, 7)} could not be graded\\n[^]*was not collected: exercises/02-backprop/b0\\.ts at commit ${commits.mallory.graded.slice(0, 7)} is 524289 bytes`));
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
