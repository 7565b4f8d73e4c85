/**
 * One mistake costs one Classroom point. The exported template's workflow (classroom.yml) has one
 * points step, which gives each exercise the point the progress step's `check --points` run wrote
 * for it (or runs `check <slug> --exit-code` for one it has none of) and writes the two annotations
 * Classroom reads (GitHub Classroom's own command grader and reporter run on node20, which the
 * runners no longer have: .github/action-runtimes.json). It is run here as the runner runs it, in
 * the template, on the reference and on three one-line mistakes: 7/7, then exactly one point lost
 * each, and the exercises that fail only because of another exercise's function say which one to
 * fix first. For one mistake the points and log groups are compared with the points step run alone,
 * each exercise then checked on its own. docs/classroom-feedback.md records the same commands run
 * through the real actions.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportTemplate } from '../grader/commands/export';
import { loadManifest } from '../grader/manifest';
import { ROOT, SOLUTIONS_DIR } from '../grader/paths';

interface Step { name?: string; run?: string }

const manifest = loadManifest();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-classroom-points-'));
const template = path.join(tmp, 'template');

beforeAll(async () => {
  await exportTemplate(template);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(template, 'node_modules'));
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The reference's exercise files in the template, with `edit` applied to one of them. */
function submit(edit?: { file: string; find: string; replace: string }): void {
  for (const e of manifest.exercises) copyFileSync(path.join(SOLUTIONS_DIR, e.folder, e.file), path.join(template, 'exercises', e.folder, e.file));
  if (!edit) return;
  const file = path.join(template, 'exercises', edit.file);
  const text = readFileSync(file, 'utf8');
  expect(text.split(edit.find).length, `${edit.file} holds the line once`).toBe(2);
  writeFileSync(file, text.replace(edit.find, edit.replace));
}

/**
 * The workflow's progress and points steps, run as the runner runs them (bash -e, in the template,
 * one RUNNER_TEMP for the job): the points each exercise got (its row of the points step's summary
 * table) and what its check printed (its log group). `alone`: the points step without the progress
 * step's points, so that each exercise runs `check <exercise> --exit-code` on its own.
 */
function runWorkflow(alone = false): Map<string, { points: number; stdout: string }> {
  const wf = parse(readFileSync(path.join(template, '.github', 'workflows', 'classroom.yml'), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
  const steps = wf.jobs['run-autograding-tests'].steps;
  const runnerTemp = mkdtempSync(path.join(tmp, 'runner-'));
  const summary = path.join(runnerTemp, 'summary.md');
  const env = { PATH: process.env.PATH, HOME: os.homedir(), FORCE_COLOR: 'true', GITHUB_STEP_SUMMARY: summary, RUNNER_TEMP: runnerTemp };
  if (!alone) {
    const progress = spawnSync('bash', ['-e', '-c', String(steps.find((s) => s.name === 'Progress (npm run check)')!.run)], { cwd: template, encoding: 'utf8', env });
    expect(progress.status, progress.stderr).toBe(0);
    expect(readdirSync(path.join(runnerTemp, 'points')).sort()).toEqual(manifest.exercises.map((e) => e.slug).sort());
  }
  const step = steps.find((s) => s.name?.startsWith('Points for Classroom'))!;
  const r = spawnSync('bash', ['-e', '-c', String(step.run)], { cwd: template, encoding: 'utf8', env });
  const rows = readFileSync(summary, 'utf8').split('\n').filter((l) => /^\| \d\d-/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
  expect(rows.map((c) => c[1])).toEqual(manifest.exercises.map((e) => e.slug));
  // the two annotations Classroom reads agree with the table
  const got = rows.reduce((a, c) => a + Number(c[3]), 0);
  expect(r.stdout).toContain(`::notice title=Autograding complete::Points ${got}/${manifest.exercises.length}\n`);
  const out = new Map<string, { points: number; stdout: string }>();
  for (const c of rows) {
    const group = r.stdout.split(`::group::${c[1]} public tests\n`)[1]?.split('::endgroup::')[0] ?? '';
    out.set(c[1], { points: Number(c[3]), stdout: group });
  }
  return out;
}

const total = (r: Map<string, { points: number }>) => [...r.values()].reduce((a, s) => a + s.points, 0);
const lost = (r: Map<string, { points: number }>) => [...r].filter(([, s]) => s.points === 0).map(([slug]) => slug);

describe('the template\'s Classroom workflow: one mistake, one point', () => {
  it('gives the reference 7/7', () => {
    submit();
    const r = runWorkflow();
    expect(total(r)).toBe(7);
    for (const [, s] of r) expect(s.stdout).not.toContain('blocked by');
  }, 1_200_000);

  it('charges tanhGrad without the square to 01 only: 02, 05 and 06 say they are blocked by it, as when each exercise runs alone', () => {
    submit({ file: '01-activations/activations.ts', find: 'return 1 - t * t;', replace: 'return 1 - t;' });
    const r = runWorkflow();
    // the points and lines of the one progress run are those of seven runs of `check <exercise> --exit-code`
    expect(runWorkflow(true)).toEqual(r);
    expect(lost(r)).toEqual(['01-activations']);
    expect(total(r)).toBe(6);
    expect(r.get('02-backprop')!.stdout).toMatch(/⊘ 02-backprop\s+blocked by 01-activations: tanhGrad fails its own tests — fix 01 first\n/);
    expect(r.get('05-residual')!.stdout).toMatch(/⊘ 05-residual\s+blocked by 01-activations: tanhGrad fails its own tests \(you use it through 02-backprop\) — fix 01 first\n {6}· 1 of its 8 public tests fail until then\n/);
    expect(r.get('06-dead-neurons')!.stdout).toMatch(/⊘ 06-dead-neurons\s+blocked by 01-activations: tanhGrad fails its own tests — fix 01 first\n/);
    expect(r.get('01-activations')!.stdout).toMatch(/✗ 01-activations\s+29\/32 public tests pass\n\s+✗ tanhGrad > /);
  }, 1_200_000);

  it('charges db averaged over the batch to 02 only: 05 and 07 say they are blocked by it', () => {
    submit({ file: '02-backprop/backprop.ts', find: '    db: colSums(dz),', replace: '    db: colSums(dz).map((v) => v / dz.length),' });
    const r = runWorkflow();
    expect(lost(r)).toEqual(['02-backprop']);
    expect(total(r)).toBe(6);
    expect(r.get('05-residual')!.stdout).toMatch(/⊘ 05-residual\s+blocked by 02-backprop: denseBackward fails its own tests — fix 02 first\n/);
    expect(r.get('07-training')!.stdout).toMatch(/⊘ 07-training\s+blocked by 02-backprop: mlpBackward fails its own tests — fix 02 first\n/);
  }, 1_200_000);

  it('charges dgamma without x̂ to 04 only, and nothing is blocked by it', () => {
    submit({ file: '04-batchnorm/batchnorm.ts', find: '  const dgamma = colSums(mul(dout, xhat));', replace: '  const dgamma = colSums(dout);' });
    const r = runWorkflow();
    expect(lost(r)).toEqual(['04-batchnorm']);
    expect(total(r)).toBe(6);
    for (const [, s] of r) expect(s.stdout).not.toContain('blocked by');
  }, 1_200_000);
});
