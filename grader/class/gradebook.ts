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

/** What went wrong for one student, in a few words: a refusal's reason, exercises that could not be graded. */
export function problemsOf(r: StudentRecord): string {
  if (r.status !== 'graded') return r.reason ?? r.status;
  const problems = r.results.exercises.filter((e) => e.status === 'error' || e.status === 'missing').map((e) => `${e.slug}: ${e.status}`);
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
  const lines = [`${'student'.padEnd(width)}  ${'score'.padStart(9)}  ${slugs.map((s) => s.slice(0, 2).padStart(5)).join(' ')}`];
  records.forEach((r, i) => {
    const bySlug = new Map(r.results.exercises.map((e) => [e.slug, String(e.score)]));
    const scores = r.status === 'refused' ? `refused: ${terminalName(r.reason ?? '')}`
      : r.status === 'not-graded' ? 'not graded yet'
        : slugs.map((s) => (bySlug.get(s) ?? '–').padStart(5)).join(' ');
    lines.push(`${names[i].padEnd(width)}  ${`${scoreOf(r) === '' ? '–' : r.results.score}/${r.results.maxScore}`.padStart(9)}  ${scores}`);
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
