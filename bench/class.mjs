#!/usr/bin/env node
// `node bench/class.mjs [--class 20] [--runs 3] [--baseline DIR] [--no-distinct]`: what grading a class costs per
// student, in wall and CPU time (user + system, the grader and every process it starts), against two
// floors measured in the same run:
//
//   vitest floor    a bare `vitest run` of one trivial test file (what any vitest-based grader pays)
//   compute floor   the reference solutions' own compute for exactly the calls grading makes, in one
//                   process, no sandbox, no vitest, in CPU time: the calls are recorded while the class is graded
//                   (GRADLAB_RECORD_CALLS, see grader/suites/harness.ts) and replayed here on the
//                   compiled reference modules, timing only the calls. No grader can beat it.
//   cold floor      the same calls of one student, each exercise's replayed once in a fresh process
//                   (bench/replay.mjs: Node's start, the module's import, the calls cold), as the
//                   grader runs each exercise in a process of its own: no grader that keeps one process
//                   per exercise can beat it. Two more rows bound the designs this one set aside:
//                   the same calls in ONE fresh process (one process per student), and on a fresh
//                   copy of each module in this long-running process (new code, warm process: what
//                   a process shared by a whole class would pay for a student).
//   two bounds on one submission's wall (bench/skeleton.mjs): the calls alone, run cold and
//                   confined from one bare vitest test, and the grader with its verdicts taken out
//                   (each hidden suite replaced by one confined replay of its calls).
//
// Measured: one submission (`gradlab grade`), a class of identical copies of the solutions, and a
// class whose 03 weights differ per student in the last bits (see makeClass; --no-distinct skips
// it, for a machine too busy to wait), all `--force`.
// Each figure is the median of --runs runs (the compute floor: of at least 7 replays). Prints a Markdown table for docs/benchmarks.md.
//
// --baseline DIR measures another checkout too (built, with its node_modules: for example
// `git archive <commit> | tar -x -C DIR && (cd DIR && npm ci)`), interleaved with this one run by
// run (A B, then B A, …) so that the load of a shared machine falls on both alike, and adds the
// ratio after / before. Each tree's compute floor is its own: a change to what grading calls
// changes it.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deserialize } from 'node:v8';
import { replay } from './replay.mjs';
import { prepareSkeletons } from './skeleton.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => Number(process.argv[process.argv.indexOf(name) + 1]) || dflt;
const runs = arg('--runs', 3);
const classSize = arg('--class', 20);
const withDistinct = !process.argv.includes('--no-distinct');
const baseline = process.argv.includes('--baseline') ? path.resolve(process.argv[process.argv.indexOf('--baseline') + 1] ?? '') : null;
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
  // every sample as it comes (stderr): a long run on a busy machine leaves something if stopped
  console.error(`${new Date().toISOString()} ${args.slice(0, 3).join(' ')}: ${out.cpu} s CPU, ${out.wall} s wall`);
  return { wall: out.wall, cpu: out.cpu };
}

const trees = (baseline ? [{ name: 'before', root: baseline }, { name: 'after', root }] : [{ name: 'this tree', root }])
  .map((t, k) => ({ ...t, dir: path.join(tmp, `tree${k}`), samples: { single: [], graded: [], distinct: [] } }));
for (const t of trees) {
  if (!existsSync(path.join(t.root, 'node_modules', 'vitest'))) throw new Error(`${t.root} has no node_modules: run npm ci there first`);
  execFileSync('npm', ['run', 'build'], { cwd: t.root, stdio: 'ignore' });
  mkdirSync(t.dir);
}
const floorDir = path.join(tmp, 'floor');
cpSync(path.join(root, 'bench', 'trivial.test.mjs'), path.join(floorDir, 'trivial.test.mjs'));
writeFileSync(path.join(floorDir, 'package.json'), '{"type":"module"}\n');
const floorSamples = [];

/**
 * A class of copies of a tree's solutions. With `distinct`, student i's 03 weights are drawn with the
 * standard deviation times (1 + i·ε): still correct, but every student's networks differ in the
 * last bits, so what a worker measured on one student's networks (03's deep experiments) is never
 * reused for another, as in a class whose students wrote the formula in different ways.
 */
function makeClass(t, name, distinct) {
  const dir = path.join(t.dir, name);
  for (let i = 0; i < classSize; i++) {
    const student = path.join(dir, `student${String(i).padStart(2, '0')}`);
    cpSync(path.join(t.root, 'solutions'), student, { recursive: true, dereference: true });
    if (!distinct) continue;
    const init = path.join(student, '03-initialization', 'init.ts');
    const text = readFileSync(init, 'utf8');
    if (!text.includes('std * rng.normal()')) throw new Error('solutions/03-initialization/init.ts no longer draws `std * rng.normal()`: update bench/class.mjs');
    writeFileSync(init, text.replace('std * rng.normal()', `std * (1 + ${i + 1} * Number.EPSILON) * rng.normal()`));
  }
  return dir;
}

function gradeClass(t, dir, results) {
  const run = measure(process.execPath, [path.join(t.root, 'bin', 'gradlab.mjs'), 'class', dir, '--results', results, '--force']);
  const gradebook = readFileSync(path.join(results, 'gradebook.csv'), 'utf8').trim().split('\n').slice(1);
  if (gradebook.length !== classSize || gradebook.some((row) => !/^student\d+,graded,100,100,/.test(row))) throw new Error(`not every copy scored 100/100:\n${gradebook.join('\n')}`);
  return run;
}

for (const t of trees) {
  t.cls = makeClass(t, 'class', false);
  if (withDistinct) t.distinctCls = makeClass(t, 'distinct', true);
}
// run by run, job by job, each tree in turn (the order reversed every run): the floor and both trees
// see the same load
for (let r = 0; r < runs; r++) {
  const order = r % 2 === 0 ? trees : [...trees].reverse();
  floorSamples.push(measure(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', floorDir]));
  for (const t of order) t.samples.single.push(measure(process.execPath, [path.join(t.root, 'bin', 'gradlab.mjs'), 'grade', path.join(t.root, 'solutions'), '--format', 'json', '--out', path.join(t.dir, 'single.json')]));
  for (const t of order) t.samples.graded.push(gradeClass(t, t.cls, path.join(t.dir, 'results')));
  if (withDistinct) for (const t of order) t.samples.distinct.push(gradeClass(t, t.distinctCls, path.join(t.dir, 'results-distinct')));
}
const med = (xs) => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });

// per tree, one more graded run recording the calls, then their replay on that tree's reference solutions
for (const t of trees) {
  const calls = path.join(t.dir, 'calls');
  mkdirSync(calls);
  measure(process.execPath, [path.join(t.root, 'bin', 'gradlab.mjs'), 'class', t.cls, '--results', path.join(t.dir, 'recorded'), '--force'], { GRADLAB_RECORD_CALLS: calls });
  const { compileExercise } = await import(pathToFileURL(path.join(t.root, 'dist', 'grader', 'sandbox', 'compile.js')).href);
  const { loadManifest } = await import(pathToFileURL(path.join(t.root, 'dist', 'grader', 'manifest.js')).href);
  t.modules = new Map();
  for (const ex of loadManifest().exercises) {
    const c = await compileExercise(path.join(t.root, 'solutions'), ex.folder, ex.file);
    if (!c.ok) throw new Error(`the reference ${ex.slug} of ${t.root} did not compile: ${c.message}`);
    const file = path.join(t.dir, `${ex.slug}.mjs`);
    writeFileSync(file, c.code);
    t.modules.set(ex.slug, await import(pathToFileURL(file).href));
  }
  t.recorded = readdirSync(calls).flatMap((f) => {
    const m = /^(\d+)-(.+)\.v8$/.exec(f); // <student>-<slug>.v8
    return m ? [{ student: Number(m[1]), slug: m[2], file: path.join(calls, f), records: deserialize(readFileSync(path.join(calls, f))) }] : [];
  });
  t.computeRuns = [];
}
// the two lower bounds on one submission's wall (bench/skeleton.mjs), from student 0's recorded calls,
// interleaved run by run with the vitest floor and one submission, which take more samples here
for (const t of trees) {
  t.skeleton = await prepareSkeletons(t.root, path.join(t.dir, 'skeleton'), t.recorded.filter((x) => x.student === 0).map((x) => ({ slug: x.slug, module: path.join(t.dir, `${x.slug}.mjs`), calls: x.file })));
  t.samples.withoutVerdicts = [];
  t.samples.callsAlone = [];
  const out = path.join(t.dir, 'without-verdicts.json');
  const { args, env } = t.skeleton.withoutVerdicts(out);
  measure(process.execPath, args, env); // once, unmeasured: its cache of transformed suites
  t.skeleton.check(out);
}
for (let r = 0; r < Math.max(runs, 5); r++) {
  floorSamples.push(measure(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', floorDir]));
  for (const t of r % 2 === 0 ? trees : [...trees].reverse()) {
    const out = path.join(t.dir, 'without-verdicts.json');
    const run = (job) => measure(process.execPath, job.args, job.env);
    t.samples.withoutVerdicts.push(run(t.skeleton.withoutVerdicts(out)));
    t.skeleton.check(out);
    t.samples.callsAlone.push(run(t.skeleton.callsAlone()));
    t.samples.single.push(measure(process.execPath, [path.join(t.root, 'bin', 'gradlab.mjs'), 'grade', path.join(t.root, 'solutions'), '--format', 'json', '--out', path.join(t.dir, 'single.json')]));
  }
}
const floor = med(floorSamples);

// at least 7 replays per tree, interleaved: with 3, two trees replaying the same 2,054 calls on
// the same reference read 0.59 and 0.47 s a student (docs/benchmarks.md); a replay costs seconds
const replays = Math.max(runs, 7);
for (let r = 0; r < replays; r++) for (const t of r % 2 === 0 ? trees : [...trees].reverse()) t.computeRuns.push(t.recorded.reduce((a, rec) => a + replay(t.modules.get(rec.slug), rec.records), 0));
// one student's recorded calls, each exercise's once, in manifest order
const inOrder = (t) => t.recorded.filter((x) => x.student === 0).sort((a, b) => a.slug.localeCompare(b.slug));
/** CPU seconds of a fresh process replaying `recs` one after another (bench/replay.mjs): Node's start, the imports, the calls once. */
function replayFresh(t, recs) {
  const out = spawnSync(process.execPath, [path.join(root, 'bench', 'replay.mjs'), ...recs.flatMap((rec) => [path.join(t.dir, `${rec.slug}.mjs`), rec.file])], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`replaying ${recs.map((rec) => rec.slug).join(', ')} in a fresh process failed: ${out.stderr}`);
  const { startMs, importMs, callsMs } = JSON.parse(out.stdout);
  return (startMs + importMs + callsMs) / 1000;
}
// the same calls of one student, cold: each exercise's in a fresh process, as each exercise is
// graded (what one process per exercise cannot go below), and all seven in ONE fresh process (what
// one process per student, the design the fourth turn measured and set aside, could not go below)
const coldRuns = Math.max(runs, 3);
for (let r = 0; r < coldRuns; r++) {
  for (const t of r % 2 === 0 ? trees : [...trees].reverse()) {
    (t.coldRuns ??= []).push(inOrder(t).reduce((sum, rec) => sum + replayFresh(t, [rec]), 0));
    (t.oneProcessRuns ??= []).push(replayFresh(t, inOrder(t)));
  }
}
// and in this process, long warm, on new code: each module's text with a comment added (another
// student's copy of the same solution, so V8 compiles and warms it up anew), imported and its
// calls replayed once. A process shared by a whole class could not go below this for a student:
// its code is new code however warm the process is
for (let r = 0; r < coldRuns; r++) {
  for (const t of r % 2 === 0 ? trees : [...trees].reverse()) {
    let spent = 0;
    for (const rec of inOrder(t)) {
      const file = path.join(t.dir, `${rec.slug}.copy${r}.mjs`);
      writeFileSync(file, `${readFileSync(path.join(t.dir, `${rec.slug}.mjs`), 'utf8')}\n// another student's copy, ${r}\n`);
      const before = process.cpuUsage();
      const mod = await import(pathToFileURL(file).href);
      const imported = process.cpuUsage(before);
      spent += (imported.user + imported.system) / 1e6 + replay(mod, rec.records);
    }
    (t.newCodeRuns ??= []).push(spent);
  }
}
for (const t of trees) {
  t.cold = median(t.coldRuns);
  t.oneProcess = median(t.oneProcessRuns);
  t.newCode = median(t.newCodeRuns);
  t.compute = median(t.computeRuns) / classSize; // CPU seconds of one student's graded calls
  t.callCount = t.recorded.reduce((a, r) => a + r.records.length, 0) / classSize;
  t.single = med(t.samples.single);
  t.withoutVerdicts = med(t.samples.withoutVerdicts);
  t.callsAlone = med(t.samples.callsAlone);
  t.graded = med(t.samples.graded);
  t.distinct = withDistinct ? med(t.samples.distinct) : null;
}
rmSync(tmp, { recursive: true, force: true });

const f2 = (x) => x.toFixed(2);
const x2 = (x) => `${x.toFixed(2)}×`;
/** One row: per tree the seconds and their ratio to each floor (a dash where a floor does not apply), then after / before. */
const row = (label, value, floorOf, computeOf) => `| ${label} | ${trees.map((t) => {
  const v = value(t);
  return `${f2(v)} | ${floorOf ? x2(v / floorOf) : '—'} | ${computeOf ? x2(v / computeOf(t)) : '—'}`;
}).join(' | ')}${trees.length === 2 ? ` | ${x2(value(trees[1]) / value(trees[0]))}` : ''} |`;
const perStudent = (run) => (t) => t[run].cpu / classSize;
const perStudentWall = (run) => (t) => t[run].wall / classSize;
console.log([
  `| class of ${classSize} correct submissions (median of ${runs} runs${trees.length === 2 ? ', interleaved' : ''}) | ${trees.map((t) => `${t.name} (s) | / vitest floor | / compute floor`).join(' | ')}${trees.length === 2 ? ' | after / before' : ''} |`,
  `|---|${trees.map(() => '---:|---:|---:').join('|')}|${trees.length === 2 ? '---:|' : ''}`,
  row('vitest floor: bare `vitest run`, one trivial test — wall', () => floor.wall, floor.wall, null),
  row('vitest floor — CPU', () => floor.cpu, floor.cpu, null),
  row(`compute floor: the reference's graded calls, one student, one process, CPU (median of ${replays} replays; ${trees.map((t) => Math.round(t.callCount)).join(' / ')} calls)`, (t) => t.compute, floor.cpu, (t) => t.compute),
  row('cold floor: the same calls, each exercise\'s in a fresh process (Node\'s start, the module\'s import, the calls once), CPU (median of ' + coldRuns + ')', (t) => t.cold, floor.cpu, (t) => t.compute),
  row('cold floor, one process per student: the same calls, all seven exercises in one fresh process, CPU (median of ' + coldRuns + ')', (t) => t.oneProcess, floor.cpu, (t) => t.compute),
  row('new code in a warm process: the same calls on a fresh copy of each module (text changed by a comment), imported in this long-running process, CPU (median of ' + coldRuns + ')', (t) => t.newCode, floor.cpu, (t) => t.compute),
  row('the calls alone, from vitest: a bare `vitest run` of one test starting the seven exercises\' replays at once, each confined as a sandbox child, no probe, no compiling (bench/skeleton.mjs) — wall', (t) => t.callsAlone.wall, floor.wall, null),
  row('the grader without its verdicts: `gradlab grade` with each hidden suite replaced by one confined replay of its calls (bench/skeleton.mjs) — wall', (t) => t.withoutVerdicts.wall, floor.wall, null),
  row('the grader without its verdicts — CPU', (t) => t.withoutVerdicts.cpu, floor.cpu, (t) => t.compute),
  row('one submission, `gradlab grade` — wall', (t) => t.single.wall, floor.wall, null),
  row('one submission — CPU', (t) => t.single.cpu, floor.cpu, (t) => t.compute),
  row('`gradlab class`, identical copies, whole class — wall', (t) => t.graded.wall, floor.wall, null),
  row('identical copies, per student — wall', perStudentWall('graded'), floor.wall, null),
  row('identical copies, per student — CPU', perStudent('graded'), floor.cpu, (t) => t.compute),
  ...(withDistinct ? [
    row('03 weights distinct per student, per student — wall', perStudentWall('distinct'), floor.wall, null),
    row('03 weights distinct per student, per student — CPU', perStudent('distinct'), floor.cpu, (t) => t.compute),
  ] : []),
  '',
  `node ${process.versions.node}, ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end.${baseline ? ` before: ${baseline}; after: ${root}.` : ''}`,
].join('\n'));
