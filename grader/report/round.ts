/**
 * Score rounding shared by every report (internal to grader/report).
 *
 * Scores are kept as integer "units" of 1/10 000 of a point while they are added up, and turned
 * back into numbers only at the end, so that a sum never shows 3.0000000000000004 and the sum of
 * the rounded parts is always the rounded whole (largest-remainder apportionment).
 */
import type { ExerciseResult, GradeReport, TimedTestResult } from '../results.js';

/** Units per point: scores are shown to 4 decimals. */
export const SCALE = 10_000;

/** A score in units of 1/SCALE points (an integer). */
export function toUnits(points: number): number {
  return Math.round(points * SCALE) || 0; // `|| 0` turns -0 into 0
}

/** Units back to points; u / SCALE is the double nearest the 4-decimal value, so it prints as one. */
export function fromUnits(units: number): number {
  return units / SCALE || 0;
}

/** A score rounded to 4 decimals, never -0. */
export function roundScore(points: number): number {
  return fromUnits(toUnits(points));
}

/** Sum of scores, added in units so the result is exactly the 4-decimal sum. */
export function sumScores(points: readonly number[]): number {
  return fromUnits(points.reduce((acc, p) => acc + toUnits(p), 0));
}

/** Closer than this (in units) to an integer counts as that integer: absorbs float noise like 2999.9999999999995. */
const NOISE = 1e-6;

/**
 * Splits `total` units over parts proportional to `values` (points) so that the parts are integers
 * and add up to `total` exactly: each part is its value rounded down, and the units left over go,
 * one each, to the parts with the largest remainders (ties: the earlier part).
 * `total` defaults to the rounded sum of `values`.
 */
export function apportionUnits(values: readonly number[], total?: number): number[] {
  const exact = values.map((v) => {
    const u = v * SCALE;
    const r = Math.round(u);
    return Math.abs(u - r) < NOISE ? r : u;
  });
  const target = total ?? Math.round(exact.reduce((a, b) => a + b, 0));
  const parts = exact.map((u) => Math.floor(u));
  let left = target - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((u, i) => ({ i, rem: u - Math.floor(u) }))
    .sort((a, b) => b.rem - a.rem || a.i - b.i);
  // left is within [0, n] when total is the rounded sum; a caller's total could ask for more or fewer.
  for (let k = 0; left !== 0 && order.length > 0; k = (k + 1) % order.length) {
    const idx = left > 0 ? order[k]!.i : order[order.length - 1 - k]!.i;
    if (left < 0 && parts[idx]! <= 0) continue;
    parts[idx]! += left > 0 ? 1 : -1;
    left += left > 0 ? -1 : 1;
  }
  return parts;
}

/** A test with its points rounded consistently with its exercise. */
export interface RoundedTest {
  test: TimedTestResult;
  score: number;
  maxScore: number;
}

/** An exercise with its tests, every number rounded so the parts add up to the whole. */
export interface RoundedExercise {
  exercise: ExerciseResult;
  tests: RoundedTest[];
  score: number;
  maxScore: number;
}

export interface RoundedReport {
  exercises: RoundedExercise[];
  score: number;
  maxScore: number;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Groups the report's tests under their exercises (in the report's exercise order; a test whose
 * exercise is not listed gets an exercise built from its tests, at the end) and rounds every score:
 * - test maxScores of an exercise are apportioned so they add up to the exercise's maxScore
 *   (when they did before rounding);
 * - a passed test scores its rounded maxScore, any other test its own rounded score (capped);
 * - an exercise's score is the sum of its tests' rounded scores when the unrounded ones added up
 *   to it, and the report's total the sum of the exercises' when they added up to it. Otherwise
 *   (an inconsistent report) each number is rounded on its own rather than silently changed.
 */
export function roundReport(report: GradeReport): RoundedReport {
  const bySlug = new Map<string, TimedTestResult[]>();
  for (const t of report.tests) {
    const list = bySlug.get(t.exercise);
    if (list) list.push(t);
    else bySlug.set(t.exercise, [t]);
  }
  const listed = new Set(report.exercises.map((e) => e.slug));
  const orphans: ExerciseResult[] = [...bySlug.keys()]
    .filter((slug) => !listed.has(slug))
    .map((slug) => {
      const tests = bySlug.get(slug)!;
      const score = tests.reduce((a, t) => a + t.score, 0);
      const maxScore = tests.reduce((a, t) => a + t.maxScore, 0);
      return { slug, score, maxScore, status: close(score, maxScore) ? 'passed' : 'failed' };
    });

  const exercises = [...report.exercises, ...orphans].map((exercise): RoundedExercise => {
    const tests = bySlug.get(exercise.slug) ?? [];
    const rawMax = tests.reduce((a, t) => a + t.maxScore, 0);
    const maxUnits = toUnits(exercise.maxScore);
    const testMax = close(rawMax, exercise.maxScore)
      ? apportionUnits(tests.map((t) => t.maxScore), maxUnits)
      : tests.map((t) => toUnits(t.maxScore));
    const testScore = tests.map((t, i) =>
      t.status === 'passed' ? testMax[i]! : Math.min(Math.max(toUnits(t.score), 0), testMax[i]!),
    );
    const rawScore = tests.reduce((a, t) => a + t.score, 0);
    const scoreUnits =
      tests.length > 0 && close(rawScore, exercise.score)
        ? testScore.reduce((a, b) => a + b, 0)
        : toUnits(exercise.score);
    return {
      exercise,
      tests: tests.map((test, i) => ({ test, score: fromUnits(testScore[i]!), maxScore: fromUnits(testMax[i]!) })),
      score: fromUnits(scoreUnits),
      maxScore: fromUnits(maxUnits),
    };
  });

  const rawTotal = exercises.reduce((a, e) => a + e.exercise.score, 0);
  const rawMaxTotal = exercises.reduce((a, e) => a + e.exercise.maxScore, 0);
  const score = close(rawTotal, report.score) ? sumScores(exercises.map((e) => e.score)) : roundScore(report.score);
  const maxScore = close(rawMaxTotal, report.maxScore)
    ? sumScores(exercises.map((e) => e.maxScore))
    : roundScore(report.maxScore);
  return { exercises, score, maxScore };
}
