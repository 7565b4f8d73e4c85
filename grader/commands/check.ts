/**
 * `gradlab check [exercise…] [--watch]`: runs the public tests beside each exercise against your
 * own files and shows your progress the way rustlings does: each failing test with its message,
 * a file that does not compile named as such, and the next step to take. Each test is bounded by
 * the CPU time grading allows one call (an infinite loop is stopped, not waited for). With
 * --watch it runs again whenever a file under exercises/ is saved. It is for you, not for grading:
 * your code runs in vitest's worker, as with `npx vitest run`. An exercise whose tests fail only
 * while a function it imports from another exercise fails there is shown as blocked by that
 * exercise (check/blocked.ts); with --exit-code it exits 1 only for an exercise that fails on its
 * own. With --points DIR (the Classroom workflow) it also writes one file per exercise, its
 * Classroom point and the lines `check <exercise>` prints for it, so that the workflow's points come
 * from this one run instead of one more run per exercise.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, watch as watchFiles, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { blockedWords, blockers, exerciseImports, passedAll, withDependencies, type Blocker } from '../check/blocked.js';
import { runPublicTests, type ExerciseOutcome, type PublicTest } from '../check/run-public.js';
import { CliError } from '../errors.js';
import { loadManifest, type ManifestExercise } from '../manifest.js';
import { interruptible, signalName } from '../temp-folders.js';

export function progressBar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${filled < width ? '>' : ''}${'-'.repeat(Math.max(0, width - filled - 1))}]`;
}

const NOT_IMPLEMENTED = /^(\w+) is not implemented yet: /;
const MAX_MESSAGE = 200;

/** The first line of an assertion message, short enough for a terminal. */
function firstLine(message = ''): string {
  const line = message.split('\n').find((l) => l.trim())?.trim() ?? '';
  return line.length > MAX_MESSAGE ? line.slice(0, MAX_MESSAGE - 1) + '…' : line;
}

const notStarted = (o: ExerciseOutcome): boolean => !o.problem && o.tests.length > 0 && o.tests.every((t) => t.state === 'failed' && NOT_IMPLEMENTED.test(t.message ?? ''));

/** The lines under an exercise: each failing test with its message, the unwritten functions once. */
function failureLines(tests: PublicTest[]): string[] {
  const lines: string[] = [];
  const unwritten = new Set<string>();
  let waiting = 0;
  for (const t of tests) {
    if (t.state !== 'failed') continue;
    const todo = NOT_IMPLEMENTED.exec(t.message ?? '');
    if (todo) { unwritten.add(todo[1]); waiting++; continue; }
    lines.push(`      ✗ ${t.name}: ${firstLine(t.message)}`);
  }
  if (waiting > 0) lines.push(`      · ${waiting} test${waiting === 1 ? '' : 's'} wait for what you have not written yet: ${[...unwritten].join(', ')}`);
  // the test that was stopped carries the problem's message and is named in the heading
  const notRun = tests.filter((t) => t.state === 'not-run' && !t.message).length;
  if (notRun > 0) lines.push(`      · ${notRun} test${notRun === 1 ? '' : 's'} after it did not run`);
  return lines;
}

export function renderProgress(outcomes: ExerciseOutcome[], blocked = new Map<string, Blocker>()): string {
  const lines: string[] = [];
  for (const o of outcomes) {
    const head = (mark: string, state: string) => `  ${mark} ${o.exercise.slug.padEnd(18)} ${state}`;
    const passed = o.tests.filter((t) => t.state === 'passed').length;
    const by = blocked.get(o.exercise.slug);
    if (passedAll(o)) lines.push(head('✓', `${passed}/${o.tests.length} public tests pass`));
    else if (by) {
      // its failing tests would point at code that may well be right: name the cause instead
      const failing = o.tests.length - passed;
      lines.push(head('⊘', blockedWords(by)), o.problem ? `      · until then: ${o.problem.message}` : `      · ${failing} of its ${o.tests.length} public tests fail until then`);
    }
    else if (notStarted(o)) lines.push(head('·', 'not started'));
    else if (o.problem?.kind === 'compile') lines.push(head('✗', `does not compile: ${o.problem.message}`));
    else if (o.problem?.kind === 'stopped') lines.push(head('✗', `${o.problem.message} (${passed}/${o.tests.length} passed before)`), ...failureLines(o.tests));
    else if (o.problem) lines.push(head('✗', o.problem.kind === 'load' ? `could not load: ${o.problem.message}` : o.problem.message), ...failureLines(o.tests));
    else lines.push(head('✗', `${passed}/${o.tests.length} public tests pass`), ...failureLines(o.tests));
  }
  const done = outcomes.filter(passedAll).length;
  lines.push('', `Progress: ${progressBar(done, outcomes.length)} ${done}/${outcomes.length}`);
  const next = outcomes.find((o) => !passedAll(o) && !blocked.has(o.exercise.slug));
  const cause = !next && outcomes.map((o) => blocked.get(o.exercise.slug)).find(Boolean);
  if (cause) lines.push(`Next exercise: ${cause.slug}, where ${cause.functions.join(', ')} fail${cause.functions.length === 1 ? 's' : ''} its own tests: \`npx vitest run exercises/${cause.slug}\`; stuck? \`npm run hint -- ${cause.slug}\`.`);
  else if (!next) lines.push('Every public test passes. The hidden suites check more: push your work to be graded.');
  else if (next.problem?.kind === 'compile') lines.push(`Next: fix the syntax error in ${next.problem.message.split(': ')[0]}, then run \`npm run check\` again.`);
  else lines.push(`Next exercise: ${next.exercise.slug}. Read exercises/${next.exercise.folder}/README.md; stuck? \`npm run hint -- ${next.exercise.slug}\`.`);
  return lines.join('\n');
}

const USAGE = `Usage: gradlab check [exercise…] [--watch] [--exit-code] [--points DIR]

Runs the public tests of your exercises (all, or the ones named) against your files in
exercises/ and shows what passes, each failing test with its message, and what to do next.
An exercise whose tests fail only while a function it imports from another exercise fails
that exercise's own tests is shown as blocked by it.
  -w, --watch   run again whenever a file under exercises/ is saved (Ctrl-C to stop)
  --exit-code   exit 1 if a named exercise fails on its own (not when it is blocked)
  --points DIR  also write DIR/<exercise>: a first line 1 (it passes, or is blocked) or 0 (it
                fails on its own), then what \`check <exercise>\` prints (the Classroom workflow)
`;

/**
 * Runs the public tests of `exercises` and of the exercises they import (the verdict on an
 * exercise needs theirs), prints the progress of `exercises`, and says whether one of them
 * fails on its own.
 */
export async function checkOnce(root: string, exercises: ManifestExercise[], pointsDir?: string): Promise<{ charged: string[] }> {
  const all = loadManifest().exercises;
  const imports = new Map(all.map((e) => [e.slug, exerciseImports(root, e, all)]));
  const needed = withDependencies(exercises.map((e) => e.slug), imports);
  // a run that dies before writing leaves no point behind, not an older run's
  for (const e of exercises) if (pointsDir) rmSync(path.join(pointsDir, e.slug), { force: true });
  const outcomes = await interruptible(
    (signal) => `gradlab: the public tests were interrupted (${signalName(signal)}); nothing was recorded (check only reads your files) and their temporary folders are removed: run it again to see your progress.`,
    () => runPublicTests(root, all.filter((e) => needed.has(e.slug))));
  const blocked = blockers(outcomes, imports);
  const shown = outcomes.filter((o) => exercises.some((e) => e.slug === o.exercise.slug));
  process.stdout.write(renderProgress(shown, blocked) + '\n');
  const charged = shown.filter((o) => !passedAll(o) && !blocked.has(o.exercise.slug)).map((o) => o.exercise.slug);
  if (pointsDir) writePoints(pointsDir, shown, blocked, charged);
  return { charged };
}

/**
 * One file per exercise: its point, then what `check <exercise>` prints. The same verdict and
 * lines as that run: its blockers come from the same outcomes (it runs the exercise and what the
 * exercise imports, and every test file runs in a worker of its own), and its progress is this
 * exercise's alone.
 */
function writePoints(dir: string, shown: ExerciseOutcome[], blocked: Map<string, Blocker>, charged: string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const o of shown) {
    const point = charged.includes(o.exercise.slug) ? 0 : 1;
    writeFileSync(path.join(dir, o.exercise.slug), `${point}\n${renderProgress([o], blocked)}\n`);
  }
}

/** Size and modification time of every file under `dir`, by path relative to it. */
function snapshot(dir: string, base = dir, into = new Map<string, string>()): Map<string, string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) snapshot(p, base, into);
    else if (d.isFile()) {
      const st = statSync(p);
      into.set(path.relative(base, p), `${st.size}:${st.mtimeMs}`);
    }
  }
  return into;
}

/**
 * Runs again after each save. A watcher event only prompts a look: the run starts when a file's
 * size or time differs from the last run's snapshot (Node 20's recursive watcher on Linux reports
 * one save several times, some seconds late), and a save during a run queues one more.
 */
async function watch(root: string, exercises: ManifestExercise[]): Promise<void> {
  const dir = path.join(root, 'exercises');
  let last = snapshot(dir);
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  const look = () => {
    if (running) return;
    const now = snapshot(dir);
    const changed = [...now.keys()].filter((f) => now.get(f) !== last.get(f)).concat([...last.keys()].filter((f) => !now.has(f)));
    if (changed.length === 0) return;
    last = now;
    running = (async () => {
      process.stdout.write(`\n── ${changed.map((f) => path.join('exercises', f)).join(', ')} changed: running the public tests again ──\n`);
      await checkOnce(root, exercises);
      process.stdout.write('Watching exercises/ for changes (Ctrl-C to stop).\n');
    })().finally(() => { running = null; look(); });
  };
  const watcher = watchFiles(dir, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(look, 150);
  });
  process.stdout.write('Watching exercises/ for changes (Ctrl-C to stop).\n');
  const parent = process.ppid;
  let orphaned: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    // `npm run` killed alone (not its process group, as Ctrl-C does) leaves this process behind: stop with it
    orphaned = setInterval(() => { if (process.ppid !== parent) resolve(); }, 1000);
  });
  clearInterval(orphaned);
  watcher.close();
  clearTimeout(timer);
  await running;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { watch: { type: 'boolean', short: 'w' }, 'exit-code': { type: 'boolean' }, points: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    throw new CliError('E_USAGE', `${(err as Error).message}. See \`gradlab check --help\`.`);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const root = process.cwd();
  const all = loadManifest().exercises;
  const wanted = parsed.positionals;
  for (const w of wanted) if (!all.some((e) => e.slug === w)) throw new CliError('E_UNKNOWN_EXERCISE', `unknown exercise '${w}': use one of ${all.map((e) => e.slug).join(', ')}`);
  const exercises = wanted.length ? all.filter((e) => wanted.includes(e.slug)) : all;
  if (!existsSync(path.join(root, 'exercises'))) {
    throw new CliError('E_USAGE', `no exercises/ folder in ${root}: run \`npm run check\` from the top of your course repository`);
  }
  const pointsDir = parsed.values.points;
  if (pointsDir !== undefined && parsed.values.watch) throw new CliError('E_USAGE', '--points writes the points of one run: use it without --watch');
  if (pointsDir === '') throw new CliError('E_USAGE', '--points needs a folder: `gradlab check --points "$RUNNER_TEMP/points"`');
  const { charged } = await checkOnce(root, exercises, pointsDir && path.resolve(root, pointsDir));
  if (parsed.values.watch) await watch(root, exercises);
  return parsed.values['exit-code'] && charged.length > 0 ? 1 : 0;
}
