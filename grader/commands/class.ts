/**
 * `gradlab class <folder>`: grades a whole class in ONE vitest run (the compiled suites, the
 * loaded fixtures and the workers are shared) and writes a gradebook. Every entry of <folder> is
 * one student (see class/students.ts): graded, or listed as refused with the reason.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { csv, terminalName } from '../class/text.js';
import { findStudents, type Student } from '../class/students.js';
import { CliError } from '../errors.js';
import { checkExercises, parseCommandArgs, parseTimeout } from './args.js';
import { reportWithoutGrading } from './grade.js';
import type { GradeReport } from '../results.js';

const HELP = `Usage: gradlab class <folder> [--exercise SLUG]... [--gradebook FILE] [--results DIR] [--timeout MS]

Grades every sub-folder of <folder> as one student's submission, in one run.

Options:
  --exercise, -e SLUG   grade only this exercise (repeatable)
  --gradebook FILE      the gradebook CSV (default: gradebook.csv)
  --results DIR         also write each student's native results as DIR/<student>.json
  --timeout MS          CPU time one call of student code may use (default 5000)`;

/** One row per student: status, total, each exercise's score, and what went wrong (a refusal's reason, exercises that could not be graded). */
export function renderGradebook(students: Student[], reports: GradeReport[]): string {
  const slugs = reports[0]?.exercises.map((e) => e.slug) ?? [];
  const header = ['student', 'status', 'score', 'max_score', ...slugs, 'problems'];
  const rows = students.map((s, i) => {
    const r = reports[i];
    const problems = s.refused ?? r.exercises.filter((e) => e.status === 'error' || e.status === 'missing').map((e) => `${e.slug}: ${e.status}`).join('; ');
    return [s.name, s.refused ? 'refused' : 'graded', r.score, r.maxScore, ...r.exercises.map((e) => e.score), problems];
  });
  return csv([header, ...rows]);
}

/** A fixed-width summary for the terminal; names made inert (see text.ts). */
export function renderSummary(students: Student[], reports: GradeReport[]): string {
  const names = students.map((s) => terminalName(s.name));
  const width = Math.max(7, ...names.map((n) => n.length));
  const slugs = reports[0]?.exercises.map((e) => e.slug.slice(0, 2)) ?? [];
  const lines = [`${'student'.padEnd(width)}  ${'score'.padStart(9)}  ${slugs.map((s) => s.padStart(5)).join(' ')}`];
  students.forEach((s, i) => {
    const r = reports[i];
    const scores = s.refused ? `refused: ${terminalName(s.refused)}` : r.exercises.map((e) => String(e.score).padStart(5)).join(' ');
    lines.push(`${names[i].padEnd(width)}  ${`${r.score}/${r.maxScore}`.padStart(9)}  ${scores}`);
  });
  const mean = reports.reduce((a, r) => a + r.score, 0) / reports.length;
  const refused = students.filter((s) => s.refused).length;
  lines.push('', `${students.length} students${refused ? ` (${refused} refused)` : ''}, mean ${Math.round(mean * 100) / 100}/${reports[0]?.maxScore ?? 0}.`);
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('class', argv, {
    exercise: { type: 'string', short: 'e', multiple: true },
    gradebook: { type: 'string' },
    results: { type: 'string' },
    timeout: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('E_USAGE', `class takes one folder (one sub-folder per student), got ${positionals.length}. See \`gradlab class --help\`.`);
  const exercises = checkExercises(values.exercise);
  const timeoutMs = parseTimeout(values.timeout);

  const students = findStudents(positionals[0]);
  const graded = students.filter((s): s is Student & { dir: string } => s.dir !== undefined);
  const { gradeSubmissions } = await import('../runner.js');
  const gradedReports = await gradeSubmissions(graded.map((s) => s.dir), { exercises, callTimeoutMs: timeoutMs });
  const reports = students.map((s) => s.refused !== undefined
    ? reportWithoutGrading(s.name, exercises, 'error', `not graded: the student folder ${s.refused}`)
    : gradedReports[graded.indexOf(s)]);
  reports.forEach((r, i) => { r.submission = students[i].name; });

  const gradebook = values.gradebook ?? 'gradebook.csv';
  mkdirSync(path.dirname(path.resolve(gradebook)), { recursive: true });
  writeFileSync(gradebook, renderGradebook(students, reports));
  if (values.results) {
    const { renderReport } = await import('../report/index.js');
    mkdirSync(values.results, { recursive: true });
    reports.forEach((r, i) => writeFileSync(path.join(values.results as string, `${students[i].name}.json`), renderReport('json', r)));
  }
  process.stdout.write(`${renderSummary(students, reports)}\nGradebook: ${gradebook}${values.results ? `; per-student results in ${values.results}/` : ''}.\n`);
  return 0;
}
