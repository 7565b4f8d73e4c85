/**
 * A GradeReport from the manifest and one outcome per test: used by the runner after grading,
 * and by the CLI when grading could not happen at all (every test gets the same outcome).
 */
import type { ManifestExercise } from './manifest.js';
import { sumScores } from './report/round.js';
import type { Diagnosis, ExerciseResult, ExerciseStatus, GradeReport, TestStatus, TimedTestResult } from './results.js';

/**
 * No message in any report is longer: the first lines say what went wrong, and a message a student
 * can inflate (20,000 missing imports, an exception text) must not make a report megabytes long.
 */
export const MESSAGE_MAX = 2000;

function capped(text: string): string {
  if (text.length <= MESSAGE_MAX) return text;
  const code = text.charCodeAt(MESSAGE_MAX - 2);
  const end = code >= 0xd800 && code <= 0xdbff ? MESSAGE_MAX - 2 : MESSAGE_MAX - 1; // never split a surrogate pair
  return `${text.slice(0, end)}…`;
}

/** How one test ended, before points are given. */
export interface Outcome { status: TestStatus; message: string; durationMs: number; meta?: { diagnosis?: Diagnosis } }

export function buildReport(
  submission: string, exercises: ManifestExercise[], durationMs: number,
  outcome: (ex: ManifestExercise, testId: string) => Outcome,
): GradeReport {
  const tests: TimedTestResult[] = [];
  const exResults: ExerciseResult[] = exercises.map((ex) => {
    const exTests = ex.tests.map((t): TimedTestResult => {
      const o = outcome(ex, t.id);
      const passed = o.status === 'passed';
      return {
        id: t.id,
        exercise: ex.slug,
        name: `${ex.slug} › ${t.name}`,
        score: passed ? t.points : 0,
        maxScore: t.points,
        status: o.status,
        visibility: t.visibility,
        message: passed ? '' : capped(o.message),
        ...(o.meta?.diagnosis ? { diagnosis: { id: capped(o.meta.diagnosis.id), hint: capped(o.meta.diagnosis.hint) } } : {}),
        durationMs: o.durationMs,
      };
    });
    tests.push(...exTests);
    return { slug: ex.slug, score: sumScores(exTests.map((t) => t.score)), maxScore: ex.points, status: exerciseStatus(exTests) };
  });
  return {
    submission,
    score: sumScores(exResults.map((e) => e.score)),
    maxScore: sumScores(exercises.map((e) => e.points)),
    durationMs,
    exercises: exResults,
    tests,
  };
}

function exerciseStatus(tests: TimedTestResult[]): ExerciseStatus {
  if (tests.every((t) => t.status === 'passed')) return 'passed';
  if (tests.every((t) => t.status === 'missing')) return 'missing';
  if (tests.every((t) => t.status === 'not-implemented')) return 'not-implemented';
  if (tests.every((t) => t.status === 'error' || t.status === 'timeout')) return 'error';
  return 'failed';
}
