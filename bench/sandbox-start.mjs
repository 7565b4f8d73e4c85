#!/usr/bin/env node
// What bubblewrap costs at spawn: starting a sandbox child and its first call, under today's
// wrappers (prlimit + bwrap) and under the ones before it (unshare -rn + prlimit), in ONE run,
// alternating, so the machine's load is the same for both and only the ratio is read.
//
//   node bench/sandbox-start.mjs [rounds=10]
//
// Each path runs in its own process (the wrappers are chosen once per process, from PATH): the
// old path sees a PATH without bwrap. Per sandbox: wall time from `new Sandbox` to the first
// call's answer, and the CPU time of the child's whole process tree over the same span.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const root = path.dirname(path.dirname(here));

if (process.argv[2] === '--one') {
  const { Sandbox } = await import(path.join(root, 'dist/grader/sandbox/client.js'));
  const { confinement } = await import(path.join(root, 'dist/grader/sandbox/confine.js'));
  confinement(); // probed once per process, as in a grading worker: not part of a spawn
  const t = process.hrtime.bigint();
  const sb = new Sandbox({ code: 'export function f(x) { return 2 * x; }', label: 'bench.ts' });
  if ((await sb.call('f', 21)) !== 42) throw new Error('wrong answer');
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  process.stdout.write(JSON.stringify({ wallMs, cpuMs: sb.cpuMs, engine: confinement().layers[0].inForce }));
  sb.close();
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? 10);
const noBwrap = mkdtempSync(path.join(os.tmpdir(), 'gradlab-bench-path-'));
for (const tool of ['unshare', 'prlimit']) symlinkSync(`/usr/bin/${tool}`, path.join(noBwrap, tool));
const paths = { 'unshare -rn + prlimit (before)': noBwrap, 'prlimit + bwrap (now)': process.env.PATH };
const got = Object.fromEntries(Object.keys(paths).map((k) => [k, []]));
for (let i = 0; i < rounds; i++) {
  for (const [name, PATH] of Object.entries(paths)) {
    const r = spawnSync(process.execPath, [here, '--one'], { env: { ...process.env, PATH }, encoding: 'utf8' });
    got[name].push(JSON.parse(r.stdout));
  }
}
rmSync(noBwrap, { recursive: true, force: true });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const rows = Object.entries(got).map(([name, runs]) => ({ name, wall: median(runs.map((r) => r.wallMs)), cpu: median(runs.map((r) => r.cpuMs)), engine: runs[0].engine }));
const [before, now] = rows;
for (const r of rows) console.log(`${r.name}${r.engine ? ' [engine in force]' : ''}: spawn + first call ${r.wall.toFixed(0)} ms wall, ${r.cpu.toFixed(0)} ms CPU (median of ${rounds})`);
console.log(`ratio now / before: ${(now.wall / before.wall).toFixed(2)}× wall, ${(now.cpu / before.cpu).toFixed(2)}× CPU; load average ${os.loadavg()[0].toFixed(1)}`);
