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
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../grader/manifest';
import { ROOT, SOLUTIONS_DIR } from '../grader/paths';

const work = mkdtempSync(path.join(tmpdir(), 'gradlab-interrupt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Interrupted { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; before: string[]; after: string[] }

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
  const backstop = setTimeout(() => { try { process.kill(-group, 'SIGKILL'); } catch { /* gone */ } }, 100_000);
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
    return { code, signal, stdout, stderr, before, after: readdirSync(tmp).sort() };
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
    expect(existsSync(results)).toBe(false);
  });

  it('grade: SIGTERM to the grader alone reaches its workers too: ends by SIGTERM (143), no temporary folder left', async () => {
    const r = await interrupt('term', ['grade', copy('term-sub')], { when: 'gradlab-sandbox-', signal: 'SIGTERM', groupWide: false });
    expect(r.stderr).toMatch(/^gradlab: grading was interrupted \(SIGTERM\), so nothing was recorded/);
    expect([r.code, r.signal]).toEqual([null, 'SIGTERM']);
    expect(r.after).toEqual([]);
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
  });
});
