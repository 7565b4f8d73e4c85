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
import { Sandbox, SandboxError, type ArgEdit, type CallOutcome, type CallRecord } from '../sandbox/client.js';

/** What the runner hands every worker through vitest's `provide`. */
export interface GradlabProvided {
  submissions: Array<{ label: string; modules: Record<string, { code: string }> }>;
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
   * Wall time the same pair may spend waiting on the submission's code, summed over its loads and
   * calls: a cap for calls that sleep rather than compute (default 10 × exerciseBudgetMs).
   */
  exerciseWaitMs: number;
}

declare module 'vitest' {
  interface ProvidedContext {
    gradlab: GradlabProvided;
  }
}

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
function recordCalls(submission: number, slug: string, sandbox: Sandbox | null): void {
  const dir = process.env.GRADLAB_RECORD_CALLS;
  if (!dir || !sandbox) return;
  writeFileSync(path.join(dir, `${submission}-${slug}.v8`), serialize(sandbox.records.map((r) => ({ fn: r.fn, args: r.args }))));
}

/** Registers the hidden suite of `slug`; returns the function the wrapper file calls. */
export function defineSuite(slug: string, body: SuiteBody): (submission: number) => void {
  return (submission: number) => {
    const provided = inject('gradlab');
    const sub = provided.submissions[submission];
    const mod = sub?.modules[slug];
    const exercise = findExercise(slug);
    let sandbox: Sandbox | null = null;
    // the budget counts the CPU time of this exercise's sandbox (its loads and calls), which a busy
    // machine does not change; a second cap counts the wall time spent waiting on it, for calls
    // that sleep instead of computing (no CPU, so the first cap never fills). Checked before each
    // call, so one call may end past either.
    let waitedMs = 0;
    const budgeted = async <T>(fn: string, call: () => Promise<T>): Promise<T> => {
      const cpuSpent = (sandbox?.cpuMs ?? 0) >= provided.exerciseBudgetMs;
      if (cpuSpent || waitedMs >= provided.exerciseWaitMs) {
        const what = cpuSpent ? `${provided.exerciseBudgetMs / 1000} s of CPU` : `${provided.exerciseWaitMs / 1000} s of waiting`;
        throw new SandboxError('timeout', `${fn} is not called: the calls to ${exercise.folder}/${exercise.file} used up this exercise's time budget ` +
          `(${what} in all); make the slow function faster, then grade again`, fn);
      }
      const started = performance.now();
      try {
        return await call();
      } finally {
        waitedMs += performance.now() - started;
      }
    };
    const getSandbox = (): Sandbox => {
      if (!mod) throw new SandboxError('missing', `${exercise.folder}/${exercise.file} was not compiled for this submission`);
      sandbox ??= new Sandbox({
        code: mod.code,
        label: `${exercise.folder}/${exercise.file}`,
        callTimeoutMs: provided.callTimeoutMs,
        loadTimeoutMs: provided.loadTimeoutMs,
      });
      return sandbox;
    };

    describe(slug, () => {
      afterAll(() => {
        recordCalls(submission, slug, sandbox);
        sandbox?.close();
      });
      body((id, fn) => {
        const visibility = findTest(exercise, id).visibility;
        it(id, async (vctx) => {
          const sb = getSandbox();
          const first = sb.records.length;
          const ctx: TestContext = {
            call: (name, ...args) => budgeted(name, () => sb.call(name, ...args)) as Promise<never>,
            callPacked: (name, ...args) => budgeted(name, () => sb.callPacked(name, ...args)),
            callMany: async (name, argLists) => valuesOf(await budgeted(name, () => sb.callMany(name, argLists))) as never,
            callVariants: async (name, base, edits) => valuesOf(await budgeted(name, () => sb.callVariants(name, base, edits))),
            get records() { return sb.records.slice(first); },
            visibility,
            hidden: visibility === 'hidden',
          };
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
