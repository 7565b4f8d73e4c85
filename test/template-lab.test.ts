/**
 * The lab in the exported student template: `npm run lab` (node lab/lab.mjs) works there with the
 * template's own files and packages only — no grader, no solutions, no hidden suite or fixture —
 * and compares with the reference curves saved at export.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTemplate } from '../grader/commands/export';
import { loadManifest } from '../grader/manifest';
import { EXPERIMENTS } from '../grader/lab/experiments';
import { ROOT, SOLUTIONS_DIR } from '../grader/paths';

const has07 = loadManifest().exercises.some((e) => e.slug === '07-training');
// the lab's experiments (07's two only where the course has 07), and those compared point by point with the reference
const shown = EXPERIMENTS.filter((e) => has07 || !e.uses.includes('07-training'));
const count = shown.length;
const comparable = shown.filter((e) => e.comparable).length;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-template-lab-'));
const target = path.join(tmp, 'template');

beforeAll(async () => {
  await exportTemplate(target);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(target, 'node_modules'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `npm run lab -- args`, as the script runs it (node lab/lab.mjs), in the template. */
const lab = (...args: string[]) => spawnSync(process.execPath, ['lab/lab.mjs', ...args], { cwd: target, encoding: 'utf8', timeout: 120_000 });

describe('npm run lab in the student template', () => {
  it('is a script of the template, pinned to the course\'s packages, with nothing that grades', () => {
    const pkg = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8'));
    const course = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.lab).toBe('node lab/lab.mjs');
    for (const name of ['vega', 'vega-lite', 'sparkly', 'rolldown']) expect(pkg.devDependencies[name]).toBe(course.dependencies[name]);
    const bundle = readFileSync(path.join(target, 'lab', 'lab.mjs'), 'utf8');
    expect(bundle).not.toMatch(/defineSuite|grader\/suites\/0\d|fixtures\/0\d|solutions\/0\d/);
    expect(Object.keys(JSON.parse(readFileSync(path.join(target, 'lab', 'reference.json'), 'utf8')))).toEqual(['gradient-flow', 'saturation-and-dead-units', 'dead-neuron', ...(has07 ? ['training'] : [])]);
  });

  it('on the stubs, names the function to implement for every experiment', () => {
    const r = lab();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Not run: implement denseForward (02-backprop) to see this.');
    expect(r.stdout).toContain('Not run: implement trainNeuron (06-dead-neurons) to see this.');
    expect(r.stdout).toMatch(new RegExp(`0 of ${count} experiments ran`));
    expect(r.stdout).toMatch(/experiments ran \([0-9.]+ s\)\. Next: implement denseForward \(02-backprop\) to see this\./);
  });

  it('on finished exercises, matches the saved reference; with σ′ taken at the output, says which curve departs', () => {
    for (const ex of loadManifest().exercises) copyFileSync(path.join(SOLUTIONS_DIR, ex.folder, ex.file), path.join(target, 'exercises', ex.folder, ex.file));
    const done = lab('--html', 'lab-report');
    expect(done.stderr).toBe('');
    expect(done.stdout).toMatch(new RegExp(`All ${count} experiments ran on your code in [0-9.]+ s\\. Draw them: \`npm run lab -- --html lab-report\`\\.`));
    expect(done.stdout.match(/Every curve matches the reference solution\./g)?.length).toBe(comparable);
    expect(readFileSync(path.join(target, 'lab-report', 'index.html'), 'utf8').match(/<figure data-plot=/g)?.length).toBe(has07 ? 11 : 7); // 07 draws four: loss, ‖dW₁‖, dead units, the lr sweep
    const file = path.join(target, 'exercises', '02-backprop', 'backprop.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('return mul(da, map(z, df));', 'return mul(da, map(z, (v) => df(activationFns(act).f(v))));'));
    const wrong = lab('02');
    expect(wrong.status).toBe(0);
    expect(wrong.stdout).toMatch(/Differs: your sigmoid \/ Xavier curve departs from the reference in the gradient norm ‖dW‖ at layer \d+: yours is/);
    expect(wrong.stdout).toMatch(/Differs: your sigmoid \+ batch norm curve departs/);
    // in the template 05 imports the student's own 02 (no reference ships), so its sigmoid branch departs too
    expect(wrong.stdout).toMatch(/Differs: your residual \(sigmoid\) curve departs/);
    expect(wrong.stdout).not.toMatch(/Differs: your ReLU/);
  });

  it('explains its options as npm runs them and refuses what it does not know, naming npm run lab, never npx gradlab', () => {
    const help = lab('--help').stdout;
    expect(help).toMatch(/^Usage: npm run lab -- \[exercise…\] \[folder\] \[--html DIR\] \[--watch\]\n/);
    expect(help).toContain('\n  npm run lab                              # every experiment on exercises/\n');
    expect(help).toContain('\n  npm run lab -- 02 --html lab-report      # the experiments that use exercise 02, as a page\n');
    const bad = lab('zz');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^lab: 'zz' is neither an exercise \(01-activations, .*\) nor a folder: see `npm run lab -- --help`\n$/);
    expect(lab('--frobnicate').stderr).toBe("lab: Unknown option '--frobnicate'. See `npm run lab -- --help`.\n");
    const elsewhere = mkdtempSync(path.join(tmp, 'no-exercises-'));
    const lost = spawnSync(process.execPath, [path.join(target, 'lab', 'lab.mjs')], { cwd: elsewhere, encoding: 'utf8', timeout: 120_000 });
    expect(lost.stderr).toBe(`lab: no folder ${path.join(elsewhere, 'exercises')}: run the lab from the top of your repository, where exercises/ is, or name the folder that holds your exercises\n`);
    for (const r of [help, bad.stderr, lost.stderr]) expect(r).not.toMatch(/npx|gradlab lab/);
  });
});
