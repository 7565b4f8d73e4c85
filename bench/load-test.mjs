#!/usr/bin/env node
// `npm run load-test`: grades the reference solutions while two busy loops keep both cores of a
// 2-core machine occupied, --runs times (default 3), and prints each score and wall time as a
// Markdown table for docs/benchmarks.md ("Load test"). Every run must print 100/100: the sandbox's
// limits count the CPU time student code uses, not the wall time a busy machine stretches.
//
// The busy loops are this script's own children and are killed in every case (normal end, an
// error, Ctrl-C); `--loops N` changes their number (default 2). `node bench/load-test.mjs -- CMD …`
// runs CMD beside the busy loops instead (e.g. `-- npm test`) and exits with its exit code.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('--runs', 3);
const loopCount = arg('--loops', 2);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-load-'));

const loops = [];
function stopLoops() {
  for (const p of loops.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}
process.on('exit', () => { stopLoops(); rmSync(tmp, { recursive: true, force: true }); });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const dashes = process.argv.indexOf('--');
// each loop also ends by itself after 20 minutes, so none can outlive a script that was SIGKILLed
const busy = `const end = Date.now() + 20 * 60e3; while (Date.now() < end) {}`;
for (let i = 0; i < loopCount; i++) loops.push(spawn(process.execPath, ['-e', busy], { stdio: 'ignore' }));
if (dashes > 0) {
  const [cmd, ...args] = process.argv.slice(dashes + 1);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  process.exit(res.status ?? 1);
}

execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
const rows = [];
try {
  for (let r = 1; r <= runs; r++) {
    const out = path.join(tmp, `run${r}.json`);
    const t0 = process.hrtime.bigint();
    const res = spawnSync(process.execPath, [path.join(root, 'bin', 'gradlab.mjs'), 'grade', 'solutions', '--format', 'json', '--out', out], { cwd: root, encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const notPassed = report.tests.filter((t) => t.status !== 'passed').map((t) => `${t.id}: ${t.status} ${t.message}`);
    rows.push({ run: r, score: report.score, max: report.maxScore, wall, exit: res.status, load: os.loadavg()[0], notPassed });
    console.error(`run ${r}: ${report.score}/${report.maxScore} in ${wall.toFixed(1)} s (load ${os.loadavg()[0].toFixed(1)})`);
  }
} finally {
  stopLoops();
}

console.log(`| run | score | wall (s) | exit code | 1-min load average after |`);
console.log(`|---:|---:|---:|---:|---:|`);
for (const r of rows) console.log(`| ${r.run} | ${r.score}/${r.max} | ${r.wall.toFixed(1)} | ${r.exit} | ${r.load.toFixed(1)} |`);
for (const r of rows) for (const line of r.notPassed) console.log(`- run ${r.run}: ${line}`);
process.exitCode = rows.every((r) => r.score === r.max && r.exit === 0) ? 0 : 1;
