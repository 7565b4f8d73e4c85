/**
 * grader/gradescope/run_autograder, run as Gradescope runs it, on fake /autograder trees: the upload
 * shapes students use, and a results.json in every case, also when the grader cannot start.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../grader/manifest';
import { CACHE_FOLDER, KEY_FILE } from '../grader/module-cache';
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
  writeFileSync(path.join(source, 'package.json'), '{ "type": "module" }\n'); // as the course's own (Node 18 reads dist/ as CommonJS without it)
}, 600_000); // a backstop: tsc takes minutes on a loaded machine
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const exerciseFiles = loadManifest().exercises.map((e) => `${e.folder}/${e.file}`);
let n = 0;

interface GsResults { score: number; output: string; tests: Array<{ tags: string[]; status: string; output: string }> }

/** A fresh /autograder tree whose submission folder `fill` writes; runs run_autograder on it. */
function runAutograder(fill: (submission: string) => void, env: NodeJS.ProcessEnv = {}, wrap = (script: string): [string, string[]] => ['/bin/bash', [script]]) {
  // a ?, a #, a space and a non-ASCII letter in every path: none of them may change a grade
  const root = path.join(tmp, `t${n++} ?x=1 #top ü`);
  const submission = path.join(root, 'submission');
  mkdirSync(submission, { recursive: true });
  fill(submission);
  const [file, args] = wrap(path.join(ROOT, 'grader', 'gradescope', 'run_autograder'));
  const r = spawnSync(file, args, {
    encoding: 'utf8', env: { ...process.env, AUTOGRADER_ROOT: root, GRADLAB_SOURCE: source, ...env }, timeout: 600_000, // beyond run_autograder's own 540 s
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

/** A Node line from the npm registry (scripts/with-node installs it once into its cache): its bin folder. */
const registryNodeBin = (line: string) => execFileSync(path.join(ROOT, 'scripts', 'with-node'), [line], { encoding: 'utf8' }).trim();

describe('Gradescope\'s own shape: setup.sh, an old Node, and a container as root without user namespaces', () => {
  /** A bin folder of fakes that log their arguments (and npm its working directory) into `log`. */
  function fakes(log: string, tools: string[], extra: Record<string, string> = {}): string {
    const bin = mkdtempSync(path.join(tmp, 'setup-bin-'));
    for (const tool of tools) {
      writeFileSync(path.join(bin, tool), `#!/bin/bash\necho "${tool} $*${tool === 'npm' ? ' (in $PWD)' : ''}" >> "${log}"\n${tool === 'curl' ? 'echo "echo nodesource-setup-script-ran >> \\"' + log + '\\""\n' : ''}`);
      chmodSync(path.join(bin, tool), 0o755);
    }
    for (const [name, target] of Object.entries(extra)) symlinkSync(target, path.join(bin, name));
    return bin;
  }
  const bash = execFileSync('/bin/bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();
  const setup = (env: NodeJS.ProcessEnv) => spawnSync(bash, [path.join(ROOT, 'grader', 'gradescope', 'setup.sh')], { encoding: 'utf8', env });

  it('setup.sh installs Node 26 from NodeSource and bubblewrap on a bare image, then npm ci where run_autograder looks', () => {
    const root = path.join(tmp, 'setup-bare', 'autograder');
    const source = path.join(root, 'source');
    mkdirSync(source, { recursive: true });
    const log = path.join(tmp, 'setup-bare.log');
    const bin = fakes(log, ['apt-get', 'curl', 'npm'], { bash });
    const r = setup({ PATH: bin, AUTOGRADER_ROOT: root });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe([
      'apt-get update',
      'apt-get install -y ca-certificates curl gnupg',
      'curl -fsSL https://deb.nodesource.com/setup_26.x',
      'nodesource-setup-script-ran',
      'apt-get install -y nodejs',
      'apt-get install -y --no-install-recommends bubblewrap',
      `npm ci --no-audit --no-fund (in ${source})`, '',
    ].join('\n'));
  });

  it('setup.sh keeps an image\'s Node 26 and bwrap, replaces any other line, and builds in GRADLAB_SOURCE', () => {
    const log = path.join(tmp, 'setup-node.log');
    const elsewhere = mkdtempSync(path.join(tmp, 'source-elsewhere-'));
    const with26 = fakes(log, ['apt-get', 'curl', 'npm', 'bwrap'], { bash, node: path.join(registryNodeBin('26'), 'node') });
    expect(setup({ PATH: with26, AUTOGRADER_ROOT: path.join(tmp, 'nowhere'), GRADLAB_SOURCE: elsewhere }).status).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(`npm ci --no-audit --no-fund (in ${elsewhere})\n`);
    rmSync(log);
    const with24 = fakes(log, ['apt-get', 'curl', 'npm', 'bwrap'], { bash, node: path.join(registryNodeBin('24'), 'node') });
    expect(setup({ PATH: with24, GRADLAB_SOURCE: elsewhere }).status).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain('curl -fsSL https://deb.nodesource.com/setup_26.x\n');
  }, 600_000);

  it('setup.sh ends by grading the reference once, so the image holds the grader\'s module cache; without a grader to run it says so and still succeeds', () => {
    const log = path.join(tmp, 'setup-warm.log');
    const bin = fakes(log, ['apt-get', 'curl', 'npm'], { bash });
    const home = mkdtempSync(path.join(tmp, 'warm-cache-'));
    // this repository as the built source (npm ci faked), Node 26 and the host's bwrap: only the warming runs for real
    const r = setup({ PATH: `${bin}:${registryNodeBin('26')}:${process.env.PATH}`, GRADLAB_SOURCE: ROOT, GRADLAB_MODULE_CACHE: home });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(readFileSync(log, 'utf8')).toBe(`npm ci --no-audit --no-fund (in ${ROOT})\n`);
    // one key's folder: this grader's, with its key
    const folders = readdirSync(path.join(home, CACHE_FOLDER));
    expect(folders).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
    const kept = readdirSync(path.join(home, CACHE_FOLDER, folders[0]));
    expect(kept).toContain(KEY_FILE);
    expect(kept.filter((f) => f.startsWith('.run-'))).toEqual([]); // the warming run has ended
    // the seven hidden suites and the modules they import, as vitest transformed them
    expect(kept.filter((f) => /^[0-9a-f]{40}$/.test(f)).length).toBeGreaterThanOrEqual(7);

    const empty = mkdtempSync(path.join(tmp, 'no-grader-'));
    const without = setup({ PATH: `${bin}:${registryNodeBin('26')}:${process.env.PATH}`, GRADLAB_SOURCE: empty, GRADLAB_MODULE_CACHE: home });
    expect([without.status, without.stderr]).toEqual([0, "gradlab: could not grade the reference solutions to warm the grader's cache: submissions are graded all the same, each a little slower\n"]);
  }, 600_000);

  it('run_autograder on an image whose Node gradlab does not support: results.json says so, in gradlab\'s sentence', () => {
    const old = registryNodeBin('18');
    const r = runAutograder(copySolutions, { PATH: `${old}:${process.env.PATH}` });
    expect(r.status).toBe(1);
    expect(r.results.score).toBe(0);
    expect(r.results.tests).toEqual([]);
    expect(r.results.output).toBe('The autograder could not grade this submission: this is Node.js 18.20.8, and gradlab needs Node.js 22 (22.13.0 or later), 24 or 26: install Node.js 26 (https://nodejs.org) and run the same command again. This is not a problem with your files: please tell the course staff.');
  }, 600_000);

  /**
   * Gradescope's container, as far as this machine allows: uid 0 with the usual capabilities but not
   * CAP_SYS_ADMIN, and no user namespace can be created (Docker's default seccomp profile and
   * capabilities): a user namespace of our own whose limit of further user namespaces is 0, entered
   * through setpriv without CAP_SYS_ADMIN. unshare and bwrap both fail there, prlimit works.
   */
  function inContainer(env: NodeJS.ProcessEnv = {}) {
    const node26 = registryNodeBin('26');
    return runAutograder(copySolutions, { PATH: `${node26}:${process.env.PATH}`, ...env }, (script) => ['unshare', ['-Ur', 'sh', '-c',
      'echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --bounding-set -sys_admin --inh-caps -sys_admin -- /bin/bash "$0"', script]]);
  }

  it('the container shape is what it claims: root, no user namespaces, no bwrap, prlimit works', () => {
    const r = spawnSync('unshare', ['-Ur', 'sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --bounding-set -sys_admin --inh-caps -sys_admin -- sh -c "id -u; unshare -rn true || echo no-unshare; bwrap --unshare-all --ro-bind / / true || echo no-bwrap; prlimit --as=1000000000 --fsize=0 -- true && echo prlimit"'], { encoding: 'utf8' });
    expect(r.stdout).toBe('0\nno-unshare\nno-bwrap\nprlimit\n');
  });

  it('run_autograder there, by default: nothing graded, and results.json names the missing layers (needs the sandbox\'s --require-confinement)', () => {
    const r = inContainer();
    expect(r.results.score).toBe(0);
    expect(r.results.output).toMatch(/engine/);
    expect(r.results.output).toMatch(/network-namespace/);
  }, 600_000);

  it('run_autograder there with GRADLAB_REQUIRE_CONFINEMENT=0: the reference graded 100 with the layers the container has', () => {
    const r = inContainer({ GRADLAB_REQUIRE_CONFINEMENT: '0' });
    expect([r.status, r.results.score]).toEqual([0, 100]);
  }, 900_000);
});
