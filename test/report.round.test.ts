import { describe, expect, it } from 'vitest';
import { apportionUnits, fromUnits, roundReport, roundScore, sumScores, toUnits } from '../grader/report/round.ts';
import { makeReport, makeTest, mixedCourseReport } from './report.fixtures.ts';

describe('score rounding', () => {
  it('rounds to 4 decimals without float noise or negative zero', () => {
    expect([roundScore(0.1 + 0.2), roundScore(10 / 3), roundScore(-0), roundScore(2.00005), roundScore(87.5)]).toEqual([
      0.3, 3.3333, 0, 2.0001, 87.5,
    ]);
    expect(Object.is(roundScore(-0.00001), 0)).toBe(true);
    expect([toUnits(2.5), fromUnits(25_000), fromUnits(1)]).toEqual([25_000, 2.5, 0.0001]);
    expect(sumScores([0.1, 0.2, 0.3])).toBe(0.6);
    expect(0.1 + 0.2 + 0.3).toBe(0.6000000000000001);
  });

  it('apportions by largest remainder so the parts add up to the rounded whole', () => {
    expect(apportionUnits([10 / 3, 10 / 3, 10 / 3])).toEqual([33_334, 33_333, 33_333]);
    expect(apportionUnits([10 / 3, 10 / 3, 10 / 3], 100_000)).toEqual([33_334, 33_333, 33_333]);
    expect(apportionUnits([1 / 6, 1 / 3, 1 / 2])).toEqual([1_667, 3_333, 5_000]);
    expect(apportionUnits([0.1, 0.2, 0.3])).toEqual([1_000, 2_000, 3_000]);
    expect(apportionUnits([2.5, 2.5], 49_998)).toEqual([24_999, 24_999]);
    expect(apportionUnits([2.5, 2.5], 50_003)).toEqual([25_002, 25_001]);
    expect(apportionUnits([])).toEqual([]);
    for (const n of [3, 6, 7, 9, 11, 13]) {
      const parts = apportionUnits(Array(n).fill(10 / n), 100_000);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(100_000);
      expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
    }
  });

  it('groups tests under their exercises and keeps tests of an unlisted exercise at the end', () => {
    const report = mixedCourseReport();
    const orphan = makeTest('08-extra', 1, { points: 5 });
    const rounded = roundReport({ ...report, tests: [...report.tests, orphan] });
    expect(rounded.exercises.map((e) => e.exercise.slug).at(-1)).toBe('08-extra');
    expect(rounded.exercises.at(-1)).toMatchObject({ score: 5, maxScore: 5, exercise: { status: 'passed' } });
    expect(rounded.score).toBe(87.125); // the report's total did not include it: kept, not changed
  });

  it('rounds each number on its own when a report does not add up, rather than changing it', () => {
    const slug = '01-activations';
    const report = makeReport([{ slug, tests: [makeTest(slug, 1), makeTest(slug, 2, { status: 'failed' })] }]);
    report.exercises[0]!.score = 3.00001;
    const rounded = roundReport(report);
    expect(rounded.exercises[0]!.score).toBe(3);
    expect(rounded.exercises[0]!.tests.map((t) => t.score)).toEqual([2, 0]);
  });
});
