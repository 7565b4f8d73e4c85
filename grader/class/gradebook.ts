/**
 * The gradebook CSV and the terminal summary, both rendered from student records (record.ts), so
 * one run, a merge of shards and a regrade produce the same file for the same grades.
 */
import { loadManifest } from '../manifest.js';
import { csv, terminalName } from './text.js';
import { scoreOf, type StudentRecord } from './record.js';
import { describeVersion } from './version.js';

/** The exercises graded in any of the records, in course order. */
export function gradedSlugs(records: StudentRecord[]): string[] {
  const seen = new Set(records.flatMap((r) => r.results.exercises.map((e) => e.slug)));
  return loadManifest().exercises.map((e) => e.slug).filter((s) => seen.has(s));
}

/** The first line of a message, at most `max` characters: enough to say why, short enough for a cell. */
function firstLine(message: string, max = 120): string {
  const line = message.trim().split('\n')[0].trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/**
 * What went wrong for one student, in a few words: a refusal's reason; each exercise that could
 * not be graded, with the first line of why (a compile error says which line); the exercises not
 * started (their stub still throws); a grading the grader left incomplete.
 */
export function problemsOf(r: StudentRecord): string {
  if (r.status !== 'graded') return r.reason ?? r.status;
  const problems = r.results.exercises.filter((e) => e.status === 'error' || e.status === 'missing').map((e) => {
    if (e.status === 'missing') return `${e.slug}: missing`;
    const why = r.results.tests.find((t) => t.exercise === e.slug && t.message !== '')?.message;
    return why ? `${e.slug}: error (${firstLine(why)})` : `${e.slug}: error`;
  });
  const notStarted = r.results.exercises.filter((e) => e.status === 'not-implemented');
  if (notStarted.length) problems.push(`not started: ${notStarted.map((e) => e.slug.slice(0, 2)).join(', ')} (${notStarted.length} of ${r.results.exercises.length} exercises)`);
  if (!r.complete) problems.push('grading incomplete (the grader stopped): grade again');
  return problems.join('; ');
}

/**
 * The sandbox a student's code ran in, in a few words: `whole` (every required layer in force),
 * `missing <layers>`, or empty when none of their code ran or the record predates the field.
 */
export function sandboxOf(r: StudentRecord): string {
  const c = r.status === 'graded' ? r.results.confinement : undefined;
  if (!c) return '';
  return c.missing.length === 0 ? 'whole' : `missing ${c.missing.join(', ')}`;
}

/**
 * One row per student: status, total, each exercise's score (empty if that exercise was not
 * graded for them, and every score empty for a student not graded yet), what went wrong, which
 * sandbox layers were missing (sandboxOf), when
 * they were graded (or listed) and by which grader.
 */
export function renderGradebook(records: StudentRecord[]): string {
  const slugs = gradedSlugs(records);
  const header = ['student', 'status', 'score', 'max_score', ...slugs, 'problems', 'sandbox', 'graded_at', 'grader'];
  const rows = records.map((r) => {
    const bySlug = new Map(r.status === 'not-graded' ? [] : r.results.exercises.map((e) => [e.slug, e.score]));
    return [r.student, r.status, scoreOf(r), r.results.maxScore, ...slugs.map((s) => bySlug.get(s) ?? ''), problemsOf(r), sandboxOf(r), r.gradedAt, describeVersion(r.grader)];
  });
  return csv([header, ...rows]);
}

/** A fixed-width summary for the terminal; names made inert (see text.ts). */
export function renderSummary(records: StudentRecord[]): string {
  const slugs = gradedSlugs(records);
  const names = records.map((r) => terminalName(r.student));
  const width = Math.max(7, ...names.map((n) => n.length));
  const totals = records.map((r) => `${scoreOf(r) === '' ? '–' : r.results.score}/${r.results.maxScore}`);
  const bySlug = records.map((r) => new Map(r.results.exercises.map((e) => [e.slug, String(e.score)])));
  // each column as wide as its widest cell: a score like 13.125 or 96.625/100 never shifts a row
  const totalWidth = Math.max(9, ...totals.map((t) => t.length));
  const columns = slugs.map((s) => Math.max(5, ...bySlug.map((m) => (m.get(s) ?? '').length)));
  const lines = [`${'student'.padEnd(width)}  ${'score'.padStart(totalWidth)}  ${slugs.map((s, j) => s.slice(0, 2).padStart(columns[j])).join(' ')}`];
  records.forEach((r, i) => {
    const scores = r.status === 'refused' ? `refused: ${terminalName(r.reason ?? '')}`
      : r.status === 'not-graded' ? 'not graded yet'
        : slugs.map((s, j) => (bySlug[i].get(s) ?? '–').padStart(columns[j])).join(' ');
    lines.push(`${names[i].padEnd(width)}  ${totals[i].padStart(totalWidth)}  ${scores}`);
  });
  const graded = records.filter((r) => r.status === 'graded');
  const mean = graded.reduce((a, r) => a + r.results.score, 0) / Math.max(1, graded.length);
  const maxScore = Math.max(0, ...records.map((r) => r.results.maxScore));
  const others = [['refused', 'refused'], ['not-graded', 'not graded yet']].flatMap(([status, words]) => {
    const n = records.filter((r) => r.status === status).length;
    return n ? [`${n} ${words}`] : [];
  });
  lines.push('', `${records.length} students${others.length ? ` (${others.join(', ')})` : ''}, mean of the ${graded.length} graded ${Math.round(mean * 100) / 100}/${maxScore}.`);
  return lines.join('\n');
}
