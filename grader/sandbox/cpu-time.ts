/**
 * The CPU time a child process has used, read by the trusted process from the kernel's own
 * accounting (/proc/<pid>/stat on Linux), so the child cannot misreport it and the machine's load
 * does not change it: a busy machine makes a call take longer in wall time, not in CPU time.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { procDir } from './confine.js';

const PROC = procDir();

/** Whether this platform has /proc (Linux). Elsewhere the sandbox falls back to wall-clock limits. */
export const HAS_PROC = existsSync(`${PROC}/self/stat`);

// utime and stime are counted in clock ticks of USER_HZ, which is 100 on every architecture Node
// supports on Linux (x86, arm, arm64, ppc64, s390x, riscv64): one tick is 10 ms.
const MS_PER_TICK = 10;

/** The most one pair of readings can add to the waiting time (the sandbox polls at least every 100 ms). */
const MAX_GAP_MS = 250;

/** What the kernel says about a process at one moment. */
export interface ProcSample {
  /** User + system CPU time so far, in ms, all threads (V8's GC and compiler threads included). */
  cpuMs: number;
  /**
   * Some thread of it is in state R (running, or ready to run and waiting for a core: what load
   * looks like) or D (in the kernel, e.g. reading a page): it is not waiting for something to
   * happen. A main thread asleep while V8's collector or compiler threads work is not waiting.
   */
  runnable: boolean;
}

/** Whether a /proc stat line's state (the field after the last ')') is R or D. */
const busyState = (stat: string): boolean => {
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'R' || state === 'D';
};

/** Whether any thread of `pid` other than the main one is running or runnable. */
function anyThreadBusy(pid: number): boolean {
  let tids: string[];
  try {
    tids = readdirSync(`${PROC}/${pid}/task`);
  } catch {
    return false;
  }
  for (const tid of tids) {
    if (tid === String(pid)) continue;
    try {
      if (busyState(readFileSync(`${PROC}/${pid}/task/${tid}/stat`, 'utf8'))) return true;
    } catch { /* the thread ended */ }
  }
  return false;
}

/** Reads /proc/<pid>/stat; null if it cannot be read. With `threads` false, `runnable` looks at the main thread only (cheaper). */
export function sampleProcess(pid: number, threads = true): ProcSample | null {
  let stat: string;
  try {
    stat = readFileSync(`${PROC}/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // field 2, the command name, is in parentheses and may hold spaces or ')' (the child can set
  // process.title): the fixed fields start after the LAST ')'. Field 3 (state) is rest[0], so
  // utime (field 14) is rest[11] and stime (field 15) is rest[12].
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  const runnable = rest[0] === 'R' || rest[0] === 'D' || (threads && anyThreadBusy(pid));
  return { cpuMs: (utime + stime) * MS_PER_TICK, runnable };
}

/**
 * The process `pid` and every process below it, summed: the CPU time of all of them, runnable if
 * any is. The sandbox child is a wrapper (bwrap, which stays as the namespace's monitor and init)
 * with Node below it, so its own stat alone would count the wrapper's sleep, not the student's
 * code; the tree counts both (the wrapper's share is what starting it costs). The child cannot add
 * or hide a process (its permission model forbids child processes). Null if `pid` cannot be read.
 */
export function sampleTree(pid: number, threads = true): ProcSample | null {
  const top = sampleProcess(pid, threads);
  if (!top) return null;
  const total = { ...top };
  const seen = new Set([pid]);
  const queue = childrenOf(pid);
  // a few levels at most (prlimit and unshare exec, bwrap forks twice): bound the walk anyway
  while (queue.length > 0 && seen.size < 16) {
    const p = queue.shift() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    const s = sampleProcess(p, threads);
    if (!s) continue;
    total.cpuMs += s.cpuMs;
    total.runnable ||= s.runnable;
    queue.push(...childrenOf(p));
  }
  return total;
}

/** The children of a process (of its main thread: wrappers are single-threaded), from /proc. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`${PROC}/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Measures one request to a child from the moment it is created: the CPU time the child used
 * since then, and the wall time it spent not runnable (no thread running, ready to run or in the
 * kernel: waiting for something, not for a core), counted only between readings the caller says
 * count (not while the child waits for the caller itself). Where /proc cannot be read, `usedMs`
 * is the wall time (`measuresCpu` is false).
 */
export class CpuClock {
  private readonly started = Date.now();
  private readonly cpuStart: number | null;
  private lastUsed = 0;
  private lastSampleAt = this.started;
  private waited = 0;
  private lastWaiting = false;

  constructor(private readonly pid: number | undefined) {
    this.cpuStart = HAS_PROC && pid !== undefined ? sampleTree(pid, false)?.cpuMs ?? null : null;
  }

  get measuresCpu(): boolean {
    return this.cpuStart !== null;
  }

  /** CPU ms used since the start (the last reading, once the process is gone); wall ms without /proc. */
  usedMs(): number {
    return this.sampleMs(false);
  }

  /**
   * As usedMs, and the time since the last reading counts as waiting if `countWait` (the caller
   * knows the child was not busy with it meanwhile) and this reading and the last both saw it
   * not runnable.
   */
  sampleMs(countWait: boolean): number {
    this.sample(countWait);
    return this.cpuStart === null ? Date.now() - this.started : this.lastUsed;
  }

  /** Wall ms the process was seen not runnable, counted between readings (each usedMs() is one). */
  waitedMs(): number {
    return this.waited;
  }

  private sample(countWait: boolean): void {
    if (this.cpuStart === null) return;
    const now = Date.now();
    // the other threads are looked at only when waiting may count (reading them costs ~0.3 ms)
    const s = sampleTree(this.pid as number, countWait);
    if (s) {
      // a wrapper process that ends takes its share with it: never count backwards
      this.lastUsed = Math.max(this.lastUsed, s.cpuMs - this.cpuStart);
      // only the time between two readings that both saw it not runnable: a child seen asleep once
      // may have just written to us and be waiting for our answer. A long gap between readings is
      // this process not running (a busy machine), not the child waiting: count at most MAX_GAP_MS
      if (countWait && !s.runnable && this.lastWaiting) this.waited += Math.min(now - this.lastSampleAt, MAX_GAP_MS);
      this.lastWaiting = countWait && !s.runnable;
    }
    this.lastSampleAt = now;
  }
}
