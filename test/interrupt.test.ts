/**
 * Ctrl-C during grading (issue 18, item 7): the real CLI, a child process group of its own with a
 * temporary folder of its own (TMPDIR), is sent SIGINT once student code is running (a sandbox's
 * folder exists). It says in one sentence that it was interrupted and what was recorded, exits
 * by the signal (a shell shows 130), and leaves no temporary folder: not the grader's (submission copies, the run's files,
 * vitest's), not its workers' (the sandboxes' working directories). SIGTERM sent to the grader
 * alone (as a runner stops a job) does the same (143): it passes the signal on to its workers.
 *
 * The CLI is dist/ (built by `npm run build`), as test/check.test.ts runs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../grader/manifest';
import { ROOT, SOLUTIONS_DIR } from '../grader/paths';
import { killTrees } from '../grader/temp-folders';

const work = mkdtempSync(path.join(tmpdir(), 'gradlab-interrupt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Interrupted {
  code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; before: string[]; after: string[];
  /** Whether a process of the group was still there when the backstop came, 100 s on: it would have stayed. */
  leftBehind: boolean;
}

/**
 * Runs `gradlab ARGS` in `cwd` with an empty TMPDIR of its own; once a folder named `when…`
 * appears there, sends `signal` to the whole process group (Ctrl-C) or to the grader alone. Waits
 * for the group to be gone, then lists what is left in TMPDIR.
 */
async function interrupt(name: string, args: string[], opts: { cwd?: string; when: string; signal: NodeJS.Signals; groupWide: boolean }): Promise<Interrupted> {
  const tmp = path.join(work, `${name}-tmp`);
  mkdirSync(tmp);
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('GITHUB_')) delete env[k];
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'gradlab.mjs'), ...args], { cwd: opts.cwd ?? ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const group = child.pid as number;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  // a backstop only, far above the seconds a run takes: a grader that ignores the signal fails the test, it does not hang it
  let leftBehind = false;
  const backstop = setTimeout(() => {
    try {
      process.kill(-group, 'SIGKILL');
      leftBehind = true;
    } catch { /* gone */ }
  }, 100_000);
  try {
    let before: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const look = () => {
        if (readdirSync(tmp).some((f) => f.startsWith(opts.when))) {
          watcher.close();
          before = readdirSync(tmp).sort();
          resolve();
        }
      };
      const watcher = watch(tmp, look);
      void closed.then(() => { watcher.close(); reject(new Error(`gradlab ${args.join(' ')} ended before a ${opts.when}* folder appeared:\n${stdout}\n${stderr}`)); });
      look();
    });
    process.kill(opts.groupWide ? -group : group, opts.signal);
    const { code, signal } = await closed;
    // the workers clean up on their own signal, and may outlive the grader by a moment: wait for the group to go
    await new Promise<void>((resolve) => {
      const gone = () => { try { process.kill(-group, 0); return false; } catch { return true; } };
      const poll = () => (gone() ? resolve() : setTimeout(poll, 50));
      poll();
    });
    return { code, signal, stdout, stderr, before, after: readdirSync(tmp).sort(), leftBehind };
  } finally {
    clearTimeout(backstop);
  }
}

const copy = (name: string) => {
  const dir = path.join(work, name);
  cpSync(SOLUTIONS_DIR, dir, { recursive: true, dereference: true });
  return dir;
};

describe('Ctrl-C while grading', () => {
  it('grade: says it was interrupted and that nothing was recorded, ends by SIGINT (130 in a shell), and leaves no temporary folder', async () => {
    const sub = copy('sub');
    const results = path.join(work, 'results.json');
    const r = await interrupt('grade', ['grade', sub, '--out', results], { when: 'gradlab-sandbox-', signal: 'SIGINT', groupWide: true });
    // mid-grading: the submission's copy is compiled and gone, the run's folder and a sandbox's are there
    expect(r.before.filter((f) => f.startsWith('gradlab-'))).toEqual(expect.arrayContaining([expect.stringMatching(/^gradlab-run-/), expect.stringMatching(/^gradlab-sandbox-/)]));
    expect(r.stderr).toBe(`gradlab: grading was interrupted (Ctrl-C (SIGINT)), so nothing was recorded (this run wrote no report or results file) and its temporary folders are removed: run it again to grade '${sub}'.\n`);
    expect([r.code, r.signal]).toEqual([null, 'SIGINT']);
    expect(r.after).toEqual([]);
    expect(r.leftBehind).toBe(false);
    expect(existsSync(results)).toBe(false);
  });

  it('grade: SIGTERM to the grader alone reaches its workers too: ends by SIGTERM (143), no temporary folder left', async () => {
    const r = await interrupt('term', ['grade', copy('term-sub')], { when: 'gradlab-sandbox-', signal: 'SIGTERM', groupWide: false });
    expect(r.stderr).toMatch(/^gradlab: grading was interrupted \(SIGTERM\), so nothing was recorded/);
    expect([r.code, r.signal]).toEqual([null, 'SIGTERM']);
    expect(r.after).toEqual([]);
    expect(r.leftBehind).toBe(false);
  });

  it('class: no grade recorded, the results folder holds no record, gradebook or report; ends by SIGINT, no temporary folder left', async () => {
    const students = path.join(work, 'class');
    mkdirSync(students);
    for (const s of ['ada', 'grace']) cpSync(SOLUTIONS_DIR, path.join(students, s), { recursive: true, dereference: true });
    const results = path.join(work, 'class-results');
    const r = await interrupt('class', ['class', students, '--results', results], { when: 'gradlab-sandbox-', signal: 'SIGINT', groupWide: true });
    expect(r.stderr).toBe(`gradlab: grading the class was interrupted (Ctrl-C (SIGINT)), so no grade was recorded (this run wrote no record, gradebook or report in ${results}) and its temporary folders are removed: run the same command again to grade.\n`);
    expect([r.code, r.signal]).toEqual([null, 'SIGINT']);
    expect(r.after).toEqual([]);
    expect(r.leftBehind).toBe(false);
    expect(readdirSync(results)).toEqual(['students']); // made before any student code runs, and empty
    expect(readdirSync(path.join(results, 'students'))).toEqual([]);
  });

  it('check: the public tests interrupted, nothing recorded; ends by SIGINT, no temporary folder left', async () => {
    const course = path.join(work, 'course');
    cpSync(path.join(ROOT, 'exercises'), path.join(course, 'exercises'), { recursive: true, dereference: true });
    // file by file: Node 22's cpSync refuses a folder onto one that exists (EEXIST) where 24 and 26 merge them
    for (const { folder } of loadManifest().exercises) {
      for (const f of readdirSync(path.join(SOLUTIONS_DIR, folder))) copyFileSync(path.join(SOLUTIONS_DIR, folder, f), path.join(course, 'exercises', folder, f));
    }
    const r = await interrupt('check', ['check'], { cwd: course, when: 'gradlab-check-', signal: 'SIGINT', groupWide: true });
    expect(r.stderr).toBe('gradlab: the public tests were interrupted (Ctrl-C (SIGINT)); nothing was recorded (check only reads your files) and their temporary folders are removed: run it again to see your progress.\n');
    expect([r.code, r.signal]).toEqual([null, 'SIGINT']);
    expect(r.after).toEqual([]);
    expect(r.leftBehind).toBe(false);
  });
});

/** The state letter of `pid` in /proc (S, R, T, Z…), or 'gone'. */
function stateOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return 'gone';
  }
}

/**
 * bubblewrap as the sandbox runs it (--unshare-all --die-with-parent), held where the race was:
 * its outer process has cloned the sandbox's first process, which waits on an eventfd for the user
 * maps, and itself blocks before writing them (--userns-block-fd, never written). --info-fd says
 * the first process's pid.
 */
async function bwrapHeldWhileStarting(): Promise<{ outer: ChildProcess; first: number }> {
  const outer = spawn('bwrap', ['--unshare-all', '--unshare-user', '--die-with-parent', '--info-fd', '3', '--userns-block-fd', '4', '--ro-bind', '/usr', '/usr', '--', '/usr/bin/true'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let info = '';
  let err = '';
  outer.stderr?.on('data', (d: Buffer) => { err += d.toString('utf8'); });
  const infoFd = outer.stdio[3] as NodeJS.ReadableStream;
  infoFd.on('data', (d: Buffer) => { info += d.toString('utf8'); });
  await Promise.race([once(infoFd, 'end'), once(outer, 'exit').then(() => { throw new Error(`bwrap ended before it started a sandbox: ${err}`); })]);
  return { outer, first: JSON.parse(info)['child-pid'] as number };
}

/** `pid`'s state once it sleeps (S), or as it is 10 s on: bwrap reports the pid right after the clone, a busy machine may not have run it to its wait yet. */
async function asleep(pid: number): Promise<string> {
  const until = Date.now() + 10_000;
  for (;;) {
    const state = stateOf(pid);
    if (state === 'S' || Date.now() > until) return state;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * `pid`'s state once it is gone or a zombie (its parent, init, reaps it when it will), or as it is
 * 10 s on: a SIGKILL takes effect in microseconds, a process left waiting never ends.
 */
async function ended(pid: number): Promise<string> {
  const until = Date.now() + 10_000;
  for (;;) {
    const state = stateOf(pid);
    if (state === 'gone' || state === 'Z' || Date.now() > until) return state;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a sandbox stopped while it starts (what a worker does on SIGINT or SIGTERM)', () => {
  it('bubblewrap killed alone then leaves the sandbox\'s first process waiting forever: the premise', async () => {
    const { outer, first } = await bwrapHeldWhileStarting();
    try {
      expect(await asleep(first)).toBe('S');
      outer.kill('SIGKILL');
      await once(outer, 'exit');
      // still waiting on its eventfd, now a child of init, with no death signal set yet
      await new Promise((r) => setTimeout(r, 300));
      expect(stateOf(first)).toBe('S');
      expect(readFileSync(`/proc/${first}/status`, 'utf8')).toMatch(/^PPid:\s+1$/m);
    } finally {
      try { process.kill(first, 'SIGKILL'); } catch { /* gone */ }
    }
    expect(['gone', 'Z']).toContain(await ended(first));
  });

  it('killTrees stops bubblewrap before reading its children, so the first process ends with it', async () => {
    const { outer, first } = await bwrapHeldWhileStarting();
    const exited = once(outer, 'exit');
    killTrees([outer.pid as number]);
    expect(await exited).toEqual([null, 'SIGKILL']);
    expect(['gone', 'Z']).toContain(await ended(first));
  });
});

describe('where /proc lists no children (macOS): a worker still ends its sandboxes on SIGTERM', () => {
  /**
   * A stand-in for a grading worker (the built dist/grader/temp-folders.js, with GRADLAB_PROC_DIR
   * naming no folder): a temporary folder of its own, and a "sandbox" child that ignores SIGINT and
   * SIGTERM, counted with trackSandbox or not. Resolves with the child's pid once it runs.
   */
  async function worker(track: boolean): Promise<{ proc: ChildProcess; sandbox: number }> {
    const script = `
      import { spawn } from 'node:child_process';
      import { makeTempFolder, trackSandbox } from ${JSON.stringify(path.join(ROOT, 'dist', 'grader', 'temp-folders.js'))};
      makeTempFolder('gradlab-sandbox-');
      const child = spawn(process.execPath, ['-e', "process.on('SIGINT', () => {}); process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')"], { stdio: ['ignore', 'pipe', 'ignore'] });
      ${track ? 'trackSandbox(child.pid);' : ''}
      child.stdout.once('data', () => console.log(child.pid));
      setInterval(() => {}, 1000);`;
    const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, GRADLAB_PROC_DIR: path.join(work, 'no-proc') }, stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = await once(proc.stdout as NodeJS.ReadableStream, 'data') as [Buffer];
    return { proc, sandbox: Number(line.toString('utf8').trim()) };
  }

  it('an untracked child that ignores the signal outlives its worker (the premise); a tracked one is killed', async () => {
    const untracked = await worker(false);
    untracked.proc.kill('SIGTERM');
    await once(untracked.proc, 'exit');
    try {
      expect(stateOf(untracked.sandbox)).toMatch(/^[RS]$/);
    } finally {
      try { process.kill(untracked.sandbox, 'SIGKILL'); } catch { /* gone */ }
    }
    const tracked = await worker(true);
    tracked.proc.kill('SIGTERM');
    expect(await once(tracked.proc, 'exit')).toEqual([null, 'SIGTERM']);
    expect(['gone', 'Z']).toContain(await ended(tracked.sandbox));
  });
});
