/**
 * The grader's temporary folders (submission copies, the run's wrapper files, the public tests'
 * journals, each sandbox child's working directory), and what becomes of them when the grader is
 * stopped. A process killed by a signal runs no `exit` handler and no `finally`, so Ctrl-C (SIGINT
 * to the whole process group: the grader and its vitest workers) or a SIGTERM would leave every
 * folder behind. Here each process removes its own folders on either signal:
 *
 * - while a command grades (`interruptible`), the grader's process says in one sentence that it
 *   was interrupted and what was recorded, and ends by the signal (a shell shows 130, 143);
 * - anywhere else (a vitest worker, whose sandboxes live in folders of its own) the process then
 *   dies of the signal, as it would have without this module.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { procDir } from './sandbox/confine.js';

const folders = new Set<string>();

/** A fresh folder under the system's temporary folder, removed on exit, SIGINT and SIGTERM if not before. */
export function makeTempFolder(prefix: string): string {
  // listening first: a signal that comes between the folder and the handler would end this process
  // by default with the folder left behind (seen when Ctrl-C came as a worker's first sandbox
  // folder appeared); once a handler is there, a signal waits for this synchronous code to finish
  listen();
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  folders.add(dir);
  return dir;
}

/**
 * A folder someone else makes (vitest's store of transformed modules, which `close()` removes):
 * removed with ours if the process is stopped before its owner gets to it.
 */
export function adoptTempFolder(dir: string): void {
  folders.add(dir);
  listen();
}

export function removeTempFolder(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  folders.delete(dir);
  if (folders.size === 0 && interrupted === null) unlisten();
}

function removeAll(): void {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  folders.clear();
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof SIGNALS)[number];
/** The shell's convention: a process ended by signal N exits with 128 + N. */
export const INTERRUPTED_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** While a command grades: the sentence that says what was recorded when it is interrupted. */
let interrupted: ((signal: StopSignal) => string) | null = null;

/**
 * This process's children (Linux: /proc/self/task/<tid>/children), or none where that cannot be read.
 * A signal sent to the grader alone (`kill PID`, not Ctrl-C) reaches its vitest workers this way,
 * so they remove their sandboxes' folders too.
 */
function children(pid: number | 'self' = 'self'): number[] {
  const proc = procDir();
  try {
    return readdirSync(`${proc}/${pid}/task`).flatMap((tid) => readFileSync(`${proc}/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** Whether `pid` is stopped or gone (its state in /proc/<pid>/stat: T, t, Z or X). */
function stoppedOrGone(pid: number): boolean {
  try {
    const stat = readFileSync(`${procDir()}/${pid}/stat`, 'utf8');
    return /^[TtZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

/**
 * SIGKILLs `roots` and every process below them. Each is stopped first and its children read only
 * once it is (at most 200 ms each), so none can start another meanwhile: bubblewrap's outer process
 * clones the sandbox's first process, which then waits on an eventfd until the outer one lets it
 * go on (having written its user maps, where bwrap runs privileged, as root), with no death signal
 * yet; killed alone in between, the outer one left that process waiting forever (3 of 20 SIGTERMs
 * sent as a worker's first sandbox started). Where /proc lists no children (not Linux) it kills
 * the roots it is given (the sandboxes, trackSandbox) and no more.
 */
export function killTrees(roots: number[]): void {
  const all: number[] = [];
  const todo = [...roots];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    try {
      process.kill(pid, 'SIGSTOP');
    } catch {
      continue; // gone
    }
    all.push(pid);
    const until = performance.now() + 200;
    while (!stoppedOrGone(pid) && performance.now() < until) { /* a stop takes effect within microseconds */ }
    todo.push(...children(pid));
  }
  for (const pid of all) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/** The sandboxes this process started and that have not exited (their pids). */
const sandboxes = new Set<number>();

/**
 * Counts `pid` among this process's sandboxes until the returned function is called (at its exit):
 * a signal ends them with their trees even where /proc lists no children (macOS), where a child
 * that ignores SIGINT would otherwise outlive its worker.
 */
export function trackSandbox(pid: number | undefined): () => void {
  if (pid === undefined) return () => undefined;
  sandboxes.add(pid);
  return () => sandboxes.delete(pid);
}

function onSignal(signal: StopSignal): void {
  removeAll();
  if (interrupted) {
    for (const pid of children()) {
      try { process.kill(pid, signal); } catch { /* already gone */ }
    }
    process.stderr.write(`${interrupted(signal)}\n`);
    // then end by the signal itself, as a program that does not catch it does (a shell shows
    // 128 + its number: 130, 143): process.exit was seen to hang in Node's teardown when Ctrl-C
    // came while `check` was starting vitest (a thread that never joined), where the signal's
    // default action ends the process at once
    for (const s of SIGNALS) process.removeAllListeners(s);
    listening = false;
    process.kill(process.pid, signal);
    return;
  }
  // a grading worker: its children are sandboxes (bwrap, or Node itself), running student code:
  // end them and whatever they started first (a spawn is synchronous, so every child started so
  // far is listed); a bwrap killed while it starts would leave its first process behind (killTrees)
  killTrees([...new Set([...children(), ...sandboxes])]);
  unlisten();
  // no command of ours is stopping: die of the signal as before, unless someone else handles it;
  // a forked worker (vitest's, with an IPC channel) stops here even so: it would go on grading
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  else if (process.send) process.exit(INTERRUPTED_EXIT[signal]);
}
const handlers = new Map(SIGNALS.map((s) => [s, () => onSignal(s)]));

// listening changes what the signal does (Node no longer exits by itself), so only while there is
// something to clean up or say: `gradlab check --watch` stops on Ctrl-C between runs, as it always did
let listening = false;
function listen(): void {
  if (listening) return;
  listening = true;
  process.on('exit', removeAll);
  for (const [s, h] of handlers) process.on(s, h);
}
function unlisten(): void {
  if (!listening) return;
  listening = false;
  process.off('exit', removeAll);
  for (const [s, h] of handlers) process.off(s, h);
}

/**
 * Runs `work`; SIGINT or SIGTERM meanwhile removes this process's temporary folders, prints
 * `say(signal)` (one sentence: interrupted, and what was or was not recorded) and ends by that
 * signal. The grading workers, in the same process group, remove their own.
 */
export async function interruptible<T>(say: (signal: StopSignal) => string, work: () => Promise<T>): Promise<T> {
  const before = interrupted;
  interrupted = say;
  listen();
  try {
    return await work();
  } finally {
    interrupted = before;
    if (folders.size === 0 && interrupted === null) unlisten();
  }
}

/** How a sentence names the signal: Ctrl-C is what a person pressed, SIGTERM what a runner sent. */
export const signalName = (signal: StopSignal): string => (signal === 'SIGINT' ? 'Ctrl-C (SIGINT)' : 'SIGTERM');
