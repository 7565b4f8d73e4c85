/**
 * Grades one or many submissions in ONE vitest run. Each submission is first copied by the intake
 * (grader/intake.ts) into a grader-owned folder, compiled from that copy by compiler child
 * processes (grader/sandbox/compile.ts), and the copy is removed; the compiled modules are handed
 * to the workers through `provide`, and each (submission, exercise) pair gets a two-line wrapper
 * test file that runs the exercise's hidden suite against that submission. Results come from
 * vitest's reporter API and the manifest; nothing is parsed from stdout.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestCase, TestModule, TestSpecification } from 'vitest/node';
import { loadManifest } from './manifest.js';
import { keepReference, keptReference, moduleCacheOptions, referenceSourcesHash, runCache, type RunCache } from './module-cache.js';
import { ROOT, SUITES_DIR } from './paths.js';
import { quietStreams } from './quiet.js';
import type { GradeReport } from './results.js';
import { buildReport, type Outcome } from './build-report.js';
import { describeIntake, intakeSubmission, type Intake } from './intake.js';
import { idleBackstopMs } from './sandbox/client.js';
import { compileReference, compileSubmissions, type CompileResult } from './sandbox/compile.js';
import { OWN_EXERCISES } from './sandbox/oracle-access.js';
import { confinement, shareConfinement } from './sandbox/confine.js';
import { ignoreInspectorSignal, NO_SIGNAL_INSPECTOR_FLAGS } from './signal-inspector.js';
import type { GradlabProvided } from './suites/harness.js';
import { adoptTempFolder, makeTempFolder, removeTempFolder } from './temp-folders.js';

export interface GradeOptions {
  /** Only these exercise slugs (default: all of the manifest). */
  exercises?: string[];
  /**
   * CPU time one call of student code may use, in ms (default 5000). CPU time, not wall time, so
   * a busy machine never changes a grade; a backstop of 10× (at least 10 s) on the time a call
   * waits without computing stops one that never returns. Wall time on platforms without /proc
   * (see sandbox/client.ts).
   */
  callTimeoutMs?: number;
  /** CPU time for starting the sandbox and importing a submission's module, in ms (default 5000). */
  loadTimeoutMs?: number;
  /**
   * CPU time one (submission, exercise) pair may spend in the submission's code, summed over its
   * loads and calls (default: `exerciseBudgetMs(callTimeoutMs)`). Each student is bounded on their own:
   * one whose every call takes just under the per-call limit loses their own remaining tests, and
   * nobody else's.
   */
  exerciseBudgetMs?: number;
  /**
   * Time one (submission, exercise) pair's code may spend waiting without computing, over all its
   * calls (default STUDENT_WAIT_MS): calls that sleep use no CPU, so without it each could wait up
   * to its idle backstop. Per pair, so that which worker grades which pair never changes a verdict.
   * Correct code in this course never waits.
   */
  studentWaitMs?: number;
  /**
   * A backstop on the whole vitest run, for a grader that hangs (not for slow students: the
   * per-exercise budget stops those first); past it the run is cancelled and unfinished tests are
   * errors. Default: `backstopMs(...)`, which grows with the number of (submission, exercise) pairs.
   */
  runTimeoutMs?: number;
  /** Parallel vitest workers (default 2). */
  maxWorkers?: number;
  /** Wall-clock limit for compiling one exercise (default 30 s; see grader/sandbox/compile.ts). */
  compileTimeoutMs?: number;
}

/** Messages of tests left without a result by the grader, not by the student (a class regrades them). */
export const NO_RESULT = 'the grader has no result for this test (its worker stopped); grade again, and tell the course staff if it persists';
export const STOPPED = 'the test did not finish: the grader stopped it (time limit of the whole run)';

/**
 * The default per-exercise budget: 30 s of calls, or 6 per-call limits if those were raised. A
 * correct submission spends under 1 s per exercise on an idle machine, so the margin is wide.
 */
export function exerciseBudgetMs(callTimeoutMs: number): number {
  return Math.max(30_000, 6 * callTimeoutMs);
}

/**
 * The default wait budget of a (submission, exercise) pair (see GradeOptions.studentWaitMs):
 * correct code never waits, so a few seconds in all; k students who wait cost at most k × exercises × this.
 */
export const STUDENT_WAIT_MS = 3000;

/**
 * The default whole-run backstop: 2 minutes, plus, for each pair a worker grades in turn, its wait
 * cap, one more call at its idle backstop (the caps are checked between calls) and a minute of the
 * grader's own work. A run of honest students ends long before it.
 */
export function backstopMs(pairs: number, workers: number, waitMs: number, callWallMs: number): number {
  return Math.min(MAX_TIMER_MS, 120_000 + Math.ceil(pairs / workers) * (waitMs + callWallMs + 60_000));
}

/**
 * The longest delay a Node timer keeps (2³¹ − 1 ms, 24.8 days); a longer one fires at once. The
 * backstop of about 1,500 students in one run (vitest's own test limit, twice that, of about 750)
 * would pass it and stop the run before it began.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Grades each submission folder; the reports come back in the same order. */
export async function gradeSubmissions(dirs: string[], opts: GradeOptions = {}): Promise<GradeReport[]> {
  const started = Date.now();
  const manifest = loadManifest();
  const exercises = opts.exercises?.length
    ? manifest.exercises.filter((e) => opts.exercises?.includes(e.slug))
    : manifest.exercises;
  const callTimeoutMs = opts.callTimeoutMs ?? 5000;
  const budgetMs = opts.exerciseBudgetMs ?? exerciseBudgetMs(callTimeoutMs);
  const waitMs = opts.studentWaitMs ?? STUDENT_WAIT_MS;
  const workers = opts.maxWorkers ?? 2;
  const runTimeoutFor = (pairs: number) => Math.min(MAX_TIMER_MS, opts.runTimeoutMs ?? backstopMs(pairs, workers, waitMs, idleBackstopMs(callTimeoutMs)));

  refuseGraderInside(dirs);
  ignoreInspectorSignal();
  // what every sandbox of this run gets, probed once here and handed to the workers (see confine.ts)
  const layers = confinement();
  shareConfinement();
  // vitest starts (≈ 0.3 s of loading and configuring) while the submissions are copied and
  // compiled, which it does not need until it runs; its own test limit is set from every pair
  // that could run, the run's watchdog below from those that compiled
  const exitCode = process.exitCode;
  const cache = runCache();
  const vitestStarting = startVitest({ cache, maxWorkers: workers, testTimeoutMs: Math.min(MAX_TIMER_MS, 2 * runTimeoutFor(dirs.length * exercises.length)) });
  vitestStarting.catch(() => undefined); // awaited below; not unhandled if the intake throws first
  const work = makeTempFolder('gradlab-run-');
  // 01 and 02 are compiled even when not graded (`-e 05-residual`): another exercise's sandbox uses
  // the student's own where they pass their tests (harness.ts, chooseOwn), else it asks the oracle
  // once per call (for 01, once per matrix entry); a failure to compile them costs nothing
  const ownOnly = manifest.exercises.filter((e) => OWN_EXERCISES.includes(e.folder) && !exercises.includes(e));
  const outcomes = new Map<string, Outcome>(); // key: `${s}\u0000${testId}`
  let compiled: CompileResult[][];
  let referenceCode: string;
  let intakeNotes: ReturnType<typeof describeIntake>[];
  try {
    // nothing reads a submission but the intake; compilation sees only the copies, removed right after
    const intakes: Intake[] = [];
    try {
      for (const dir of dirs) intakes.push(intakeSubmission(dir));
      // the oracle's module (the reference solutions) is compiled beside the submissions
      [compiled, referenceCode] = await Promise.all([
        compileSubmissions(intakes, [...exercises, ...ownOnly], { timeoutMs: opts.compileTimeoutMs }),
        referenceBundle(cache, opts.compileTimeoutMs),
      ]);
    } finally {
      for (const intake of intakes) intake.cleanup();
    }
    intakeNotes = intakes.map(describeIntake);

    const provided: GradlabProvided = {
      submissions: dirs.map((dir, s) => ({
        label: dir,
        modules: Object.fromEntries([...exercises, ...ownOnly].flatMap((ex, e) => {
          const c = compiled[s][e];
          return c.ok ? [[ex.slug, { code: c.code, ...(c.own === undefined ? {} : { own: c.own }), ...(c.uses ? { uses: c.uses } : {}) }]] : [];
        })),
      })),
      callTimeoutMs,
      loadTimeoutMs: opts.loadTimeoutMs ?? 5000,
      exerciseBudgetMs: budgetMs,
      studentWaitMs: waitMs,
      referenceCode,
    };

    // wrapper files for the pairs that compiled; the others are decided without running anything
    const wrappers = new Map<string, number>(); // wrapper file → submission index
    dirs.forEach((_dir, s) => exercises.forEach((ex, e) => {
      if (!compiled[s][e].ok) return;
      const file = path.join(work, `s${s}-${ex.slug}.test.ts`);
      const suite = JSON.stringify(path.join(SUITES_DIR, `${ex.slug}.suite.ts`));
      writeFileSync(file, `import suite from ${suite};\nsuite(${s});\n`);
      wrappers.set(file, s);
    }));

    if (wrappers.size > 0) {
      const vitest = await vitestStarting;
      adoptTempFolder(vitest.getRootProject().tmpDir); // vitest's transformed modules: removed by close(), or by us if interrupted first
      vitest.provide('gradlab', provided);
      await runVitest(vitest, [...wrappers.keys()], runTimeoutFor(wrappers.size), (file, testCase, stopped) => {
        const s = wrappers.get(file);
        if (s !== undefined) outcomes.set(`${s}\u0000${testCase.name}`, outcomeOf(testCase, stopped));
      });
    }
  } finally {
    removeTempFolder(work);
    await vitestStarting.then(async (vitest) => {
      await vitest.close();
      removeTempFolder(vitest.getRootProject().tmpDir);
    }, () => undefined);
    cache?.release();
    process.exitCode = exitCode; // vitest sets 1 when tests fail; a graded failure is not ours
  }

  const durationMs = Date.now() - started;
  return dirs.map((dir, s) => ({
    ...buildReport(dir, exercises, durationMs, (ex, id) => {
      const c = compiled[s][exercises.indexOf(ex)];
      if (!c.ok) return { status: c.kind === 'missing' ? 'missing' : 'error', message: c.message, durationMs: 0 };
      return outcomes.get(`${s}\u0000${id}`)
        ?? { status: 'error', message: NO_RESULT, durationMs: 0 };
    }),
    intake: intakeNotes[s],
    confinement: layers,
  }));
}

/**
 * The grader's own module resolution (vite, vitest, rolldown; e.g. vite's watcher looks for
 * `fsevents` in every node_modules above its own folder) must never reach a folder the student
 * controls: a grader checked out inside the submission (the Classroom workspace) is refused.
 */
export function refuseGraderInside(dirs: string[]): void {
  for (const dir of dirs) {
    const rel = path.relative(path.resolve(dir), ROOT);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
      throw new Error(`the grader (${ROOT}) is inside the submission folder ${dir}, so its module resolution could run the student's files; check the grader out elsewhere (in GitHub Actions under $RUNNER_TEMP, not $GITHUB_WORKSPACE)`);
    }
  }
}

type Vitest = Awaited<ReturnType<typeof import('vitest/node').createVitest>>;

/**
 * The exercises from the costliest to grade to the cheapest, as measured (the sandbox child's CPU
 * for the solutions, node 26, docs/benchmarks.md: 03 ≈ 1.0 s, 07 ≈ 0.84, 05 ≈ 0.4, 02 ≈ 0.37,
 * 04 ≈ 0.17, 06 ≈ 0.17, 01 ≈ 0.14). The workers take the pairs in this order, costliest first, so
 * that no long one starts last while the other worker idles (longest processing time first):
 * vitest's own order (largest file first) put 07 last. Only wall time changes, never a verdict.
 */
export const GRADING_ORDER = ['03-initialization', '07-training', '05-residual', '02-backprop', '04-batchnorm', '06-dead-neurons', '01-activations'];

/** The rank of a wrapper file (`s<index>-<slug>.test.ts`): its exercise's in GRADING_ORDER (unknown first), then its submission. */
export function gradingRank(file: string): [number, number] {
  const m = /(?:^|[\\/])s(\d+)-(.+)\.test\.ts$/.exec(file);
  if (!m) return [-1, 0];
  return [GRADING_ORDER.indexOf(m[2]), Number(m[1])];
}

/** Orders wrapper files as the workers take them: by gradingRank. */
export function byGradingOrder(a: string, b: string): number {
  const [ea, sa] = gradingRank(a);
  const [eb, sb] = gradingRank(b);
  return ea - eb || sa - sb;
}

/**
 * The reference solutions compiled, as kept by an earlier run with the same grader and sources
 * (module-cache.ts), else compiled now, and kept only if nothing it reads changed while it compiled.
 */
async function referenceBundle(cache: RunCache | null, timeoutMs: number | undefined): Promise<string> {
  if (!cache) return compileReference({ timeoutMs });
  const sources = referenceSourcesHash();
  const kept = keptReference(cache, sources);
  if (kept !== null) return kept;
  const code = await compileReference({ timeoutMs });
  if (referenceSourcesHash() === sources) keepReference(cache, sources, code);
  return code;
}

/** Loads and configures vitest for grading; what to grade is provided (`vitest.provide`) and run later. */
async function startVitest(opts: { cache: RunCache | null; maxWorkers: number; testTimeoutMs: number }): Promise<Vitest> {
  const { createVitest, BaseSequencer } = await import('vitest/node');
  class GradingSequencer extends BaseSequencer {
    override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
      return [...files].sort((a, b) => byGradingOrder(a.moduleId, b.moduleId));
    }
  }
  // the suites as transformed by an earlier run, where the grader's installation can keep them
  const { experimental, plugins } = moduleCacheOptions(opts.cache);
  return createVitest('test', {
    root: ROOT,
    config: false,
    watch: false,
    pool: 'forks',
    maxWorkers: opts.maxWorkers,
    // vitest's own per-test limits would be wall time: leave stopping to the run's watchdog below
    // (every call also has its CPU-time limit), so no test times out because the machine is busy
    testTimeout: opts.testTimeoutMs,
    hookTimeout: opts.testTimeoutMs,
    teardownTimeout: 5_000,
    isolate: false,
    sequence: { sequencer: GradingSequencer },
    // one silent reporter: the run's outcome is read below, never from stdout
    reporters: [{}],
    // the workers ignore SIGUSR1 (--disable-sigusr1 where Node has it, a listener everywhere)
    execArgv: NO_SIGNAL_INSPECTOR_FLAGS,
    setupFiles: [path.join(ROOT, 'grader', 'signal-inspector-setup.ts')],
    coverage: { enabled: false },
    ...(experimental ? { experimental } : {}),
  }, { plugins }, quietStreams());
}

async function runVitest(
  vitest: Vitest, files: string[], runTimeoutMs: number,
  onResult: (file: string, testCase: TestCase, stopped: boolean) => void,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false; // by the watchdog below
  try {
    const project = vitest.getRootProject();
    const specs = files.map((f) => project.createSpecification(f));
    const watchdog = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        stopped = true;
        // cancelling with a reason is what stops a hung worker promptly (see the sandbox notes)
        void vitest.cancelCurrentRun('keyboard-input').finally(resolve);
      }, runTimeoutMs);
    });
    await Promise.race([vitest.runTestSpecifications(specs), watchdog]);
    for (const mod of vitest.state.getTestModules() as TestModule[]) {
      for (const testCase of mod.children.allTests()) onResult(mod.moduleId, testCase, stopped);
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A test's outcome; one left without a result is the watchdog's (STOPPED) only when the watchdog
 * stopped the run, else its worker's (NO_RESULT): a worker that died (an attacker's answers padded
 * with arrays of nulls ran one out of memory) was reported as the run's time limit.
 */
function outcomeOf(testCase: TestCase, stopped: boolean): Outcome {
  const result = testCase.result();
  const durationMs = Math.round(testCase.diagnostic()?.duration ?? 0);
  const meta = testCase.meta().gradlab;
  if (result.state === 'passed' && meta?.status === 'passed') return { status: 'passed', message: '', durationMs, meta };
  if (result.state === 'failed') {
    const message = (result.errors?.[0]?.message ?? 'failed').trim();
    if (meta) return { status: meta.status === 'passed' ? 'failed' : meta.status, message, durationMs, meta };
    // no meta: the test was stopped from outside (vitest's own timeout) or the harness broke
    return { status: /timed out/i.test(message) ? 'timeout' : 'error', message, durationMs };
  }
  return { status: 'error', message: stopped ? STOPPED : NO_RESULT, durationMs };
}


