/**
 * The GitHub Classroom report, for `classroom-resources/autograding-grading-reporter@v1`.
 *
 * How the reporter adds up (shared/notes/formats.md, and its source): for each runner it logs
 * `Total points for <id>: X/Y` with X = (passed tests / all tests) × max_score, while the points
 * it sends Classroom are Σ tests[].score over every runner. The two agree only when every test of a
 * runner weighs the same and scores all-or-nothing. So:
 *
 * - ONE RUNNER PER EXERCISE, id = 'ex' + the slug's letters and digits ('01-activations' →
 *   'ex01activations'; the reporter accepts only /^[a-zA-Z0-9]+$/ and reads env
 *   `<ID UPPERCASED>_RESULTS`), max_score = the exercise's points.
 * - Every test of an exercise must weigh the same in the manifest. That is the course's rule for
 *   Classroom (01: 10 × 2, 02: 10 × 2.5, …); a report that breaks it throws ClassroomWeightsError
 *   naming the exercise and its weights, rather than showing the student one number and the
 *   teacher another. (Rejected alternative: re-weighting tests evenly in the Classroom view only,
 *   which would make Classroom's points differ from `gradlab grade`'s.)
 * - A passed test scores its share of max_score and any other test 0: passed count × share.
 *   Shares are rounded to 4 decimals by largest remainder (round.ts), so they add up to max_score
 *   exactly. The reporter adds them as floats; with the course's shares (2, 2.5, 1.25: multiples
 *   of 1/16, exact in binary) every sum it can form is exact (tested over every combination).
 *   With shares that are not (10/3 → 3.3334, 3.3333, 3.3333) two things are unavoidable: Σ score
 *   may differ from (passed/all) × max_score by under 0.0001 per test, which the log's 2 decimals
 *   do not show, and the reporter's own float addition may print 6.6667000000000005 (no 4-decimal
 *   shares avoid that). So keep test points multiples of 1/16 within an exercise.
 * - Test status: passed → pass; failed, not-implemented, missing → fail (the submission's answer
 *   is wrong or absent); error, timeout → error (the code threw or hung). Runner status: pass when
 *   every test passed; error when the exercise itself errored (its module could not run); else fail.
 * - The reporter v1 prints a fail's name and `test_code` but not its message, and an error's
 *   message but not its name; so `test_code` carries the message for fail and the name for error
 *   (empty for pass). After-due-date tests' messages are withheld (the log is the student's), and
 *   messages are escaped so they cannot start a workflow command or recolour the log.
 *
 * Hand-over: one grader step writes `<ID>_RESULTS=<base64>` lines to $GITHUB_ENV (the reporter
 * step reads them, `runners: ex01activations,ex02backprop,…`) and to $GITHUB_OUTPUT `result=` (the
 * combined result: all tests in one runner, for a workflow with a single runner; its Σ score is the
 * total, but its log line matches only when all tests weigh the same, so the course workflow uses
 * the per-exercise runners), `runners=` (the id list) and one `<id>=<base64>` per runner.
 */
import { appendFileSync } from 'node:fs';
import type { GradeReport, TestStatus } from '../results.js';
import { fromUnits, roundReport, toUnits, type RoundedExercise } from './round.js';
import { safeMessage } from './sanitize.js';
import { validate } from './validate.js';

export type ClassroomStatus = 'pass' | 'fail' | 'error';

export interface ClassroomTest {
  name: string;
  status: ClassroomStatus;
  score: number;
  message: string;
  test_code: string;
  filename: string;
  line_no: number;
  duration: number;
}

export interface ClassroomResult {
  version: 1;
  status: ClassroomStatus;
  max_score: number;
  tests: ClassroomTest[];
}

export interface ClassroomRunner {
  /** Runner id: 'ex' + the slug's letters and digits. */
  id: string;
  /** The exercise slug the runner grades. */
  exercise: string;
  result: ClassroomResult;
}

export interface ClassroomReport {
  runners: ClassroomRunner[];
}

/** Thrown when an exercise's tests do not weigh the same, or a test's score is not all-or-nothing. */
export class ClassroomWeightsError extends Error {
  readonly code = 'E_CLASSROOM_WEIGHTS';
  constructor(message: string) {
    super(message);
    this.name = 'ClassroomWeightsError';
  }
}

/** Longest message kept: each runner travels in an environment variable. */
export const MAX_MESSAGE = 1000;

const TEST_STATUS: Record<TestStatus, ClassroomStatus> = {
  passed: 'pass',
  failed: 'fail',
  'not-implemented': 'fail',
  missing: 'fail',
  error: 'error',
  timeout: 'error',
};

/** The runner id of an exercise: '01-activations' → 'ex01activations'. */
export function runnerId(slug: string): string {
  return `ex${slug.replace(/[^a-zA-Z0-9]/g, '')}`;
}

/** The environment variable the reporter reads for a runner: 'ex01activations' → 'EX01ACTIVATIONS_RESULTS'. */
export function envName(id: string): string {
  return `${id.toUpperCase()}_RESULTS`;
}

const sameWeight = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function runnerFor(ex: RoundedExercise): ClassroomRunner {
  const slug = ex.exercise.slug;
  const raw = ex.tests.map((t) => t.test);
  if (raw.length > 0) {
    const weights = raw.map((t) => t.maxScore);
    if (!weights.every((w) => sameWeight(w, weights[0]!))) {
      const list = [...new Set(weights)].join(', ');
      throw new ClassroomWeightsError(
        `gradlab: the Classroom report needs every test of an exercise to weigh the same (the reporter ` +
          `logs passed/all × max_score), but ${slug} has tests worth ${list} points. ` +
          `Give its tests equal points in exercises/exercises.json.`,
      );
    }
    const total = weights.reduce((a, b) => a + b, 0);
    if (!sameWeight(total, ex.exercise.maxScore)) {
      throw new ClassroomWeightsError(
        `gradlab: ${slug}'s tests are worth ${total} points in all but the exercise is worth ` +
          `${ex.exercise.maxScore}; make the manifest's test points add up to the exercise's.`,
      );
    }
    for (const t of raw) {
      const expected = t.status === 'passed' ? t.maxScore : 0;
      if (!sameWeight(t.score, expected)) {
        throw new ClassroomWeightsError(
          `gradlab: test ${t.id} of ${slug} scored ${t.score} of ${t.maxScore} with status ${t.status}; ` +
            `the Classroom report needs all-or-nothing scores (full when passed, 0 otherwise).`,
        );
      }
    }
  }

  // Largest-remainder shares (round.ts) already make the passed tests' scores add up exactly.
  const tests: ClassroomTest[] = ex.tests.map(({ test, score }) => {
    const status = TEST_STATUS[test.status];
    const message =
      status === 'pass'
        ? ''
        : test.visibility === 'after_due_date'
          ? 'Details of this test are shown after the due date.'
          : safeMessage(test.message, MAX_MESSAGE);
    return {
      name: test.name,
      status,
      score: status === 'pass' ? score : 0,
      message,
      test_code: status === 'fail' ? message : status === 'error' ? test.name : '',
      filename: '',
      line_no: 0,
      duration: Math.max(0, Math.round(test.durationMs)),
    };
  });
  if (tests.length === 0) {
    // No test ran (the suite could not even list them): one stand-in test, so the reporter never
    // divides by zero; it passes only if the exercise somehow has full marks.
    const full = ex.score >= ex.maxScore && ex.maxScore > 0;
    if (!full && ex.score !== 0) {
      throw new ClassroomWeightsError(`gradlab: ${slug} scored ${ex.score} of ${ex.maxScore} without any test result.`);
    }
    tests.push({
      name: `${slug} › could not be graded`,
      status: full ? 'pass' : 'error',
      score: full ? ex.maxScore : 0,
      message: full ? '' : `${slug} could not be graded (status: ${ex.exercise.status}).`,
      test_code: full ? '' : `${slug} › could not be graded`,
      filename: '',
      line_no: 0,
      duration: 0,
    });
  }
  const status: ClassroomStatus = tests.every((t) => t.status === 'pass')
    ? 'pass'
    : ex.exercise.status === 'error'
      ? 'error'
      : 'fail';
  const result: ClassroomResult = { version: 1, status, max_score: ex.maxScore, tests };
  return { id: runnerId(slug), exercise: slug, result: validate('classroom', result) };
}

/** One validated runner per exercise, in course order. */
export function toClassroom(report: GradeReport): ClassroomReport {
  const runners = roundReport(report).exercises.map(runnerFor);
  const seen = new Map<string, string>();
  for (const r of runners) {
    const other = seen.get(r.id);
    if (other) throw new ClassroomWeightsError(`gradlab: exercises ${other} and ${r.exercise} share the runner id ${r.id}.`);
    seen.set(r.id, r.exercise);
  }
  return { runners };
}

/** All runners' tests in one result (for `result=`): max_score and Σ score are the totals. */
export function combineRunners(classroom: ClassroomReport): ClassroomResult {
  const statuses = classroom.runners.map((r) => r.result.status);
  const status: ClassroomStatus = statuses.includes('error') ? 'error' : statuses.includes('fail') ? 'fail' : 'pass';
  const maxUnits = classroom.runners.reduce((a, r) => a + toUnits(r.result.max_score), 0);
  const tests = classroom.runners.flatMap((r) => r.result.tests);
  const result: ClassroomResult = { version: 1, status, max_score: fromUnits(maxUnits), tests };
  return tests.length > 0 ? validate('classroom', result) : result;
}

/** Base64 of the result's JSON, as the reporter decodes it (`Buffer.from(v, 'base64')`, utf-8). */
export function encodeResult(result: ClassroomResult): string {
  return Buffer.from(JSON.stringify(result), 'utf8').toString('base64');
}

/** `--format classroom`: the runners as JSON, `{ runners: [{ id, exercise, result }] }`. */
export function renderClassroom(report: GradeReport): string {
  return `${JSON.stringify(toClassroom(report), null, 2)}\n`;
}

/** The lines to append to $GITHUB_ENV and $GITHUB_OUTPUT (each line `name=value`, newline-terminated). */
export function classroomOutputs(report: GradeReport): { env: string; output: string; runners: string[] } {
  const classroom = toClassroom(report);
  const ids = classroom.runners.map((r) => r.id);
  const env = classroom.runners.map((r) => `${envName(r.id)}=${encodeResult(r.result)}\n`).join('');
  const output =
    `result=${encodeResult(combineRunners(classroom))}\n` +
    `runners=${ids.join(',')}\n` +
    classroom.runners.map((r) => `${r.id}=${encodeResult(r.result)}\n`).join('');
  return { env, output, runners: ids };
}

/**
 * In GitHub Actions: appends the runners to the files named by GITHUB_ENV and GITHUB_OUTPUT (each
 * only when set). Returns which files it wrote and the runner ids.
 */
export function writeClassroomOutputs(
  report: GradeReport,
  env: Record<string, string | undefined> = process.env,
): { wrote: string[]; runners: string[] } {
  const lines = classroomOutputs(report);
  const wrote: string[] = [];
  if (env.GITHUB_ENV) {
    appendFileSync(env.GITHUB_ENV, lines.env, 'utf8');
    wrote.push(env.GITHUB_ENV);
  }
  if (env.GITHUB_OUTPUT) {
    appendFileSync(env.GITHUB_OUTPUT, lines.output, 'utf8');
    wrote.push(env.GITHUB_OUTPUT);
  }
  return { wrote, runners: lines.runners };
}
