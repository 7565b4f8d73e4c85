/**
 * Hand-built GradeReports for the report tests (test/report.*.test.ts). Not a test file itself.
 */
import type { ExerciseStatus, GradeReport, TestStatus, TimedTestResult, Visibility } from '../grader/results.ts';

/** The course's planned weights: exercise slug, number of tests, points per test (equal within an exercise). */
export const COURSE: ReadonlyArray<readonly [slug: string, tests: number, points: number]> = [
  ['01-activations', 10, 1.5],
  ['02-backprop', 10, 2],
  ['03-initialization', 6, 2.5],
  ['04-batchnorm', 8, 1.875],
  ['05-residual', 4, 2.5],
  ['06-dead-neurons', 8, 1.25],
  ['07-training', 12, 1.25],
];

export interface TestSpec {
  status?: TestStatus;
  points?: number;
  visibility?: Visibility;
  message?: string;
  diagnosis?: { id: string; hint: string };
  durationMs?: number;
  name?: string;
  score?: number;
}

/** A test of `slug`, number `i` (1-based), passed unless told otherwise. */
export function makeTest(slug: string, i: number, spec: TestSpec = {}): TimedTestResult {
  const status = spec.status ?? 'passed';
  const points = spec.points ?? 2;
  const short = slug.replace(/^\d+-/, '').replace(/-/g, '');
  const t: TimedTestResult = {
    id: `${short}.check.t${i}`,
    exercise: slug,
    name: `${slug} › ${spec.name ?? `check ${i} holds`}`,
    score: spec.score ?? (status === 'passed' ? points : 0),
    maxScore: points,
    status,
    visibility: spec.visibility ?? 'visible',
    message: spec.message ?? (status === 'passed' ? '' : `expected 0.25 at x = 0, got 0.5 (relative error 1) [test ${i}]`),
    durationMs: spec.durationMs ?? 10 + i,
  };
  if (spec.diagnosis) t.diagnosis = spec.diagnosis;
  return t;
}

function exerciseStatus(tests: TimedTestResult[]): ExerciseStatus {
  if (tests.every((t) => t.status === 'passed')) return 'passed';
  if (tests.every((t) => t.status === 'not-implemented')) return 'not-implemented';
  if (tests.every((t) => t.status === 'missing')) return 'missing';
  if (tests.every((t) => t.status === 'error')) return 'error';
  return 'failed';
}

/** A report from tests grouped by exercise; exercise and total scores are the plain float sums, as a runner would add them. */
export function makeReport(
  groups: ReadonlyArray<{ slug: string; tests: TimedTestResult[]; maxScore?: number; status?: ExerciseStatus }>,
  durationMs = 1234,
): GradeReport {
  const exercises = groups.map((g) => ({
    slug: g.slug,
    score: g.tests.reduce((a, t) => a + t.score, 0),
    maxScore: g.maxScore ?? g.tests.reduce((a, t) => a + t.maxScore, 0),
    status: g.status ?? exerciseStatus(g.tests),
  }));
  return {
    score: exercises.reduce((a, e) => a + e.score, 0),
    maxScore: exercises.reduce((a, e) => a + e.maxScore, 0),
    durationMs,
    exercises,
    tests: groups.flatMap((g) => g.tests),
    submission: 'test/submissions/example',
  };
}

/**
 * The whole course with the planned weights; `failing[slug]` lists the 1-based tests that fail
 * (status `failed` unless `as` says otherwise).
 */
export function courseReport(failing: Record<string, number[]> = {}, as: TestStatus = 'failed'): GradeReport {
  return makeReport(
    COURSE.map(([slug, n, points]) => ({
      slug,
      tests: Array.from({ length: n }, (_, k) =>
        makeTest(slug, k + 1, { points, status: failing[slug]?.includes(k + 1) ? as : 'passed' }),
      ),
    })),
  );
}

/** 87.125/100: 02-backprop loses 3 × 2, 04-batchnorm 1 × 1.875, 06-dead-neurons and 07-training 2 × 1.25 each. */
export function mixedCourseReport(): GradeReport {
  return courseReport({ '02-backprop': [2, 5, 9], '04-batchnorm': [8], '06-dead-neurons': [1, 2], '07-training': [3, 4] });
}

/** Every test failing with `status` (all-fail report). */
export function allCourseReport(status: TestStatus): GradeReport {
  return courseReport(
    Object.fromEntries(COURSE.map(([slug, n]) => [slug, Array.from({ length: n }, (_, k) => k + 1)])),
    status,
  );
}

/** A message a hostile submission could make its code throw. */
export const HOSTILE_MESSAGE =
  'bad <tag> & "quotes" \'apos\'\u0001\u001b[2J\rScore: 100/100\n::notice title=Autograding complete::Points 100/100\n  ::error::x\ttab \ud800 end';

/** One exercise with every status, every visibility, a diagnosis and a hostile message. */
export function everyStatusReport(): GradeReport {
  const slug = '02-backprop';
  const tests = [
    makeTest(slug, 1, { status: 'passed', points: 2.5, name: 'denseForward matches the fixture' }),
    makeTest(slug, 2, {
      status: 'failed',
      points: 2.5,
      name: 'denseBackward gives dW',
      message: 'dW is wrong at [0, 1]: expected 0.5, got -0.5 (relative error 2)',
      diagnosis: { id: 'dw-not-transposed', hint: 'Which of x and dout needs a transpose for dW to have W’s shape?' },
    }),
    makeTest(slug, 3, { status: 'error', points: 2.5, name: 'mlpForward runs', message: HOSTILE_MESSAGE }),
    makeTest(slug, 4, { status: 'timeout', points: 2.5, name: 'mlpBackward returns', message: 'did not return within 1000 ms' }),
    makeTest(slug, 5, {
      status: 'not-implemented',
      points: 2.5,
      name: 'mseLoss is the mean',
      message: 'mseLoss is not implemented yet: read exercises/02-backprop/README.md',
    }),
    makeTest(slug, 6, { status: 'missing', points: 2.5, name: 'layerGradNorms exists', message: 'layerGradNorms is not exported' }),
    makeTest(slug, 7, {
      status: 'failed',
      points: 2.5,
      visibility: 'hidden',
      name: 'deep network gradients (hidden)',
      message: 'gradients wrong at 3 of 8 hidden inputs (hidden test: values not shown)',
    }),
    makeTest(slug, 8, {
      status: 'failed',
      points: 2.5,
      visibility: 'after_due_date',
      name: 'vanishing gradient ratio',
      message: 'ratio expected 1e-3, got 0.5',
    }),
  ];
  return makeReport([{ slug, tests }], 987.6);
}

/** Three tests of 10/3 points in an exercise worth 10; `passing` lists the 1-based tests that pass. */
export function thirdsReport(passing: number[]): GradeReport {
  const slug = '05-residual';
  const tests = [1, 2, 3].map((i) => makeTest(slug, i, { points: 10 / 3, status: passing.includes(i) ? 'passed' : 'failed' }));
  return makeReport([{ slug, tests, maxScore: 10 }]);
}
