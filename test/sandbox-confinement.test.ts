/**
 * Confinement is found, reported and required, never assumed: each piece a host may lack is
 * taken away on this machine (a PATH without bwrap, a bwrap or unshare that fails, no prlimit, no
 * /proc), and the layers, the results files, the gradebook and `--require-confinement` say so.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { confinement, LAYERS, type LayerId } from '../grader/sandbox/confine';
import { ROOT } from '../grader/paths';
import { gradlab } from './cli-harness';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-confinement-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A PATH folder holding links to the real tools named, and failing stand-ins (exit 1) for the others named. */
function host(name: string, tools: string[], failing: string[] = []): string {
  const dir = path.join(tmp, name);
  if (existsSync(dir)) return dir;
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) symlinkSync(`/usr/bin/${tool}`, path.join(dir, tool));
  for (const tool of failing) {
    writeFileSync(path.join(dir, tool), '#!/bin/sh\nexit 1\n');
    chmodSync(path.join(dir, tool), 0o755);
  }
  return dir;
}

const inForce = (env: NodeJS.ProcessEnv): LayerId[] => confinement(env).layers.filter((l) => l.inForce).map((l) => l.id);
const why = (env: NodeJS.ProcessEnv, id: LayerId): string | undefined => confinement(env).layers.find((l) => l.id === id)?.why;
// the layers this machine always gives, whatever the PATH (Node 20 has no network switch in its permission model)
const NODE_NET: LayerId[] = Number(process.versions.node.split('.')[0]) >= 25 ? ['node-permission-network'] : [];

// the harness runs the CLI in this process: leave nothing of a run's confinement in the environment
const CLEAN = { GRADLAB_REQUIRE_CONFINEMENT: '0', GRADLAB_CONFINEMENT_FOUND: '' };

describe('confinement() on a host missing a piece', () => {
  it('without bwrap: no engine, the network namespace from unshare -rn', () => {
    const env = { PATH: host('no-bwrap', ['unshare', 'prlimit']) };
    expect(inForce(env)).toEqual(LAYERS.filter((id) => id !== 'engine' && (id !== 'node-permission-network' || NODE_NET.length)));
    expect(confinement(env).missing).toEqual(['engine']);
    expect(why(env, 'engine')).toBe('no `bwrap` on PATH');
  });

  it('with a bwrap that fails (no user namespaces) and an unshare that fails: no engine, no network namespace', () => {
    const dir = host('failing', ['prlimit'], ['bwrap', 'unshare']);
    const env = { PATH: dir };
    expect(confinement(env).missing).toEqual(['engine', 'network-namespace']);
    expect(why(env, 'engine')).toBe(`${path.join(dir, 'bwrap')} does not work here (no user namespaces?)`);
    expect(why(env, 'network-namespace')).toBe('neither bwrap nor `unshare -rn` works here');
    expect(inForce(env)).toEqual(['groups', ...NODE_NET, 'limits', 'cpu-time']);
  });

  it('without prlimit: no limits; without /proc: no CPU-time limits', () => {
    const env = { PATH: host('no-prlimit', ['bwrap', 'unshare']) };
    expect(confinement(env).missing).toEqual(['limits']);
    expect(why(env, 'limits')).toBe('no `prlimit` on PATH');
    const noProc = { PATH: process.env.PATH, GRADLAB_PROC_DIR: path.join(tmp, 'no-proc') };
    expect(confinement(noProc).missing).toEqual(['cpu-time']);
    expect(why(noProc, 'cpu-time')).toBe(`${path.join(tmp, 'no-proc')} cannot be read (CPU-time limits become wall-time limits)`);
  });
});

describe('--require-confinement', () => {
  const submission = path.join(tmp, 'sub');
  cpSync(path.join(ROOT, 'solutions', '01-activations'), path.join(submission, '01-activations'), { recursive: true });
  const noBwrap = () => host('cli-no-bwrap', ['unshare', 'prlimit']);

  it('refuses to grade on a host without bwrap: one sentence, exit 3, a results file with the reason and no score', async () => {
    const out = path.join(tmp, 'refused.json');
    const gs = path.join(tmp, 'refused-gradescope.json');
    const r = await gradlab(['grade', submission, '-e', '01-activations', '--require-confinement', '-f', 'json', '-o', out, '-f', 'gradescope', '-o', gs], { ...CLEAN, PATH: noBwrap() });
    expect(r.status).toBe(3);
    const sentence = 'not graded: --require-confinement was given and this host lacks the sandbox layer engine (mount, PID and session namespaces (bubblewrap): no host file, unix socket or process is visible; missing: no `bwrap` on PATH; provide bubblewrap (`bwrap`, Debian/Ubuntu package `bubblewrap`) and unprivileged user namespaces (on Ubuntu 24.04: `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`))';
    expect(r.stderr).toBe(`gradlab: ${sentence}\n`);
    const results = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(results)).toEqual(['refused', 'confinement']);
    expect(results.refused).toBe(sentence);
    expect(results.confinement.missing).toEqual(['engine']);
    const gradescope = JSON.parse(readFileSync(gs, 'utf8'));
    expect(gradescope).toEqual({ score: 0, execution_time: 0, output: `The autograder refused to grade this submission: ${sentence}. This is not a problem with your files: please tell the course staff.`, output_format: 'text', tests: [] });
  });

  it('grades without the flag on the same host, and the results, the gradebook and the class report say the engine was missing', async () => {
    const cls = path.join(tmp, 'class');
    cpSync(submission, path.join(cls, 'alice'), { recursive: true });
    const results = path.join(tmp, 'class-results');
    const r = await gradlab(['class', cls, '-e', '01-activations', '--results', results], { ...CLEAN, PATH: noBwrap() });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const record = JSON.parse(readFileSync(path.join(results, 'students', 'alice.json'), 'utf8'));
    expect(record.results.score).toBe(15); // the sandbox without its engine still grades exactly
    expect(record.results.confinement.missing).toEqual(['engine']);
    expect(readFileSync(path.join(results, 'gradebook.csv'), 'utf8').split('\n')[1]).toMatch(/^alice,graded,15,15,15,,missing engine,/);
    expect(readFileSync(path.join(results, 'report.md'), 'utf8')).toContain('- 1 student: Sandbox: MISSING engine. In force: groups, network-namespace');

    // the same class with the flag: nothing graded, the records kept, refused.json says why
    const before = readFileSync(path.join(results, 'gradebook.csv'), 'utf8');
    const refused = await gradlab(['class', cls, '-e', '01-activations', '--results', results, '--require-confinement', '--force'], { ...CLEAN, PATH: noBwrap() });
    expect(refused.status).toBe(3);
    expect(refused.stderr).toMatch(/^gradlab: not graded: --require-confinement was given and this host lacks the sandbox layer engine \(.*\) \(written to .*refused\.json\)\n$/);
    expect(JSON.parse(readFileSync(path.join(results, 'refused.json'), 'utf8')).confinement.missing).toEqual(['engine']);
    expect(readFileSync(path.join(results, 'gradebook.csv'), 'utf8')).toBe(before);

    // with every layer (this machine's own PATH) the flag grades, and refused.json goes
    const whole = await gradlab(['class', cls, '-e', '01-activations', '--results', results, '--require-confinement', '--force'], CLEAN);
    expect(whole.status).toBe(0);
    expect(existsSync(path.join(results, 'refused.json'))).toBe(false);
    expect(readFileSync(path.join(results, 'gradebook.csv'), 'utf8').split('\n')[1]).toMatch(/^alice,graded,15,15,15,,whole,/);
  }, 600_000); // two class runs: minutes on a loaded machine
});

describe('the trusted process and SIGUSR1', () => {
  it('opens no inspector on SIGUSR1 once the grader ignores it (Node 20 has no --disable-sigusr1)', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      const { ignoreInspectorSignal } = await import(${JSON.stringify(path.join(ROOT, 'dist', 'grader', 'signal-inspector.js'))});
      const inspector = await import('node:inspector');
      ignoreInspectorSignal();
      process.stdout.write('ready\\n');
      process.stdin.once('data', () => { process.stdout.write(String(inspector.url()) + '\\n'); process.exit(0); });`], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    while (!stdout.includes('ready')) await once(child.stdout, 'data');
    process.kill(child.pid as number, 'SIGUSR1');
    // the signal is handled before the next turn of the child's loop: ask after a pause of the test's own
    await new Promise((r) => setTimeout(r, 500));
    child.stdin.write('?\n');
    await once(child, 'exit');
    expect(stdout).toBe('ready\nundefined\n');
    expect(stderr).not.toContain('Debugger listening');
  });
});
