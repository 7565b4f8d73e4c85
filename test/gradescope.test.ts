/**
 * grader/gradescope/run_autograder, run as Gradescope runs it, on fake /autograder trees: the upload
 * shapes students use, and a results.json in every case, also when the grader cannot start.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../grader/manifest';
import { ROOT, SOLUTIONS_DIR } from '../grader/paths';
import { validate } from '../grader/report/validate';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-gs-'));
/** The grader built by tsc into a folder of this test's own (dist/ is rebuilt by other test files at the same time). */
const source = path.join(ROOT, 'node_modules', '.cache', 'gradlab-gradescope-test');
beforeAll(() => {
  rmSync(source, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(source, 'dist')], { cwd: ROOT });
  mkdirSync(path.join(source, 'bin'), { recursive: true });
  cpSync(path.join(ROOT, 'bin', 'gradlab.mjs'), path.join(source, 'bin', 'gradlab.mjs'));
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const exerciseFiles = loadManifest().exercises.map((e) => `${e.folder}/${e.file}`);
let n = 0;

interface GsResults { score: number; output: string; tests: Array<{ tags: string[]; status: string; output: string }> }

/** A fresh /autograder tree whose submission folder `fill` writes; runs run_autograder on it. */
function runAutograder(fill: (submission: string) => void, env: NodeJS.ProcessEnv = {}) {
  // a ?, a #, a space and a non-ASCII letter in every path: none of them may change a grade
  const root = path.join(tmp, `t${n++} ?x=1 #top ü`);
  const submission = path.join(root, 'submission');
  mkdirSync(submission, { recursive: true });
  fill(submission);
  const r = spawnSync('/bin/bash', [path.join(ROOT, 'grader', 'gradescope', 'run_autograder')], {
    encoding: 'utf8', env: { ...process.env, AUTOGRADER_ROOT: root, GRADLAB_SOURCE: source, ...env }, timeout: 180_000,
  });
  const text = readFileSync(path.join(root, 'results', 'results.json'), 'utf8');
  const results = JSON.parse(text) as GsResults;
  validate('gradescope', results); // the shape Gradescope reads, in every case
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, results };
}

const byTag = (results: GsResults, slug: string) => results.tests.filter((t) => t.tags.includes(slug));
const copySolutions = (to: string) => cpSync(SOLUTIONS_DIR, to, { recursive: true, dereference: true, filter: (src) => path.basename(src) !== 'lib' });

describe('uploads, as students make them', () => {
  it('the exercise folders, with a broken and a missing file: results.json says which and why', () => {
    const { status, stdout, results } = runAutograder((sub) => {
      copySolutions(sub);
      writeFileSync(path.join(sub, '05-residual', 'residual.ts'), 'export function residualForward( {');
      rmSync(path.join(sub, '06-dead-neurons'), { recursive: true });
    });
    expect(status).toBe(0);
    expect(stdout).toContain('Score: 80/100');
    expect(results.score).toBe(80);
    expect(byTag(results, '05-residual').every((t) => t.status === 'failed' && /does not compile/.test(t.output))).toBe(true);
    expect(byTag(results, '06-dead-neurons').every((t) => /is missing from the submission/.test(t.output))).toBe(true);
    expect(byTag(results, '04-batchnorm').every((t) => t.status === 'passed')).toBe(true);
    expect(results.output).toContain('Missing: 06-dead-neurons/diagnostics.ts.'); // 07 is there
  });

  it('the six files dragged on flat, next to a stray tsconfig.json, under a path with ?, #, a space and ü: each found by its name, full marks', () => {
    const { status, results } = runAutograder((sub) => {
      for (const f of exerciseFiles) cpSync(path.join(SOLUTIONS_DIR, f), path.join(sub, path.basename(f)));
      writeFileSync(path.join(sub, 'tsconfig.json'), '{ "extends": "/etc/passwd" }');
    });
    expect([status, results.score]).toEqual([0, 100]);
    expect(results.output).toContain('Read: exercise files found by their names.');
    expect(results.output).toContain('01-activations/activations.ts (from activations.ts)');
  });

  it('a zip that kept its top folder, one exercise left out: graded, and the missing one named', () => {
    const { results } = runAutograder((sub) => {
      copySolutions(path.join(sub, 'gradlab-main', 'exercises'));
      rmSync(path.join(sub, 'gradlab-main', 'exercises', '03-initialization'), { recursive: true });
    });
    expect(results.score).toBe(85);
    expect(results.output).toContain('Missing: 03-initialization/init.ts.');
    expect(byTag(results, '03-initialization').every((t) => /03-initialization\/init\.ts is missing from the submission: .*No file named init\.ts was found anywhere/.test(t.output))).toBe(true);
  });

  it('a repository whose exercises/ is a link to the autograder’s own solutions: nothing graded', () => {
    const { results } = runAutograder((sub) => symlinkSync(path.join(ROOT, 'solutions'), path.join(sub, 'exercises')));
    expect(results.score).toBe(0);
    expect(results.output).toContain('exercises is a symbolic link: links are never followed');
  });
});

describe('results.json even when the grader cannot start', () => {
  const expectFallback = (r: ReturnType<typeof runAutograder>, words: string) => {
    expect(r.status).toBe(1);
    expect(r.results.score).toBe(0);
    expect(r.results.tests).toEqual([]);
    expect(r.results.output).toContain(words);
    expect(r.results.output).toContain('please tell the course staff');
  };

  it('no node on the image', () => {
    const bin = path.join(tmp, 'bin-without-node');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['mkdir', 'rm']) symlinkSync(execFileSync('/bin/bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), path.join(bin, tool));
    expectFallback(runAutograder(copySolutions, { PATH: bin }), 'Node.js is not installed on the autograder image');
  });

  it('the grader not built', () => {
    const unbuilt = path.join(tmp, 'unbuilt');
    mkdirSync(path.join(unbuilt, 'bin'), { recursive: true });
    cpSync(path.join(ROOT, 'bin', 'gradlab.mjs'), path.join(unbuilt, 'bin', 'gradlab.mjs'));
    expectFallback(runAutograder(copySolutions, { GRADLAB_SOURCE: unbuilt }), 'the grader is not built');
  });

  it('the grader crashing', () => {
    const crashing = path.join(tmp, 'crashing');
    mkdirSync(path.join(crashing, 'bin'), { recursive: true });
    mkdirSync(path.join(crashing, 'dist', 'grader'), { recursive: true });
    writeFileSync(path.join(crashing, 'dist', 'grader', 'cli.js'), '');
    writeFileSync(path.join(crashing, 'bin', 'gradlab.mjs'), 'process.abort();\n');
    expectFallback(runAutograder(copySolutions, { GRADLAB_SOURCE: crashing }), 'the grader stopped unexpectedly (exit status 134)');
  });
});
