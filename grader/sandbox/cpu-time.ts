/**
 * The CPU time a child process has used, read by the trusted process from the kernel's own
 * accounting (/proc/<pid>/stat on Linux), so the child cannot misreport it and the machine's load
 * does not change it: a busy machine makes a call take longer in wall time, not in CPU time.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Whether this platform has /proc (Linux). Elsewhere the sandbox falls back to wall-clock limits. */
export const HAS_PROC = existsSync('/proc/self/stat');

// utime and stime are counted in clock ticks of USER_HZ, which is 100 on every architecture Node
// supports on Linux (x86, arm, arm64, ppc64, s390x, riscv64): one tick is 10 ms.
const MS_PER_TICK = 10;

/**
 * User + system CPU time of process `pid` in ms, all its threads (V8's GC and compiler threads
 * included); null if it cannot be read (no /proc, or the process is gone).
 */
export function cpuTimeMs(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
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
  return (utime + stime) * MS_PER_TICK;
}

/**
 * Measures one request to a child from the moment it is created: the child's CPU time since then,
 * or, where /proc cannot be read, the wall time since then (`measuresCpu` says which).
 */
export class CpuClock {
  private readonly started = Date.now();
  private readonly cpuStart: number | null;
  private lastUsed = 0;

  constructor(private readonly pid: number | undefined) {
    this.cpuStart = HAS_PROC && pid !== undefined ? cpuTimeMs(pid) : null;
  }

  get measuresCpu(): boolean {
    return this.cpuStart !== null;
  }

  wallMs(): number {
    return Date.now() - this.started;
  }

  /** CPU ms used since the start (the last reading, once the process is gone); wall ms without /proc. */
  usedMs(): number {
    if (this.cpuStart === null) return this.wallMs();
    const now = cpuTimeMs(this.pid as number);
    if (now !== null) this.lastUsed = now - this.cpuStart;
    return this.lastUsed;
  }
}
