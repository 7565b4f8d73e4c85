/**
 * The native json report: the Results type with exactly its fields (per-test durationMs and the
 * submission path are dropped), scores rounded (see round.ts), validated against
 * grader/schemas/results.schema.json before anything is returned.
 */
import type { ConfinementResult, GradeReport, RefusedResults, Results, TestResult } from '../results.js';
import { roundReport } from './round.js';
import { validate } from './validate.js';

/** The native results, validated; throws ReportValidationError when the grader produced something off-schema. */
export function toResults(report: GradeReport): Results {
  const rounded = roundReport(report);
  const results: Results = {
    score: rounded.score,
    maxScore: rounded.maxScore,
    durationMs: Math.max(0, Math.round(report.durationMs)),
    exercises: rounded.exercises.map((e) => ({
      slug: e.exercise.slug,
      score: e.score,
      maxScore: e.maxScore,
      status: e.exercise.status,
    })),
    tests: rounded.exercises.flatMap((e) =>
      e.tests.map(({ test, score, maxScore }): TestResult => {
        // Field by field, in the documented order, so nothing extra slips through.
        const out: TestResult = {
          id: test.id,
          exercise: test.exercise,
          name: test.name,
          score,
          maxScore,
          status: test.status,
          visibility: test.visibility,
          message: test.message,
        };
        if (test.diagnosis) out.diagnosis = { id: test.diagnosis.id, hint: test.diagnosis.hint };
        return out;
      }),
    ),
  };
  if (report.confinement) results.confinement = confinementResult(report.confinement);
  return validate('results', results);
}

/** The confinement as the schema has it, field by field. */
export function confinementResult(c: ConfinementResult): ConfinementResult {
  return {
    layers: c.layers.map((l) => (l.inForce ? { id: l.id, inForce: true } : { id: l.id, inForce: false, ...(l.why ? { why: l.why } : {}) })),
    missing: [...c.missing],
  };
}

/** The native results file of a run refused by `--require-confinement`: the reason and the layers, no score. */
export function renderRefusedJson(refused: string, c: ConfinementResult): string {
  const out: RefusedResults = { refused, confinement: confinementResult(c) };
  return `${JSON.stringify(validate('results', out), null, 2)}
`;
}

/** `--format json`: the validated native results, pretty-printed, with a final newline. */
export function renderJson(report: GradeReport): string {
  if (report.refused && report.confinement) return renderRefusedJson(report.refused, report.confinement);
  return `${JSON.stringify(toResults(report), null, 2)}\n`;
}
