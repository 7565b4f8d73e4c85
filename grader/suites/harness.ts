/**
 * The trusted side of every hidden suite. A suite file calls `defineSuite(slug, body)`; the
 * runner generates one small wrapper test file per (submission, exercise) that calls the suite
 * with the submission's index, so one vitest run grades many submissions with the same suites.
 *
 * Student code runs only in the sandbox; the expected values, the comparisons and the verdict
 * stay here. Each test records its outcome in `task.meta.gradlab`, which the runner reads
 * through vitest's reporter API (never from stdout).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { serialize } from 'node:v8';
import { afterAll, describe, inject, it } from 'vitest';
import { findExercise, findTest } from '../manifest.js';
import type { Diagnosis, TestStatus, Visibility } from '../results.js';
import { Oracle, Sandbox, SandboxError, type ArgEdit, type CallOutcome, type CallRecord } from '../sandbox/client.js';
import { OWN_EXERCISES, oracleServes, SCALAR_EXERCISES } from '../sandbox/oracle-access.js';

/** What the runner hands every worker through vitest's `provide`. */
export interface GradlabProvided {
  /**
   * Each exercise's compiled module (compile.ts): `own`, for 01 and 02, the same as a script for
   * another exercise's sandbox; `uses`, the contract functions of other exercises it imports.
   */
  submissions: Array<{ label: string; modules: Record<string, SubmissionModule> }>;
  /** CPU-time limits of the sandbox (see SandboxOptions). */
  callTimeoutMs: number;
  loadTimeoutMs: number;
  /**
   * CPU time one (submission, exercise) pair's sandbox may spend on the submission's code, summed
   * over its loads and calls; past it the pair's remaining calls fail at once as 'timeout'. Bounds
   * each student on their own, so a slow student cannot use up time that classmates need.
   */
  exerciseBudgetMs: number;
  /**
   * Time one submission's code may spend waiting without computing (Atomics.wait, timers, promises
   * that never settle), summed over all its exercises graded in one worker; past it, its remaining
   * calls fail at once as 'timeout'. Correct code in this course never waits.
   */
  studentWaitMs: number;
  /**
   * The reference solutions compiled into one module (compile.ts, compileReference): the oracle
   * that answers a submission's calls of another exercise's contract functions runs it, in a
   * sandbox of its own. It is never sent to a student's sandbox.
   */
  referenceCode: string;
}

declare module 'vitest' {
  interface ProvidedContext {
    gradlab: GradlabProvided;
  }
}

/** One exercise's compiled module, as the runner hands it to the workers (see GradlabProvided). */
export interface SubmissionModule { code: string; own?: string; uses?: Record<string, string[]> }

/** What a test leaves for the runner. */
export interface TestMeta {
  status: TestStatus;
  diagnosis?: Diagnosis;
}

declare module 'vitest' {
  interface TaskMeta {
    gradlab?: TestMeta;
  }
}

/** A wrong answer: the message says what was expected, what came, where and by how much. */
export class GradeFailure extends Error {
  constructor(message: string, readonly diagnosis?: Diagnosis) {
    super(message);
    this.name = 'GradeFailure';
  }
}

/** An argument the sandbox replaces by `createRng(seed)` from the course's own exercises/lib. */
export function seededRng(seed: number): { __gradlabRng: number } {
  return { __gradlabRng: seed };
}

export interface TestContext {
  /** Calls a student function in the sandbox; a failure to return ends the test with its status. */
  call<T = unknown>(fn: string, ...args: unknown[]): Promise<T>;
  /**
   * As `call`, with large matrices of the result left packed (PackedMatrix, see sandbox/client.ts),
   * for a test that computes on many numbers and needs no number[][].
   */
  callPacked(fn: string, ...args: unknown[]): Promise<unknown>;
  /** Calls a student function on many argument lists in one round trip; the first error ends the test. */
  callMany<T = unknown>(fn: string, argLists: unknown[][]): Promise<T[]>;
  /**
   * Calls a student function once per edit, each on a copy of `base` with one entry moved, in one
   * round trip (finite differences); the first error ends the test.
   */
  callVariants(fn: string, base: unknown[], edits: ArgEdit[]): Promise<unknown[]>;
  /** The calls of this test so far, with inputs, outputs and arguments after each call. */
  readonly records: CallRecord[];
  /**
   * `run`'s outcome, computed by the first test of this student's exercise that asks for `key` and
   * shared with the others (a check several tests need whose answer cannot change, such as the
   * wide backward pass of gradcheck.ts): a failure fails each of them the same way.
   */
  once<T>(key: string, run: () => Promise<T>): Promise<T>;
  /** 'hidden' tests never print expected values. */
  readonly visibility: Visibility;
  readonly hidden: boolean;
}

export type SuiteBody = (test: (id: string, fn: (ctx: TestContext) => Promise<void>) => void) => void;

/**
 * For the benchmark of the compute floor (bench/class.mjs): with GRADLAB_RECORD_CALLS=<folder>
 * set by whoever runs the grader, each (submission, exercise) writes the calls it made, in order,
 * so they can be replayed on the reference solutions in one process without a sandbox.
 */
function recordCalls(submission: number, slug: string, sandbox: Sandbox | null, checksMs: number): void {
  const dir = process.env.GRADLAB_RECORD_CALLS;
  if (!dir || !sandbox) return;
  writeFileSync(path.join(dir, `${submission}-${slug}.v8`), serialize(sandbox.records.map((r) => ({ fn: r.fn, args: r.args }))));
  // and how much of it asked the oracle (other exercises' contract functions) or checked the student's
  // own 01 and 02 (chooseOwn), in the child's CPU ms, for docs/benchmarks.md
  writeFileSync(path.join(dir, `${submission}-${slug}.oracle.json`), JSON.stringify({ calls: sandbox.oracleCalls, cpuMs: sandbox.oracleCpuMs, checksMs, totalMs: sandbox.cpuMs }));
}

/** The worker's oracle: one reference sandbox for every submission this worker grades, one call at a time. */
let workerOracle: Oracle | null = null;
function oracleFor(provided: GradlabProvided): Oracle {
  if (!workerOracle) {
    const oracle = new Oracle(provided.referenceCode, provided.callTimeoutMs);
    process.once('exit', () => oracle.close());
    workerOracle = oracle;
  }
  return workerOracle;
}

/** Every suite's body by slug, so one exercise's checks can be run on a function another exercise imports. */
const suiteBodies = new Map<string, SuiteBody>();

/** The suites whose checks choose a student's own functions for another exercise (OWN_EXERCISES). */
const OWN_SUITES: Record<string, () => Promise<unknown>> = {
  '01-activations': () => import('./01-activations.suite.js'),
  '02-backprop': () => import('./02-backprop.suite.js'),
};

/** Loads the suite of `slug` (registering its body) and returns its body. */
async function suiteBody(slug: string): Promise<SuiteBody> {
  if (!suiteBodies.has(slug)) await OWN_SUITES[slug]?.();
  const body = suiteBodies.get(slug);
  if (!body) throw new Error(`the suite of ${slug} did not register`);
  return body;
}

const OWN_PREFIX = '__gradlabOwn$';

/**
 * Which of the student's own functions of other exercises (01, 02) this sandbox's code uses in
 * place of the oracle: the child runs each such module in a realm of its own and exports its
 * functions as `__gradlabOwn$<exercise>$<fn>` (child.mjs); here that exercise's own tests run on
 * them, in order (02's on the 01 functions already chosen, as when 02 itself is graded). 01's are
 * chosen one by one: those no failing test called. 02's, all or none (a cache one makes, another
 * reads): all when every test of the functions this module imports passes, and only on an own 01
 * chosen for every 01 function it calls (else each of those calls is a round trip, once per entry
 * of every matrix, where the reference's 02 costs one a call). A student whose 01 and
 * 02 are right pays no round trip; one whose 01 or 02 is wrong gets the reference's answers there.
 * The checks' CPU time is not the graded exercise's (see defineSuite), nor are their records. It
 * has a budget of its own, `budgetMs` of CPU for all the checks of this sandbox: a test the budget
 * does not reach (or that reaches it, stopped before its next call) counts as failed, so the
 * reference answers for its functions. Every sandbox runs its own checks, in its own child: they
 * were once kept per worker and reused by the next sandbox of the same student, but what a check
 * costs depends on the child it runs in (an own 01 that builds a table at its first call pays for
 * it in whichever check calls it first there), so what the budget reached, and which functions were
 * chosen, depended on which worker had graded what before (a reviewer's case).
 */
async function chooseOwn(sb: Sandbox, exports: Record<string, string>, uses: Record<string, string[]>, modules: Record<string, SubmissionModule>, budgetMs: number): Promise<void> {
  const start = sb.cpuMs;
  const spent = (): boolean => sb.cpuMs - start >= budgetMs;
  const ownFns = new Map<string, Set<string>>();
  for (const name of Object.keys(exports)) {
    if (!name.startsWith(OWN_PREFIX)) continue;
    const rest = name.slice(OWN_PREFIX.length);
    const at = rest.indexOf('$');
    const slug = rest.slice(0, at);
    ownFns.set(slug, (ownFns.get(slug) ?? new Set()).add(rest.slice(at + 1)));
  }
  const chosen: Record<string, string[]> = {};
  for (const slug of OWN_EXERCISES) {
    const fns = ownFns.get(slug);
    if (!fns) continue;
    // an own 02 whose calls of 01 would each go to the oracle (an 01 function of its own that fails)
    // makes a round trip per entry of every matrix: the reference's 02 answers in one instead
    const needs = modules[slug]?.uses ?? {};
    if (Object.entries(needs).some(([dep, names]) => names.some((n) => !(chosen[dep] ?? []).includes(n)))) continue;
    const ex = findExercise(slug);
    const scalar = SCALAR_EXERCISES.has(slug);
    // 02's checks: only the tests of the functions this module calls (05 never calls mlpBackward)
    const relevant = new Set(scalar ? ex.functions : (uses[slug] ?? []));
    await sb.useOwn({ ...chosen, [slug]: [...fns] });
    const tests: Array<{ id: string; fn: (ctx: TestContext) => Promise<void> }> = [];
    (await suiteBody(slug))((id, fn) => { tests.push({ id, fn }); });
    const failed = new Set<string>();
    for (const t of tests) {
      if (!t.id.split('.').some((part) => relevant.has(part))) continue;
      if (spent()) {
        // past the checks' budget: not run, and what the test names is not chosen
        for (const fn of t.id.split('.')) failed.add(fn);
        continue;
      }
      const visibility = findTest(ex, t.id).visibility;
      const own = (name: string) => `${OWN_PREFIX}${slug}$${name}`;
      const first = sb.records.length;
      const budgeted = <T>(name: string, call: () => Promise<T>): Promise<T> => {
        if (spent()) throw new SandboxError('timeout', `the checks of the student's own ${slug} used up their budget`, name);
        return call();
      };
      const ctx = testContext(sb, first, visibility, budgeted, own);
      const out: string[] = [];
      try {
        await t.fn(ctx);
      } catch {
        // what the test names and every function it called
        out.push(...t.id.split('.'), ...sb.records.slice(first).map((r) => r.fn.slice(r.fn.lastIndexOf('$') + 1)));
      }
      for (const fn of out) failed.add(fn);
      sb.records.splice(first); // these calls are not the graded exercise's
    }
    const pass = [...relevant].filter((fn) => fns.has(fn) && !failed.has(fn));
    if (scalar) chosen[slug] = pass;
    else if (pass.length === relevant.size && relevant.size > 0) chosen[slug] = pass;
  }
  await sb.useOwn(chosen);
}

/**
 * The student's own modules (01, 02) a sandbox grading `graded` may run beside its module: those
 * whose contract functions it imports and the oracle would otherwise answer for (never the graded
 * exercise, nor one built on it), and those the chosen ones import in turn (02's calls of 01).
 */
function ownScripts(modules: Record<string, SubmissionModule>, graded: string): Record<string, string> {
  const serves = oracleServes(graded);
  const wanted = new Set(Object.keys(modules[graded]?.uses ?? {}));
  for (const slug of [...OWN_EXERCISES].reverse()) {
    if (wanted.has(slug)) for (const more of Object.keys(modules[slug]?.uses ?? {})) wanted.add(more);
  }
  const out: Record<string, string> = {};
  for (const slug of OWN_EXERCISES) {
    const own = modules[slug]?.own;
    if (own !== undefined && wanted.has(slug) && findExercise(slug).functions.some((fn) => serves(slug, fn))) out[slug] = own;
  }
  return out;
}

/** Registers the hidden suite of `slug`; returns the function the wrapper file calls. */
export function defineSuite(slug: string, body: SuiteBody): (submission: number) => void {
  suiteBodies.set(slug, body);
  return (submission: number) => {
    const provided = inject('gradlab');
    const sub = provided.submissions[submission];
    const mod = sub?.modules[slug];
    const exercise = findExercise(slug);
    let sandbox: Sandbox | null = null;
    // the budget counts the CPU time of this exercise's sandbox (its loads and calls, and the
    // reference's work for its calls of other exercises), which a busy machine does not change;
    // checked before each call, so one call may end past it. Waiting without computing has a
    // budget of its own, per exercise, which the sandbox enforces (studentWaitMs).
    const budgeted = async <T>(fn: string, call: () => Promise<T>): Promise<T> => {
      if ((sandbox?.cpuMs ?? 0) - checksMs >= provided.exerciseBudgetMs) {
        throw new SandboxError('timeout', `${fn} is not called: the calls to ${exercise.folder}/${exercise.file} used up this exercise's time budget ` +
          `(${provided.exerciseBudgetMs / 1000} s of CPU in all); make the slow function faster, then grade again`, fn);
      }
      return call();
    };
    let prepared: Promise<void> | null = null;
    /** CPU time of the checks that chose the student's own functions of 01 and 02: not this exercise's to pay. */
    let checksMs = 0;
    /** Before the first test: which of the student's own 01 and 02 functions to use (see chooseOwn). */
    const prepare = (sb: Sandbox): Promise<void> => {
      prepared ??= (async () => {
        let exports: Record<string, string>;
        try {
          exports = await sb.exports();
        } catch {
          return; // an import that fails is the first test's to report
        }
        const before = sb.cpuMs; // the import counts against the budget, as always; the checks do not
        try {
          await chooseOwn(sb, exports, mod?.uses ?? {}, sub?.modules ?? {}, provided.callTimeoutMs);
        } catch { /* a check's sandbox that fails is the first test's to report */ }
        checksMs = sb.cpuMs - before;
      })();
      return prepared;
    };
    const getSandbox = (): Sandbox => {
      if (!mod) throw new SandboxError('missing', `${exercise.folder}/${exercise.file} was not compiled for this submission`);
      sandbox ??= new Sandbox({
        code: mod.code,
        label: `${exercise.folder}/${exercise.file}`,
        callTimeoutMs: provided.callTimeoutMs,
        loadTimeoutMs: provided.loadTimeoutMs,
        oracle: { oracle: oracleFor(provided), allowed: oracleServes(exercise.folder) },
        own: ownScripts(sub.modules, exercise.folder),
        // this exercise's own: a budget shared by the exercises a worker happens to take would make
        // a verdict depend on how the pairs fell across the workers
        waitBudgetMs: provided.studentWaitMs,
      });
      return sandbox;
    };

    describe(slug, () => {
      afterAll(() => {
        recordCalls(submission, slug, sandbox, checksMs);
        sandbox?.close();
      });
      body((id, fn) => {
        const visibility = findTest(exercise, id).visibility;
        it(id, async (vctx) => {
          const sb = getSandbox();
          await prepare(sb);
          const first = sb.records.length;
          const ctx = testContext(sb, first, visibility, budgeted);
          try {
            await fn(ctx);
            vctx.task.meta.gradlab = { status: 'passed' };
          } catch (err) {
            vctx.task.meta.gradlab = metaOf(err);
            throw err instanceof Error ? err : new Error(String(err));
          }
        });
      });
    });
  };
}

/** ctx.once's outcomes, per sandbox: one student's one exercise (a new sandbox starts afresh). */
const onceBySandbox = new WeakMap<Sandbox, Map<string, Promise<unknown>>>();

/**
 * What a test body calls: `sb`'s calls of `route(name)` (the student's own functions of another
 * exercise are `__gradlabOwn$…`), each through `guard` (the graded exercise's CPU budget), and the
 * records from `first` on.
 */
function testContext(
  sb: Sandbox, first: number, visibility: Visibility,
  guard: <T>(fn: string, call: () => Promise<T>) => Promise<T>, route: (name: string) => string = (name) => name,
): TestContext {
  return {
    call: (name, ...args) => guard(name, () => sb.call(route(name), ...args)) as Promise<never>,
    callPacked: (name, ...args) => guard(name, () => sb.callPacked(route(name), ...args)),
    callMany: async (name, argLists) => valuesOf(await guard(name, () => sb.callMany(route(name), argLists))) as never,
    callVariants: async (name, base, edits) => valuesOf(await guard(name, () => sb.callVariants(route(name), base, edits))),
    get records() { return sb.records.slice(first); },
    once: <T>(key: string, run: () => Promise<T>): Promise<T> => {
      let shared = onceBySandbox.get(sb);
      if (!shared) onceBySandbox.set(sb, (shared = new Map()));
      if (!shared.has(key)) shared.set(key, run());
      return shared.get(key) as Promise<T>;
    },
    visibility,
    hidden: visibility === 'hidden',
  };
}

/** The values of a batch of calls; the first call that did not return one ends the test with its error. */
function valuesOf(results: CallOutcome[]): unknown[] {
  return results.map((r) => {
    if (!r.ok) throw r.error;
    return r.value;
  });
}

function metaOf(err: unknown): TestMeta {
  if (err instanceof SandboxError) {
    return { status: err.kind === 'crash' ? 'error' : err.kind };
  }
  if (err instanceof GradeFailure) return err.diagnosis ? { status: 'failed', diagnosis: err.diagnosis } : { status: 'failed' };
  return { status: 'failed' };
}
