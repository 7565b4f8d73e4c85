/**
 * The Gradescope report: /autograder/results/results.json per Gradescope's autograder spec.
 *
 * - `number` is "<exercise>.<test>": the exercise's number from its slug ('02-backprop' → 2) and
 *   the test's position in it (1-based), so Gradescope sorts tests in course order.
 * - Visibility: the course's `hidden` means "name and score show, expected values never"
 *   (spec/COURSE.md, Grading), while Gradescope's `hidden` hides the whole test from the student.
 *   So manifest `visible` → `visible`, `after_due_date` → `after_due_date`, and `hidden` →
 *   `visible` with only the suites' sanitized message as output (they never put fixture values in a
 *   hidden test's message); extra_data.visibility keeps the manifest's word.
 * - The top-level `output` is a summary (how the upload was read: which exercise files were found
 *   where, which are missing, what was refused; per-exercise points, total, next step): it is
 *   always visible, so it never carries a test's message, and its points, total and next step
 *   count only the tests Gradescope shows now. Gradescope hides an `after_due_date` test, and the
 *   total, until the due date; a summary of every test told a student, before then, which of those
 *   tests they passed (an exercise's points short of what its visible tests explain).
 * - The next step is read on Gradescope's page, by a student who uploaded files and has no
 *   gradlab command there: it names the exercise and gives its hints (the manifest's questions,
 *   the same as `npm run hint` prints in the student's copy of the course) and its README.
 */
import type { GradeReport, TestStatus, Visibility } from '../results.js';
import { describeConfinement } from '../sandbox/confine.js';
import { roundReport, sumScores, type RoundedReport, type RoundedTest } from './round.js';
import { escapeControls } from './sanitize.js';
import { findExercise } from '../manifest.js';
import { formatPoints, nextExercise } from './text.js';
import { validate } from './validate.js';

type GsVisibility = 'hidden' | 'after_due_date' | 'after_published' | 'visible';

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  visibility: GsVisibility;
  tags: string[];
  output: string;
  output_format: 'text';
  extra_data: { id: string; status: TestStatus; visibility: Visibility; diagnosis?: { id: string; hint: string } };
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  output_format: 'text';
  tests: GradescopeTest[];
}

/** Manifest visibility → Gradescope visibility (see the module comment for `hidden`). */
export const GRADESCOPE_VISIBILITY: Record<Visibility, GsVisibility> = {
  visible: 'visible',
  after_due_date: 'after_due_date',
  hidden: 'visible',
};

/** The exercise's number from its slug ('01-activations' → 1), or its 1-based position. */
function exerciseNumber(slug: string, index: number): number {
  const n = Number.parseInt(slug, 10);
  return Number.isFinite(n) ? n : index + 1;
}

function testOutput(message: string, diagnosis: { id: string; hint: string } | undefined): string {
  const lines = [escapeControls(message)];
  if (diagnosis) lines.push(`Known mistake ${escapeControls(diagnosis.id)}: ${escapeControls(diagnosis.hint)}`);
  return lines.filter(Boolean).join('\n\n');
}

/** What to do next, for a reader of Gradescope's page: the exercise, its README and its hints, here. */
export function gradescopeNext(report: GradeReport, rounded = roundReport(report)): string {
  const next = nextExercise(report, rounded);
  return 'line' in next ? next.line : hintsFor(next.slug);
}

/** An exercise, its README and its hints, for a reader of Gradescope's page. */
function hintsFor(slug: string): string {
  const ex = findExercise(slug);
  return [
    `Next: ${ex.slug} (${ex.title}). Read exercises/${ex.folder}/README.md again, then ask yourself:`,
    ...ex.hints.map((h, i) => `  ${i + 1}. ${h}`),
  ].join('\n');
}

/** The results.json object, validated against grader/schemas/gradescope.schema.json. */
export function toGradescope(report: GradeReport): GradescopeResults {
  if (report.refused) {
    // as run_autograder's own fallback: no test, so Gradescope shows the sentence and no test result
    return validate('gradescope', {
      score: 0,
      execution_time: 0,
      output: `The autograder refused to grade this submission: ${escapeControls(report.refused)}. This is not a problem with your files: please tell the course staff.`,
      output_format: 'text',
      tests: [],
    } satisfies GradescopeResults);
  }
  const rounded = roundReport(report);
  const tests = rounded.exercises.flatMap((ex, i) =>
    ex.tests.map(({ test, score, maxScore }, j): GradescopeTest => {
      const extra: GradescopeTest['extra_data'] = { id: test.id, status: test.status, visibility: test.visibility };
      if (test.diagnosis) extra.diagnosis = { id: test.diagnosis.id, hint: test.diagnosis.hint };
      return {
        name: test.name,
        number: `${exerciseNumber(ex.exercise.slug, i)}.${j + 1}`,
        score,
        max_score: maxScore,
        status: test.status === 'passed' ? 'passed' : 'failed',
        visibility: GRADESCOPE_VISIBILITY[test.visibility],
        tags: [ex.exercise.slug],
        output: test.status === 'passed' ? '' : testOutput(test.message, test.diagnosis),
        output_format: 'text',
        extra_data: extra,
      };
    }),
  );
  const summary = [
    // how the upload was read (flat files, a zip with a top folder, a repository): found and missing
    ...(report.intake ? [escapeControls(report.intake), ''] : []),
    ...pointsShownNow(report, rounded),
    // which protections the grading had: the layers' names only (the reasons name host paths)
    ...(report.confinement ? ['', describeConfinement(report.confinement, true)] : []),
  ].join('\n');
  return validate('gradescope', {
    score: rounded.score,
    execution_time: Math.max(0, Math.round(report.durationMs / 1000)),
    output: summary,
    output_format: 'text',
    tests,
  } satisfies GradescopeResults);
}

/**
 * The summary's points, total and next step, from the tests Gradescope shows now: every test where
 * none waits for the due date; else, for an exercise with such tests, the points of its others and
 * how many wait, and no total (Gradescope hides it until then too).
 */
function pointsShownNow(report: GradeReport, rounded: RoundedReport): string[] {
  const waits = (t: RoundedTest) => GRADESCOPE_VISIBILITY[t.test.visibility] !== 'visible';
  const line = (slug: string, score: number, max: number, status: string) => `${slug}: ${formatPoints(score)}/${formatPoints(max)} (${status})`;
  if (!rounded.exercises.some((e) => e.tests.some(waits))) {
    return [
      ...rounded.exercises.map((e) => line(e.exercise.slug, e.score, e.maxScore, e.exercise.status)),
      '',
      `Score: ${formatPoints(rounded.score)}/${formatPoints(rounded.maxScore)}`,
      gradescopeNext(report, rounded),
    ];
  }
  const shown = rounded.exercises.map((e) => {
    const now = e.tests.filter((t) => !waits(t));
    return {
      e, score: sumScores(now.map((t) => t.score)), maxScore: sumScores(now.map((t) => t.maxScore)),
      waiting: sumScores(e.tests.filter(waits).map((t) => t.maxScore)),
    };
  });
  const todo = shown.find((x) => x.score < x.maxScore);
  return [
    ...shown.map((x) => (x.waiting === 0 ? line(x.e.exercise.slug, x.score, x.maxScore, x.e.exercise.status)
      : `${x.e.exercise.slug}: ${formatPoints(x.score)}/${formatPoints(x.maxScore)} in the tests shown now; ${formatPoints(x.waiting)} points more in tests shown after the due date`)),
    '',
    `Score: shown after the due date (${formatPoints(sumScores(shown.map((x) => x.score)))}/${formatPoints(sumScores(shown.map((x) => x.maxScore)))} in the tests shown now)`,
    todo ? hintsFor(todo.e.exercise.slug) : 'Next: every test shown now passes; the others are shown after the due date.',
  ];
}

/** `--format gradescope`: results.json text. */
export function renderGradescope(report: GradeReport): string {
  return `${JSON.stringify(toGradescope(report), null, 2)}\n`;
}
