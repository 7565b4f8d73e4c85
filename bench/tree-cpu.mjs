#!/usr/bin/env node
// CPU seconds (user + system) of a command and every process it starts, however they end:
// `time` counts only children that are waited for, and the grader's vitest workers and sandbox
// children are killed, not waited for. Polls /proc every 10 ms and keeps each process's last
// utime + stime; a process that lives less than one poll is missed (a few ms at most).
//
//   node bench/tree-cpu.mjs -- node bin/gradlab.mjs grade solutions -e 07-training -f json -o /tmp/r.json
//
// PER_KIND=1 adds `perKind`: the CPU summed by kind of process (grader, compiler child, vitest
// worker, sandbox child, …, read from each command line), which is how docs/benchmarks.md splits
// what a student costs. PER_PROCESS=1 adds every process's own.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const args = process.argv.slice(process.argv.indexOf('--') + 1);
const ticks = 100; // USER_HZ on Linux
const child = spawn(args[0], args.slice(1), { stdio: 'ignore' });
const seen = new Map(); // pid → { ppid, cpu }
const tree = new Set([child.pid]);

function poll() {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat;
    try { stat = readFileSync(`/proc/${d}/stat`, 'utf8'); } catch { continue; }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(d);
    const ppid = Number(f[1]);
    if (tree.has(ppid)) tree.add(pid);
    if (!tree.has(pid)) continue;
    seen.set(pid, (Number(f[11]) + Number(f[12])) / ticks);
    if (byKind) kinds.set(pid, kindOf(pid) ?? kinds.get(pid) ?? 'unknown'); // the last command line it ran
  }
}
// PER_KIND=1: the CPU summed by kind of process (what its command line runs), for finding where it goes
const byKind = Boolean(process.env.PER_KIND);
const kinds = new Map(); // pid → kind
const KINDS = [['compile-child', 'compiler child'], ['child.mjs', 'sandbox child'], ['bwrap', 'bubblewrap'], ['prlimit', 'prlimit'], ['vitest', 'vitest worker']];
function kindOf(pid) {
  let cmd = '';
  try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(); } catch { return undefined; }
  if (pid === child.pid) return 'grader';
  if (!cmd) return undefined;
  return KINDS.find(([needle]) => cmd.includes(needle))?.[1] ?? cmd.slice(0, 80);
}
const timer = setInterval(poll, 10);
const started = process.hrtime.bigint();
child.on('exit', (code) => {
  clearInterval(timer);
  const cpu = [...seen.values()].reduce((a, b) => a + b, 0);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ cpu: Number(cpu.toFixed(2)), wall: Number(wall.toFixed(2)), processes: seen.size, code, ...(process.env.PER_PROCESS ? { perProcess: Object.fromEntries(seen) } : {}), ...(byKind ? { perKind: perKind() } : {}) }));
});

function perKind() {
  const out = {};
  for (const [pid, cpu] of seen) {
    const k = kinds.get(pid) ?? 'unknown';
    out[k] = Number(((out[k] ?? 0) + cpu).toFixed(2));
  }
  return out;
}
