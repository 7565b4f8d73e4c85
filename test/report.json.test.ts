import { describe, expect, it } from 'vitest';
import type { GradeReport } from '../grader/results.ts';
import { renderJson, toResults } from '../grader/report/json.ts';
import { ReportValidationError, schemaErrors } from '../grader/report/validate.ts';
import { everyStatusReport, makeReport, makeTest, mixedCourseReport, thirdsReport } from './report.fixtures.ts';

describe('json report', () => {
  it('has exactly the native fields, in order, without durations or the submission', () => {
    const results = toResults(everyStatusReport());
    expect(Object.keys(results)).toEqual(['score', 'maxScore', 'durationMs', 'exercises', 'tests']);
    expect(Object.keys(results.exercises[0]!)).toEqual(['slug', 'score', 'maxScore', 'status']);
    for (const t of results.tests) {
      const keys = ['id', 'exercise', 'name', 'score', 'maxScore', 'status', 'visibility', 'message'];
      expect(Object.keys(t)).toEqual(t.diagnosis ? [...keys, 'diagnosis'] : keys);
    }
    expect(results.tests.filter((t) => t.diagnosis).map((t) => t.diagnosis)).toEqual([
      { id: 'dw-not-transposed', hint: 'Which of x and dout needs a transpose for dW to have W’s shape?' },
    ]);
    expect(results.durationMs).toBe(988);
    expect(JSON.stringify(results)).not.toMatch(/submission|durationMs":\d+,"exercises[\s\S]*durationMs/);
  });

  it('keeps every status and message as the runner gave them', () => {
    const report = everyStatusReport();
    const results = toResults(report);
    expect(results.tests.map((t) => t.status)).toEqual(report.tests.map((t) => t.status));
    expect(results.tests.map((t) => t.message)).toEqual(report.tests.map((t) => t.message));
    expect(results.tests.map((t) => t.visibility)).toEqual(report.tests.map((t) => t.visibility));
  });

  it('matches its schema and round-trips through JSON', () => {
    const results = toResults(mixedCourseReport());
    expect(schemaErrors('results', results)).toEqual([]);
    const text = renderJson(mixedCourseReport());
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(results);
    expect(results.score).toBe(87.125);
    expect(results.maxScore).toBe(100);
    expect(results.exercises.map((e) => e.score)).toEqual([15, 14, 15, 13.125, 10, 7.5, 12.5]);
  });

  it('rejects an off-schema report with a clear error before returning anything', () => {
    const bad = everyStatusReport();
    (bad.tests[0] as { status: string }).status = 'skipped';
    expect(() => renderJson(bad)).toThrow(ReportValidationError);
    expect(() => renderJson(bad)).toThrow(
      /the results report does not match grader\/schemas\/results\.schema\.json: \/tests\/0\/status must be equal to one of the allowed values.*bug in the grader/,
    );
    const negative: GradeReport = { ...mixedCourseReport(), score: -1 };
    expect(() => renderJson(negative)).toThrow(/\/score must be >= 0/);
    const nan: GradeReport = { ...mixedCourseReport(), durationMs: Number.NaN };
    expect(() => renderJson(nan)).toThrow(/\/durationMs must be number/);
  });

  it('has a schema that refuses extra fields at every level', () => {
    const results = toResults(everyStatusReport()) as unknown as Record<string, unknown>;
    expect(schemaErrors('results', { ...results, submission: 'x' })[0]?.params).toEqual({ additionalProperty: 'submission' });
    const tests = (results.tests as Record<string, unknown>[]).map((t) => ({ ...t, durationMs: 3 }));
    expect(schemaErrors('results', { ...results, tests })[0]).toMatchObject({
      instancePath: '/tests/0',
      params: { additionalProperty: 'durationMs' },
    });
    const exercises = [{ slug: '02-backprop', score: 1, maxScore: 2, status: 'failed', title: 'x' }];
    expect(schemaErrors('results', { ...results, exercises })[0]?.params).toEqual({ additionalProperty: 'title' });
  });

  it('rounds so the tests add up to the exercise and the exercises to the total', () => {
    const third = toResults(thirdsReport([1, 2, 3]));
    expect(third.tests.map((t) => t.maxScore)).toEqual([3.3334, 3.3333, 3.3333]);
    expect(third.tests.map((t) => t.score)).toEqual([3.3334, 3.3333, 3.3333]);
    expect(third.exercises[0]).toEqual({ slug: '05-residual', score: 10, maxScore: 10, status: 'passed' });
    expect(third.score).toBe(10);
    expect(toResults(thirdsReport([2, 3])).score).toBe(6.6666);
    expect(toResults(thirdsReport([1])).score).toBe(3.3334);

    const slug = '01-activations';
    const tenths = makeReport([{ slug, tests: [1, 2, 3].map((i) => makeTest(slug, i, { points: 0.1 })) }]);
    expect(tenths.score).toBe(0.30000000000000004);
    const results = toResults(tenths);
    expect([results.score, results.maxScore, results.exercises[0]!.score]).toEqual([0.3, 0.3, 0.3]);
    expect(renderJson(tenths)).not.toMatch(/\d\.\d{5,}/);
  });
});
