#!/usr/bin/env node
// CPU seconds (user + system) of a command and every process it starts, however they end:
// `time` counts only children that are waited for, and the grader's vitest workers and sandbox
// children are killed, not waited for. Polls /proc every 10 ms and keeps each process's last
// utime + stime; a process that lives less than one poll is missed (a few ms at most).
//
//   node bench/tree-cpu.mjs -- node bin/gradlab.mjs grade solutions -e 07-training -f json -o /tmp/r.json
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
    if (tree.has(pid)) seen.set(pid, (Number(f[11]) + Number(f[12])) / ticks);
  }
}
const timer = setInterval(poll, 10);
const started = process.hrtime.bigint();
child.on('exit', (code) => {
  clearInterval(timer);
  const cpu = [...seen.values()].reduce((a, b) => a + b, 0);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ cpu: Number(cpu.toFixed(2)), wall: Number(wall.toFixed(2)), processes: seen.size, code, ...(process.env.PER_PROCESS ? { perProcess: Object.fromEntries(seen) } : {}) }));
});
