import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GradeReport, TestStatus } from '../grader/results.ts';
import {
  ClassroomWeightsError,
  classroomOutputs,
  combineRunners,
  encodeResult,
  envName,
  MAX_MESSAGE,
  renderClassroom,
  runnerId,
  toClassroom,
  writeClassroomOutputs,
  type ClassroomResult,
} from '../grader/report/classroom.ts';
import { toResults } from '../grader/report/json.ts';
import { schemaErrors } from '../grader/report/validate.ts';
import {
  allCourseReport,
  COURSE,
  courseReport,
  everyStatusReport,
  makeReport,
  makeTest,
  mixedCourseReport,
  thirdsReport,
} from './report.fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const MANIFEST = JSON.parse(readFileSync(path.join(ROOT, 'exercises/exercises.json'), 'utf8')) as {
  exercises: { slug: string; points: number; tests: { points: number }[] }[];
};
// the reporter's `runners` input of a workflow that grades the whole course with one runner per
// exercise (the template's own workflow no longer uses the reporter: it runs on node20)
const WORKFLOW_RUNNERS = MANIFEST.exercises.map((e) => `ex${e.slug.replace(/[^a-zA-Z0-9]/g, '')}`).join(',');

const tmp = mkdtempSync(path.join(tmpdir(), 'gradlab-classroom-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Parses `NAME=value` lines as the Actions runner does for single-line values. */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line) continue;
    const at = line.indexOf('=');
    env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

/**
 * What autograding-grading-reporter@v1 does with the runners (its dist/main.js): decode each
 * `<ID>_RESULTS`, log (passed / all) × max_score per runner with toFixed(2), total those in its
 * table, send Classroom Σ tests[].score over every runner with max_score, fail on fail or error.
 */
function runReporter(runners: string, env: Record<string, string | undefined>) {
  const runnerResults = runners.split(',').map((runner) => {
    const encoded = env[`${runner.trim().toUpperCase()}_RESULTS`];
    if (encoded === undefined) throw new Error(`no ${runner} results`);
    return { runner, results: JSON.parse(Buffer.from(encoded, 'base64').toString('utf-8')) as ClassroomResult };
  });
  const log: string[] = [];
  const perRunner: Record<string, { logged: number; summed: number; max: number }> = {};
  let tableTotal = 0;
  for (const { runner, results } of runnerResults) {
    const max = results.max_score || 0;
    const passed = results.tests.reduce((acc, t) => (t.status === 'pass' ? acc + 1 : acc), 0);
    const logged = (passed / results.tests.length) * max;
    if (max !== 0) log.push(`Total points for ${runner}: ${logged.toFixed(2)}/${max}`);
    tableTotal += logged;
    let summed = 0;
    for (const t of results.tests) summed += t.score;
    perRunner[runner] = { logged, summed, max };
  }
  let totalPoints = 0;
  let maxPoints = 0;
  for (const { results } of runnerResults) {
    if (!results.max_score) continue;
    maxPoints += results.max_score;
    for (const t of results.tests) totalPoints += t.score;
  }
  const failed = runnerResults.some((r) => r.results.status === 'fail' || r.results.status === 'error');
  return { log, perRunner, tableTotal, totalPoints, maxPoints, notice: `Points ${totalPoints}/${maxPoints}`, failed };
}

let fileCount = 0;
/**
 * Writes the hand-over files as in Actions and runs the reporter with the workflow's runners
 * (or, for a report of fewer exercises, the runner ids it wrote).
 */
function gradeInActions(report: GradeReport, runnersInput = WORKFLOW_RUNNERS) {
  const dir = path.join(tmp, String(fileCount++));
  const files = { GITHUB_ENV: `${dir}-env`, GITHUB_OUTPUT: `${dir}-output` };
  writeFileSync(files.GITHUB_ENV, 'EARLIER=1\n');
  writeFileSync(files.GITHUB_OUTPUT, '');
  const written = writeClassroomOutputs(report, files);
  expect(written.wrote).toEqual([files.GITHUB_ENV, files.GITHUB_OUTPUT]);
  const env = parseEnvFile(readFileSync(files.GITHUB_ENV, 'utf8'));
  const output = parseEnvFile(readFileSync(files.GITHUB_OUTPUT, 'utf8'));
  expect(env.EARLIER).toBe('1');
  const wholeCourse = written.runners.join(',') === WORKFLOW_RUNNERS;
  const runners = wholeCourse ? runnersInput : written.runners.join(',');
  return { env, output, reporter: runReporter(runners, env), runners: written.runners };
}

describe('classroom runners', () => {
  it('derives alphanumeric runner ids from the slugs, and a whole-course runners input names exactly the manifest exercises', () => {
    expect(runnerId('01-activations')).toBe('ex01activations');
    expect(runnerId('06-dead-neurons')).toBe('ex06deadneurons');
    expect(envName('ex06deadneurons')).toBe('EX06DEADNEURONS_RESULTS');
    const ids = MANIFEST.exercises.map((e) => runnerId(e.slug));
    expect(WORKFLOW_RUNNERS).toBe(ids.join(','));
    expect(WORKFLOW_RUNNERS).toMatch(/^([a-zA-Z0-9]+,)*[a-zA-Z0-9]+$/); // the reporter's own check
    expect(toClassroom(mixedCourseReport()).runners.map((r) => r.id)).toEqual(ids);
  });

  it('makes the reporter log, the Classroom points and gradlab grade agree on a mixed report', () => {
    const report = mixedCourseReport();
    const native = toResults(report);
    const { reporter } = gradeInActions(report);
    for (const ex of native.exercises) {
      const r = reporter.perRunner[runnerId(ex.slug)]!;
      expect(r.logged).toBe(ex.score);
      expect(r.summed).toBe(ex.score);
      expect(r.max).toBe(ex.maxScore);
    }
    expect(reporter.log).toEqual([
      'Total points for ex01activations: 15.00/15',
      'Total points for ex02backprop: 14.00/20',
      'Total points for ex03initialization: 15.00/15',
      'Total points for ex04batchnorm: 13.13/15',
      'Total points for ex05residual: 10.00/10',
      'Total points for ex06deadneurons: 7.50/10',
      'Total points for ex07training: 12.50/15',
    ]);
    expect(reporter.tableTotal).toBe(87.125);
    expect(reporter.totalPoints).toBe(native.score);
    expect(reporter.notice).toBe('Points 87.125/100');
    expect(reporter.failed).toBe(true);
  });

  it.each<[string, GradeReport, number, boolean]>([
    ['all pass', courseReport(), 100, false],
    ['all fail', allCourseReport('failed'), 0, true],
    ['all error', allCourseReport('error'), 0, true],
    ['all not-implemented (the stubs)', allCourseReport('not-implemented'), 0, true],
    ['all missing', allCourseReport('missing'), 0, true],
  ])('agrees on %s', (_, report, total, failed) => {
    const native = toResults(report);
    const { reporter } = gradeInActions(report);
    expect(native.score).toBe(total);
    for (const ex of native.exercises) {
      expect(reporter.perRunner[runnerId(ex.slug)]).toEqual({ logged: ex.score, summed: ex.score, max: ex.maxScore });
    }
    expect([reporter.tableTotal, reporter.totalPoints, reporter.maxPoints]).toEqual([total, total, 100]);
    expect(reporter.notice).toBe(`Points ${total}/100`);
    expect(reporter.failed).toBe(failed);
  });

  it('agrees for every number of passed tests in every exercise and every combination of them', () => {
    // Per exercise: passing the first k tests (any k tests score the same: the weights are equal).
    const values = COURSE.map(([slug, n, points]) =>
      Array.from({ length: n + 1 }, (_, k) => {
        const report = courseReport({ [slug]: Array.from({ length: n - k }, (_, j) => k + j + 1) });
        const runner = toClassroom(report).runners.find((r) => r.exercise === slug)!.result;
        const logged = (runner.tests.filter((t) => t.status === 'pass').length / runner.tests.length) * runner.max_score;
        let summed = 0;
        for (const t of runner.tests) summed += t.score;
        expect(logged).toBe(summed);
        expect(logged).toBe(toResults(report).exercises.find((e) => e.slug === slug)!.score);
        expect(summed * 8).toBe(Math.round(summed * 8)); // eighths of a point (04: 15/8): sums of them are exact in floats
        expect(summed).toBe(k * points);
        return summed;
      }),
    );
    // Across exercises: the reporter adds runners' points in course order; check all 4 459 455 totals.
    let combos = 0;
    const walk = (i: number, floatSum: number, eighths: number) => {
      if (i === values.length) {
        combos++;
        if (floatSum !== eighths / 8) throw new Error(`total ${floatSum} is not ${eighths / 8}`);
        return;
      }
      for (const v of values[i]!) walk(i + 1, floatSum + v, eighths + Math.round(v * 8));
    };
    walk(0, 0, 0);
    expect(combos).toBe(11 * 11 * 7 * 9 * 5 * 9 * 13);
  });

  it('rounds awkward weights (10/3) so the shares add up to max_score and the log matches to its 2 decimals', () => {
    expect(3.3334 + 3.3333).toBe(6.6667000000000005);
    const full = toClassroom(thirdsReport([1, 2, 3])).runners[0]!.result;
    expect(full.tests.map((t) => t.score)).toEqual([3.3334, 3.3333, 3.3333]);
    let sum = 0;
    for (const t of full.tests) sum += t.score;
    expect(sum).toBe(10);
    for (const passing of [[], [1], [2], [3], [1, 2], [1, 3], [2, 3], [1, 2, 3]]) {
      const report = thirdsReport(passing);
      const { reporter } = gradeInActions(report);
      const r = reporter.perRunner.ex05residual;
      expect(r).toBeDefined();
      expect(r!.summed.toFixed(2)).toBe(r!.logged.toFixed(2));
      // The reporter adds floats: 3.3334 + 3.3333 gives 6.6667000000000005, which no choice of
      // 4-decimal shares avoids for weights like 10/3 (see classroom.ts); to 4 decimals it is ours.
      expect(Number(r!.summed.toFixed(4))).toBe(toResults(report).score);
      expect(Math.abs(r!.summed - (passing.length * 10) / 3)).toBeLessThan(1e-4 * passing.length + 1e-12);
    }
  });

  it('refuses unequal weights within an exercise, partial scores, and tests that do not add up', () => {
    const slug = '01-activations';
    const unequal = makeReport([{ slug, tests: [makeTest(slug, 1, { points: 2 }), makeTest(slug, 2, { points: 3 })] }]);
    expect(() => toClassroom(unequal)).toThrow(ClassroomWeightsError);
    expect(() => toClassroom(unequal)).toThrow(/01-activations has tests worth 2, 3 points.*equal points in exercises\/exercises\.json/);
    const partial = makeReport([{ slug, tests: [makeTest(slug, 1, { status: 'failed', score: 1 }), makeTest(slug, 2)] }]);
    expect(() => toClassroom(partial)).toThrow(/test activations\.check\.t1 of 01-activations scored 1 of 2 with status failed/);
    const short = makeReport([{ slug, tests: [makeTest(slug, 1), makeTest(slug, 2)], maxScore: 5 }]);
    expect(() => toClassroom(short)).toThrow(/01-activations's tests are worth 4 points in all but the exercise is worth 5/);
  });

  it('checks the real manifest too, once its tests are filled in', () => {
    for (const ex of MANIFEST.exercises.filter((e) => e.tests.length > 0)) {
      const points = ex.tests.map((t) => t.points);
      expect(new Set(points).size, `${ex.slug} test weights`).toBe(1);
      expect(points[0]! * points.length).toBe(ex.points);
      expect(Number.isInteger(points[0]! * 16), `${ex.slug}: points a multiple of 1/16, so the reporter's float sums are exact`).toBe(true);
    }
  });

  it('maps statuses, carries messages where the reporter prints them, and withholds after-due-date ones', () => {
    const runner = toClassroom(everyStatusReport()).runners[0]!;
    expect(runner.id).toBe('ex02backprop');
    expect(runner.result.status).toBe('fail');
    expect(runner.result.max_score).toBe(20);
    const tests = runner.result.tests;
    expect(tests.map((t) => t.status)).toEqual(['pass', 'fail', 'error', 'error', 'fail', 'fail', 'fail', 'fail']);
    expect(tests.map((t) => t.score)).toEqual([2.5, 0, 0, 0, 0, 0, 0, 0]);
    expect(tests[0]).toEqual({
      name: '02-backprop › denseForward matches the fixture',
      status: 'pass',
      score: 2.5,
      message: '',
      test_code: '',
      filename: '',
      line_no: 0,
      duration: 11,
    });
    expect(tests[1]!.test_code).toBe(tests[1]!.message);
    expect(tests[3]).toMatchObject({ message: 'did not return within 1000 ms', test_code: '02-backprop › mlpBackward returns' });
    expect(tests[6]!.message).toBe('gradients wrong at 3 of 8 hidden inputs (hidden test: values not shown)');
    expect(tests[7]!.message).toBe('Details of this test are shown after the due date.');
    expect(JSON.stringify(tests)).not.toContain('1e-3');
  });

  it('keeps messages from forging workflow commands or escape sequences in the log', () => {
    const hostile = toClassroom(everyStatusReport()).runners[0]!.result.tests[2]!;
    for (const field of [hostile.message, hostile.test_code, hostile.name]) {
      expect(field).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(field.split('\n').filter((l) => l.trimStart().startsWith('::'))).toEqual([]);
    }
    expect(hostile.message).toContain('» ::notice title=Autograding complete::Points 100/100');
    const slug = '01-activations';
    const long = makeReport([{ slug, tests: [makeTest(slug, 1, { status: 'failed', message: 'x'.repeat(5000) })] }]);
    expect(toClassroom(long).runners[0]!.result.tests[0]!.message).toHaveLength(MAX_MESSAGE);
  });

  it('marks a runner error when its exercise errored, and stands in one test when none ran', () => {
    const errored = allCourseReport('error');
    expect(toClassroom(errored).runners.map((r) => r.result.status)).toEqual(Array(7).fill('error'));
    const none = makeReport([{ slug: '03-initialization', tests: [], maxScore: 15, status: 'error' }]);
    const result = toClassroom(none).runners[0]!.result;
    expect(result).toMatchObject({ status: 'error', max_score: 15 });
    expect(result.tests).toEqual([
      {
        name: '03-initialization › could not be graded',
        status: 'error',
        score: 0,
        message: '03-initialization could not be graded (status: error).',
        test_code: '03-initialization › could not be graded',
        filename: '',
        line_no: 0,
        duration: 0,
      },
    ]);
    const reporter = runReporter('ex03initialization', { EX03INITIALIZATION_RESULTS: encodeResult(result) });
    expect(reporter.log).toEqual(['Total points for ex03initialization: 0.00/15']);
  });

  it('validates every runner against the schema, which refuses other statuses and fields', () => {
    for (const report of [mixedCourseReport(), everyStatusReport(), allCourseReport('timeout')]) {
      for (const r of toClassroom(report).runners) expect(schemaErrors('classroom', r.result)).toEqual([]);
    }
    const result = toClassroom(mixedCourseReport()).runners[0]!.result;
    expect(schemaErrors('classroom', { ...result, status: 'passed' })[0]?.instancePath).toBe('/status');
    expect(schemaErrors('classroom', { ...result, tests: [] })[0]?.instancePath).toBe('/tests');
    const extra = { ...result, tests: [{ ...result.tests[0], points: 1 }] };
    expect(schemaErrors('classroom', extra)[0]?.params).toEqual({ additionalProperty: 'points' });
  });
});

describe('classroom hand-over', () => {
  it('round-trips base64 with non-ASCII text', () => {
    const result = toClassroom(everyStatusReport()).runners[0]!.result;
    const encoded = encodeResult(result);
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(Buffer.from(encoded, 'base64').toString('utf-8'))).toEqual(result);
    expect(Buffer.from(encoded, 'base64').toString('utf-8')).toContain('02-backprop › mlpForward runs');
  });

  it('writes <ID>_RESULTS to GITHUB_ENV and result, runners and one output per runner to GITHUB_OUTPUT', () => {
    const report = mixedCourseReport();
    const { env, output, runners } = gradeInActions(report);
    const ids = COURSE.map(([slug]) => runnerId(slug));
    expect(runners).toEqual(ids);
    expect(Object.keys(env)).toEqual(['EARLIER', ...ids.map(envName)]);
    expect(Object.keys(output)).toEqual(['result', 'runners', ...ids]);
    expect(output.runners).toBe(ids.join(','));
    for (const id of ids) expect(output[id]).toBe(env[envName(id)]);
    const combined = JSON.parse(Buffer.from(output.result!, 'base64').toString('utf-8')) as ClassroomResult;
    expect(schemaErrors('classroom', combined)).toEqual([]);
    expect(combined).toMatchObject({ version: 1, status: 'fail', max_score: 100 });
    expect(combined.tests).toHaveLength(58);
    expect(combined.tests.reduce((a, t) => a + t.score, 0)).toBe(87.125);
    expect(combineRunners(toClassroom(courseReport())).status).toBe('pass');
    expect(combineRunners(toClassroom(allCourseReport('error'))).status).toBe('error');
  });

  it('writes nothing outside GitHub Actions', () => {
    expect(writeClassroomOutputs(mixedCourseReport(), {})).toEqual({ wrote: [], runners: COURSE.map(([s]) => runnerId(s)) });
    const lines = classroomOutputs(mixedCourseReport());
    expect(lines.env.split('\n')).toHaveLength(8);
    expect(lines.env.endsWith('\n')).toBe(true);
  });

  it('renders the runners as JSON for --out', () => {
    const text = renderClassroom(mixedCourseReport());
    expect(JSON.parse(text)).toEqual(toClassroom(mixedCourseReport()));
  });
});

describe('classroom workflow', () => {
  it('uses only statuses the reporter knows', () => {
    const all: TestStatus[] = ['passed', 'failed', 'error', 'timeout', 'not-implemented', 'missing'];
    const slug = '02-backprop';
    const report = makeReport([{ slug, tests: all.map((status, i) => makeTest(slug, i + 1, { status })) }]);
    const statuses = new Set(toClassroom(report).runners[0]!.result.tests.map((t) => t.status));
    expect([...statuses].sort()).toEqual(['error', 'fail', 'pass']);
  });
});
