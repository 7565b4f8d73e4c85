import { describe, expect, it } from 'vitest';
import type { GradeReport } from '../grader/results.ts';
import { GRADESCOPE_VISIBILITY, renderGradescope, toGradescope } from '../grader/report/gradescope.ts';
import { findExercise } from '../grader/manifest.ts';
import { toResults } from '../grader/report/json.ts';
import { schemaErrors } from '../grader/report/validate.ts';
import { COURSE, everyStatusReport, mixedCourseReport, thirdsReport } from './report.fixtures.ts';

describe('gradescope report', () => {
  it('matches the Gradescope results.json schema', () => {
    for (const report of [mixedCourseReport(), everyStatusReport(), thirdsReport([2])]) {
      expect(schemaErrors('gradescope', toGradescope(report))).toEqual([]);
    }
    expect(schemaErrors('gradescope', { ...toGradescope(mixedCourseReport()), stdout: 'x' })[0]?.params).toEqual({
      additionalProperty: 'stdout',
    });
    const tests = [{ ...toGradescope(mixedCourseReport()).tests[0], status: 'error' }];
    expect(schemaErrors('gradescope', { score: 0, tests })[0]?.instancePath).toBe('/tests/0/status');
  });

  it('scores like the native results: total, per test, and their sum', () => {
    const report = mixedCourseReport();
    const gs = toGradescope(report);
    const native = toResults(report);
    expect(gs.score).toBe(87.125);
    expect(gs.tests.reduce((a, t) => a + t.score, 0)).toBe(87.125);
    expect(gs.tests.reduce((a, t) => a + t.max_score, 0)).toBe(100);
    expect(gs.tests.map((t) => [t.score, t.max_score])).toEqual(native.tests.map((t) => [t.score, t.maxScore]));
    expect(gs.execution_time).toBe(1);
    expect(toGradescope(thirdsReport([1, 2, 3])).tests.map((t) => t.score)).toEqual([3.3334, 3.3333, 3.3333]);
  });

  it('numbers tests exercise.test, tags them with the slug and passes or fails them', () => {
    const gs = toGradescope(mixedCourseReport());
    const expected = COURSE.flatMap(([slug, n], i) => Array.from({ length: n }, (_, k) => [`${i + 1}.${k + 1}`, slug]));
    expect(gs.tests.map((t) => [t.number, t.tags[0]])).toEqual(expected);
    expect(gs.tests.find((t) => t.number === '2.2')).toMatchObject({
      name: '02-backprop › check 2 holds',
      status: 'failed',
      score: 0,
      max_score: 2,
      output: 'expected 0.25 at x = 0, got 0.5 (relative error 1) [test 2]',
    });
    expect(gs.tests.find((t) => t.number === '2.1')).toMatchObject({ status: 'passed', score: 2, output: '' });
  });

  it('maps every status to passed|failed and keeps the native one, the id and the diagnosis in extra_data', () => {
    const gs = toGradescope(everyStatusReport());
    expect(gs.tests.map((t) => t.status)).toEqual(['passed', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed']);
    expect(gs.tests.map((t) => t.extra_data.status)).toEqual([
      'passed',
      'failed',
      'error',
      'timeout',
      'not-implemented',
      'missing',
      'failed',
      'failed',
    ]);
    expect(gs.tests[1]!.extra_data).toEqual({
      id: 'backprop.check.t2',
      status: 'failed',
      visibility: 'visible',
      diagnosis: { id: 'dw-not-transposed', hint: 'Which of x and dout needs a transpose for dW to have W’s shape?' },
    });
    expect(gs.tests[1]!.output).toBe(
      'dW is wrong at [0, 1]: expected 0.5, got -0.5 (relative error 2)\n\n' +
        'Known mistake dw-not-transposed: Which of x and dout needs a transpose for dW to have W’s shape?',
    );
  });

  it('maps visibility: hidden tests show name and score with only their sanitized message', () => {
    expect(GRADESCOPE_VISIBILITY).toEqual({ visible: 'visible', after_due_date: 'after_due_date', hidden: 'visible' });
    const gs = toGradescope(everyStatusReport());
    const hidden = gs.tests[6]!;
    expect(hidden).toMatchObject({ visibility: 'visible', extra_data: { visibility: 'hidden' } });
    expect(hidden.output).toBe('gradients wrong at 3 of 8 hidden inputs (hidden test: values not shown)');
    expect(gs.tests[7]).toMatchObject({ visibility: 'after_due_date', output: 'ratio expected 1e-3, got 0.5' });
  });

  it('tells nothing in the summary of a test Gradescope shows only after the due date: the same summary whether it passed or failed', () => {
    const report = everyStatusReport();
    const flip = (status: 'passed' | 'failed'): GradeReport => {
      const tests = report.tests.map((t) => (t.visibility === 'after_due_date' ? { ...t, status, score: status === 'passed' ? t.maxScore : 0 } : t));
      const score = tests.reduce((a, t) => a + t.score, 0);
      return { ...report, tests, score, exercises: report.exercises.map((e) => ({ ...e, score })) };
    };
    const [failed, passed] = [flip('failed'), flip('passed')].map(toGradescope);
    expect(passed.score - failed.score).toBe(2.5); // the grade differs (Gradescope hides it until the due date) …
    expect(passed.output).toBe(failed.output); // … the summary does not
    // where no test waits, everything is said as before: every exercise's points, the total
    const visibleOnly = thirdsReport([1, 2]);
    expect(toGradescope(visibleOnly).output.split('\n').slice(0, 3)).toEqual(['05-residual: 6.6667/10 (failed)', '', 'Score: 6.6667/10']);
    // and when every test shown now passes, the next step says what waits
    const shownPass = { ...report, tests: report.tests.map((t) => (t.visibility === 'after_due_date' ? t : { ...t, status: 'passed' as const, score: t.maxScore })) };
    expect(toGradescope(shownPass).output).toBe('02-backprop: 17.5/17.5 in the tests shown now; 2.5 points more in tests shown after the due date\n\nScore: shown after the due date (17.5/17.5 in the tests shown now)\nNext: every test shown now passes; the others are shown after the due date.');
  });

  it('puts only a summary in the top-level output, never a test message', () => {
    const gs = toGradescope(everyStatusReport());
    // read on Gradescope's page, where the student has no gradlab command: the hints themselves
    const hints = findExercise('02-backprop').hints;
    expect(hints).toHaveLength(3);
    // its test 8 is after_due_date (2.5 points): Gradescope hides it and the total until the due date, and so does the summary
    expect(gs.output).toBe(`02-backprop: 2.5/17.5 in the tests shown now; 2.5 points more in tests shown after the due date\n\nScore: shown after the due date (2.5/17.5 in the tests shown now)\nNext: 02-backprop (Backprop through a deep network). Read exercises/02-backprop/README.md again, then ask yourself:\n  1. ${hints[0]}\n  2. ${hints[1]}\n  3. ${hints[2]}`);
    expect(gs.output).not.toMatch(/npx|gradlab hint|npm run/);
    expect(gs.output_format).toBe('text');
    expect(gs.tests[2]!.output).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(gs.tests[2]!.output).toContain('\\u001b[2J');
  });

  it('renders pretty JSON that parses back to the same object', () => {
    const text = renderGradescope(mixedCourseReport());
    expect(JSON.parse(text)).toEqual(toGradescope(mixedCourseReport()));
    expect(text.endsWith('\n')).toBe(true);
  });
});
