#!/usr/bin/env node
// `node bench/class.mjs [--class 20] [--runs 3]`: what grading a class costs per student, in wall
// and CPU time (user + system, the grader and every process it starts), against two floors
// measured in the same run:
//
//   vitest floor    a bare `vitest run` of one trivial test file (what any vitest-based grader pays)
//   compute floor   the reference solutions' own compute for exactly the calls grading makes, in one
//                   process, no sandbox, no vitest, in CPU time: the calls are recorded while the class is graded
//                   (GRADLAB_RECORD_CALLS, see grader/suites/harness.ts) and replayed here on the
//                   compiled reference modules, timing only the calls. No grader can beat it.
//
// Measured: one submission (`gradlab grade`), a class of identical copies of the solutions, and a
// class whose 03 weights differ per student in the last bits (see makeClass), all `--force`.
// Each figure is the median of --runs runs. Prints a Markdown table for docs/benchmarks.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deserialize } from 'node:v8';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;
const runs = arg('--runs', 3);
const classSize = arg('--class', 20);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-bench-class-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Wall seconds and CPU seconds (user + system) of a command and of every process it starts, through
 * bench/tree-cpu.mjs: GNU time misses the vitest workers and sandbox children, which are killed.
 */
function measure(cmd, args, env = {}) {
  const r = spawnSync(process.execPath, [path.join(root, 'bench', 'tree-cpu.mjs'), '--', cmd, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, ...env } });
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  if (r.status !== 0 || out.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${out.code}): ${r.stderr.slice(-800)}`);
  return { wall: out.wall, cpu: out.cpu };
}

function series(cmd, args, env) {
  const xs = Array.from({ length: runs }, () => measure(cmd, args, env));
  return { wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) };
}

execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
const floorDir = path.join(tmp, 'floor');
cpSync(path.join(root, 'bench', 'trivial.test.mjs'), path.join(floorDir, 'trivial.test.mjs'));
writeFileSync(path.join(floorDir, 'package.json'), '{"type":"module"}\n');
const floor = series(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', floorDir]);

const gradlab = path.join(root, 'bin', 'gradlab.mjs');
const single = series(process.execPath, [gradlab, 'grade', path.join(root, 'solutions'), '--format', 'json', '--out', path.join(tmp, 'single.json')]);

/**
 * A class of copies of the solutions. With `distinct`, student i's 03 weights are drawn with the
 * standard deviation times (1 + i·ε): still correct, but every student's networks differ in the
 * last bits, so what a worker measured on one student's networks (03's deep experiments) is never
 * reused for another, as in a class whose students wrote the formula in different ways.
 */
function makeClass(name, distinct) {
  const dir = path.join(tmp, name);
  for (let i = 0; i < classSize; i++) {
    const student = path.join(dir, `student${String(i).padStart(2, '0')}`);
    cpSync(path.join(root, 'solutions'), student, { recursive: true, dereference: true });
    if (!distinct) continue;
    const init = path.join(student, '03-initialization', 'init.ts');
    const text = readFileSync(init, 'utf8');
    if (!text.includes('std * rng.normal()')) throw new Error('solutions/03-initialization/init.ts no longer draws `std * rng.normal()`: update bench/class.mjs');
    writeFileSync(init, text.replace('std * rng.normal()', `std * (1 + ${i + 1} * Number.EPSILON) * rng.normal()`));
  }
  return dir;
}

function gradeClass(dir, results) {
  const run = series(process.execPath, [gradlab, 'class', dir, '--results', results, '--force']);
  const gradebook = readFileSync(path.join(results, 'gradebook.csv'), 'utf8').trim().split('\n').slice(1);
  if (gradebook.length !== classSize || gradebook.some((row) => !/^student\d+,graded,100,100,/.test(row))) throw new Error(`not every copy scored 100/100:\n${gradebook.join('\n')}`);
  return run;
}

const cls = makeClass('class', false);
const graded = gradeClass(cls, path.join(tmp, 'results'));
const distinct = gradeClass(makeClass('distinct', true), path.join(tmp, 'results-distinct'));

// one more graded run, recording the calls, then their replay on the reference solutions
const calls = path.join(tmp, 'calls');
mkdirSync(calls);
measure(process.execPath, [gradlab, 'class', cls, '--results', path.join(tmp, 'recorded'), '--force'], { GRADLAB_RECORD_CALLS: calls });
const { compileExercise } = await import(pathToFileURL(path.join(root, 'dist', 'grader', 'sandbox', 'compile.js')).href);
const { loadManifest } = await import(pathToFileURL(path.join(root, 'dist', 'grader', 'manifest.js')).href);
const modules = new Map();
for (const ex of loadManifest().exercises) {
  const c = await compileExercise(path.join(root, 'solutions'), ex.folder, ex.file);
  if (!c.ok) throw new Error(`the reference ${ex.slug} did not compile: ${c.message}`);
  const file = path.join(tmp, `${ex.slug}.mjs`);
  writeFileSync(file, c.code);
  modules.set(ex.slug, await import(pathToFileURL(file).href));
}

/** The child's own handling (grader/sandbox/child.mjs): seeded Rngs and cache handles in, caches kept out. */
function replay(mod, records) {
  const handles = new Map();
  let next = 1;
  const resolve = (v) => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      if ('__gradlabRng' in v) return mod.__gradlabCreateRng(v.__gradlabRng);
      if ('__gradlabHandle' in v) return handles.get(v.__gradlabHandle);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  let spent = 0; // CPU µs (user + system) of the calls alone: what a busy machine does not change
  for (const { fn, args } of records) {
    const real = resolve(args);
    const t0 = process.cpuUsage();
    const value = mod[fn](...real);
    const dt = process.cpuUsage(t0);
    spent += dt.user + dt.system;
    if (value && typeof value === 'object' && !Array.isArray(value) && 'cache' in value) handles.set(next++, value.cache);
  }
  return spent / 1e6;
}

const recorded = readdirSync(calls).map((f) => ({ slug: f.replace(/^\d+-|\.v8$/g, ''), records: deserialize(readFileSync(path.join(calls, f))) }));
const computeRuns = Array.from({ length: runs }, () => recorded.reduce((a, r) => a + replay(modules.get(r.slug), r.records), 0));
const compute = median(computeRuns) / classSize; // CPU seconds of one student's graded calls
const callCount = recorded.reduce((a, r) => a + r.records.length, 0) / classSize;
rmSync(tmp, { recursive: true, force: true });

const f2 = (x) => x.toFixed(2);
const perStudent = (label, run) => [
  `| ${label}, per student — wall | ${f2(run.wall / classSize)} | ${f2(run.wall / classSize / floor.wall)}× | ${f2(run.wall / classSize / compute)}× |`,
  `| ${label}, per student — CPU | ${f2(run.cpu / classSize)} | ${f2(run.cpu / classSize / floor.cpu)}× | ${f2(run.cpu / classSize / compute)}× |`,
];
console.log([
  `| class of ${classSize} correct submissions (median of ${runs} runs) | seconds | / vitest floor | / compute floor |`,
  '|---|---:|---:|---:|',
  `| vitest floor: bare \`vitest run\`, one trivial test — wall | ${f2(floor.wall)} | 1.00× | — |`,
  `| vitest floor — CPU | ${f2(floor.cpu)} | 1.00× | — |`,
  `| compute floor: the reference's graded calls, one student, one process, CPU (${Math.round(callCount)} calls) | ${f2(compute)} | ${f2(compute / floor.cpu)}× | 1.00× |`,
  `| one submission, \`gradlab grade\` — wall | ${f2(single.wall)} | ${f2(single.wall / floor.wall)}× | ${f2(single.wall / compute)}× |`,
  `| one submission — CPU | ${f2(single.cpu)} | ${f2(single.cpu / floor.cpu)}× | ${f2(single.cpu / compute)}× |`,
  `| \`gradlab class\`, identical copies, whole class — wall | ${f2(graded.wall)} | ${f2(graded.wall / floor.wall)}× | — |`,
  ...perStudent('identical copies', graded),
  ...perStudent('03 weights distinct per student', distinct),
  '',
  `node ${process.versions.node}, ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end.`,
].join('\n'));
