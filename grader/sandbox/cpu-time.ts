/**
 * The CPU time a child process has used, read by the trusted process from the kernel's own
 * accounting (/proc/<pid>/stat on Linux), so the child cannot misreport it and the machine's load
 * does not change it: a busy machine makes a call take longer in wall time, not in CPU time.
 */
import { existsSync, readFileSync } from 'node:fs';
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
  /** State R: running, or ready to run and waiting for a core (what load looks like). */
  runnable: boolean;
}

/** Reads /proc/<pid>/stat; null if it cannot be read (no /proc, or the process is gone). */
export function sampleProcess(pid: number): ProcSample | null {
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
  return { cpuMs: (utime + stime) * MS_PER_TICK, runnable: rest[0] === 'R' };
}

/**
 * The process `pid` and every process below it, summed: the CPU time of all of them, runnable if
 * any is. The sandbox child is a wrapper (bwrap, which stays as the namespace's monitor and init)
 * with Node below it, so its own stat alone would count the wrapper's sleep, not the student's
 * code; the tree counts both (the wrapper's share is what starting it costs). The child cannot add
 * or hide a process (its permission model forbids child processes). Null if `pid` cannot be read.
 */
export function sampleTree(pid: number): ProcSample | null {
  const top = sampleProcess(pid);
  if (!top) return null;
  const total = { ...top };
  const seen = new Set([pid]);
  const queue = childrenOf(pid);
  // a few levels at most (prlimit and unshare exec, bwrap forks twice): bound the walk anyway
  while (queue.length > 0 && seen.size < 16) {
    const p = queue.shift() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    const s = sampleProcess(p);
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
 * since then, and the wall time it spent not runnable (sleeping or stopped: waiting for something,
 * not for a core). Where /proc cannot be read, `usedMs` is the wall time (`measuresCpu` is false).
 */
export class CpuClock {
  private readonly started = Date.now();
  private readonly cpuStart: number | null;
  private lastUsed = 0;
  private lastSampleAt = this.started;
  private waited = 0;

  constructor(private readonly pid: number | undefined) {
    this.cpuStart = HAS_PROC && pid !== undefined ? sampleTree(pid)?.cpuMs ?? null : null;
  }

  get measuresCpu(): boolean {
    return this.cpuStart !== null;
  }

  /** CPU ms used since the start (the last reading, once the process is gone); wall ms without /proc. */
  usedMs(): number {
    this.sample();
    return this.cpuStart === null ? Date.now() - this.started : this.lastUsed;
  }

  /** Wall ms the process was seen not runnable, counted between readings (each usedMs() is one). */
  waitedMs(): number {
    return this.waited;
  }

  private sample(): void {
    if (this.cpuStart === null) return;
    const now = Date.now();
    const s = sampleTree(this.pid as number);
    if (s) {
      // a wrapper process that ends takes its share with it: never count backwards
      this.lastUsed = Math.max(this.lastUsed, s.cpuMs - this.cpuStart);
      // a long gap between readings is this process not running (a busy machine), not the child
      // waiting: count at most MAX_GAP_MS of it
      if (!s.runnable) this.waited += Math.min(now - this.lastSampleAt, MAX_GAP_MS);
    }
    this.lastSampleAt = now;
  }
}
