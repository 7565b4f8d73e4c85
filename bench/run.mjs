#!/usr/bin/env node
// `npm run bench`: whole-process wall time and peak memory of the grader, as ratios to a floor
// measured in the same run (this machine is shared and noisy: absolute seconds mean little).
//
//   floor      a bare `vitest run` of one trivial test file
//   grade      `gradlab grade solutions --format json` (the README's main job)
//   stubs      `gradlab grade exercises` (every call throws NotImplementedError)
//   class×N    N copies of the solutions graded by one runner call (one vitest run), per submission
//
// Each figure is the median of --runs runs (default 5). Prints a Markdown table for docs/benchmarks.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const classSize = Number(process.argv[process.argv.indexOf('--class') + 1]) || 10;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-bench-'));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall seconds and peak RSS (MiB) of a command, via GNU time. */
function measure(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { cwd: opts.cwd ?? root, encoding: 'utf8', env: { ...process.env, ...opts.env } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-500)}`);
  const kb = Number(r.stderr.trim().split('\n').pop());
  return { wall, rssMiB: kb / 1024 };
}

function series(label, cmd, args, opts) {
  const xs = [];
  for (let i = 0; i < runs; i++) xs.push(measure(cmd, args, opts));
  return { label, wall: median(xs.map((x) => x.wall)), rssMiB: median(xs.map((x) => x.rssMiB)) };
}

// the floor: one trivial test, bare vitest, no config
const floorDir = path.join(tmp, 'floor');
cpSync(path.join(root, 'bench', 'trivial.test.mjs'), path.join(floorDir, 'trivial.test.mjs'));
writeFileSync(path.join(floorDir, 'package.json'), '{"type":"module"}\n');
const vitestBin = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const gradlab = path.join(root, 'bin', 'gradlab.mjs');

execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
const rows = [];
rows.push(series('floor: bare `vitest run`, one trivial test', process.execPath, [vitestBin, 'run', '--root', floorDir], { allowFail: false }));
rows.push(series('`gradlab grade solutions` (json)', process.execPath, [gradlab, 'grade', 'solutions', '--format', 'json', '--out', path.join(tmp, 'r.json')]));
rows.push(series('`gradlab grade exercises` (stubs)', process.execPath, [gradlab, 'grade', 'exercises', '--format', 'json', '--out', path.join(tmp, 's.json')]));

// a class in one vitest run, through the runner's API (the next step's class grading)
const subs = [];
for (let i = 0; i < classSize; i++) {
  const d = path.join(tmp, `student${i}`);
  cpSync(path.join(root, 'solutions'), d, { recursive: true, dereference: true });
  subs.push(d);
}
const classScript = path.join(tmp, 'class.mjs');
writeFileSync(classScript, `import { gradeSubmissions } from ${JSON.stringify(pathToFileURL(path.join(root, 'dist', 'grader', 'runner.js')).href)};
const reports = await gradeSubmissions(${JSON.stringify(subs)});
if (reports.some((r) => r.score !== r.maxScore)) { console.error('not every copy scored full marks'); process.exit(1); }\n`);
const cls = series(`class of ${classSize} in one run`, process.execPath, [classScript]);
rows.push(cls);
rmSync(tmp, { recursive: true, force: true });

const floor = rows[0];
const lines = [
  `| what (median of ${runs} runs) | wall / floor | peak RSS / floor |`,
  '|---|---:|---:|',
  ...rows.map((r) => `| ${r.label} | ${(r.wall / floor.wall).toFixed(2)}× | ${(r.rssMiB / floor.rssMiB).toFixed(2)}× |`),
  `| class of ${classSize}, per submission | ${(cls.wall / classSize / floor.wall).toFixed(2)}× | — |`,
  '',
  `Floor in this run: ${floor.wall.toFixed(2)} s wall, ${floor.rssMiB.toFixed(0)} MiB peak RSS (node ${process.versions.node}, ${os.cpus().length} cores).`,
];
console.log(lines.join('\n'));
