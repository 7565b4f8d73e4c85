/**
 * The text report: what a student or teacher reads in a terminal.
 *
 *   01-activations  18/20  failed  41 ms
 *     passed            2/2   12 ms  sigmoid matches the grid
 *     failed            0/2    3 ms  sigmoidGrad is 0.25 at x = 0 and never larger
 *         expected 0.25 at x = 0, got 0.5 (relative error 1)
 *   …
 *   Score: 87.5/100
 *   Next: run `npx gradlab hint 02-backprop`
 *
 * (read in the course repository, where `npx gradlab` is this grader; Gradescope's summary names
 * what its reader has instead: see gradescope.ts)
 *
 * Messages are printed as the suites wrote them (hidden tests' messages arrive without fixture
 * values) after escaping control characters, and indented, so a student's exception message can
 * neither redraw the table nor forge the `Score:` line.
 */
import type { GradeReport, TestStatus, Visibility } from '../results.js';
import { describeConfinement } from '../sandbox/confine.js';
import { roundReport, roundScore, type RoundedReport } from './round.js';
import { safeMessage } from './sanitize.js';

export interface TextOptions {
  /** ANSI colours; the CLI passes `process.stdout.isTTY`. Default: none. */
  color?: boolean;
  /** Leave out `after_due_date` tests' messages, for a log the student reads before the due date. */
  hideAfterDueDate?: boolean;
}

const ANSI = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
type Style = keyof typeof ANSI;

const STATUS_STYLE: Record<TestStatus, Style> = {
  passed: 'green',
  failed: 'red',
  error: 'yellow',
  timeout: 'yellow',
  'not-implemented': 'dim',
  missing: 'dim',
};

const VISIBILITY_TAG: Record<Visibility, string> = { visible: '', after_due_date: ' [after due date]', hidden: ' [hidden]' };

/** Points as the reports print them: at most 4 decimals, no trailing zeros (`87.5`, `6.6667`). */
export function formatPoints(points: number): string {
  return String(roundScore(points));
}

/** Milliseconds as `12 ms` below a second, `1.2 s` above. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The first exercise not at full marks, or the line to print when there is none. */
export function nextExercise(report: GradeReport, rounded: RoundedReport = roundReport(report)): { slug: string } | { line: string } {
  if (rounded.exercises.length === 0) {
    return { line: 'Next: no exercise was graded; check the submission folder and the --exercise flags.' };
  }
  const todo = rounded.exercises.find((e) => e.score < e.maxScore);
  if (!todo) return { line: 'Next: every exercise is at full marks; nothing left to do.' };
  return { slug: todo.exercise.slug };
}

/** The line that tells the student what to do next, in the course repository (where `npx gradlab` is this grader). */
export function nextStep(report: GradeReport, rounded: RoundedReport = roundReport(report)): string {
  const next = nextExercise(report, rounded);
  return 'line' in next ? next.line : `Next: run \`npx gradlab hint ${next.slug}\``;
}

export function renderText(report: GradeReport, options: TextOptions = {}): string {
  if (report.refused) return `gradlab grade ${safeMessage(report.submission)}: ${safeMessage(report.refused)}\n`;
  const paint = (style: Style, s: string) => (options.color ? `\x1b[${ANSI[style]}m${s}\x1b[0m` : s);
  const rounded = roundReport(report);
  const rows = rounded.exercises.flatMap((e) => e.tests);
  const pointsWidth = Math.max(6, ...rows.map((r) => `${formatPoints(r.score)}/${formatPoints(r.maxScore)}`.length));
  const statusWidth = Math.max(...rows.map((r) => r.test.status.length), 6);
  const timeWidth = Math.max(4, ...rows.map((r) => formatDuration(r.test.durationMs).length));

  const out: string[] = [paint('bold', `gradlab grade ${safeMessage(report.submission)}`), ''];
  for (const ex of rounded.exercises) {
    const slug = ex.exercise.slug;
    const time = ex.tests.reduce((a, t) => a + t.test.durationMs, 0);
    out.push(
      `${paint('bold', slug)}  ${formatPoints(ex.score)}/${formatPoints(ex.maxScore)}  ` +
        `${ex.exercise.status}  ${formatDuration(time)}`,
    );
    if (ex.tests.length === 0) out.push('  (no tests ran)');
    // one cause for every test (a missing file, a module that does not load): said once, under the exercise
    const first = ex.tests[0]?.test;
    const shared = ex.tests.length > 1 && first.status !== 'passed' && first.message.trim() !== '' &&
      ex.tests.every(({ test }) => test.status === first.status && test.message === first.message && !test.diagnosis) ? first.message : null;
    if (shared) for (const line of safeMessage(shared).split('\n')) if (line.trim()) out.push(`  ${line}`);
    for (const { test, score, maxScore } of ex.tests) {
      const prefix = `${slug} › `;
      const name = test.name.startsWith(prefix) ? test.name.slice(prefix.length) : test.name;
      out.push(
        `  ${paint(STATUS_STYLE[test.status], test.status.padEnd(statusWidth))}  ` +
          `${`${formatPoints(score)}/${formatPoints(maxScore)}`.padStart(pointsWidth)}  ` +
          `${formatDuration(test.durationMs).padStart(timeWidth)}  ${name}${VISIBILITY_TAG[test.visibility]}`,
      );
      if (test.status === 'passed' || shared !== null) continue;
      if (options.hideAfterDueDate && test.visibility === 'after_due_date') {
        out.push('      (details are shown after the due date)');
        continue;
      }
      for (const line of safeMessage(test.message).split('\n')) if (line.trim()) out.push(`      ${line}`);
      if (test.diagnosis) {
        const hint = safeMessage(test.diagnosis.hint).replace(/\n/g, '\n        ');
        out.push(`      ${paint('cyan', `known mistake ${safeMessage(test.diagnosis.id)}:`)} ${hint}`);
      }
    }
    out.push('');
  }
  out.push(paint('bold', `Score: ${formatPoints(rounded.score)}/${formatPoints(rounded.maxScore)}`));
  out.push(nextStep(report, rounded));
  if (report.confinement) out.push(describeConfinement(report.confinement));
  return `${out.join('\n')}\n`;
}
