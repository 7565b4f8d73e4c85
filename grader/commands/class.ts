/**
 * `gradlab class <folder>`: grades a whole class in ONE vitest run (the compiled suites, the
 * loaded fixtures and the workers are shared) and writes a gradebook. Every sub-folder of
 * <folder> is one student's submission, named by the folder; a sub-folder that holds an
 * `exercises/` folder (a cloned student repository) is graded from there.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { checkExercises, parseCommandArgs, parseTimeout } from './args.js';
import type { GradeReport } from '../results.js';

const HELP = `Usage: gradlab class <folder> [--exercise SLUG]... [--gradebook FILE] [--results DIR] [--timeout MS]

Grades every sub-folder of <folder> as one student's submission, in one run.

Options:
  --exercise, -e SLUG   grade only this exercise (repeatable)
  --gradebook FILE      the gradebook CSV (default: gradebook.csv)
  --results DIR         also write each student's native results as DIR/<student>.json
  --timeout MS          per-call time limit for student code (default 5000)`;

export interface Student { name: string; dir: string }

/** The students of a class folder: its sub-folders, sorted, each graded from exercises/ when it has one. */
export function findStudents(folder: string): Student[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new CliError('E_NO_SUBMISSION', `the class folder '${folder}' does not exist: pass a folder with one sub-folder per student`);
  }
  const students = readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = path.join(folder, name);
      return { name, dir: existsSync(path.join(dir, 'exercises')) ? path.join(dir, 'exercises') : dir };
    });
  if (students.length === 0) throw new CliError('E_NO_SUBMISSION', `'${folder}' has no sub-folders: put one folder per student in it (each shaped like exercises/)`);
  return students;
}

function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per student: total, each exercise's score, and the exercises that could not be graded. */
export function renderGradebook(students: Student[], reports: GradeReport[]): string {
  const slugs = reports[0]?.exercises.map((e) => e.slug) ?? [];
  const header = ['student', 'score', 'max_score', ...slugs, 'problems'];
  const rows = students.map((s, i) => {
    const r = reports[i];
    const problems = r.exercises.filter((e) => e.status === 'error' || e.status === 'missing').map((e) => `${e.slug}: ${e.status}`).join('; ');
    return [s.name, r.score, r.maxScore, ...r.exercises.map((e) => e.score), problems];
  });
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

/** A fixed-width summary for the terminal. */
export function renderSummary(students: Student[], reports: GradeReport[]): string {
  const width = Math.max(7, ...students.map((s) => s.name.length));
  const slugs = reports[0]?.exercises.map((e) => e.slug.slice(0, 2)) ?? [];
  const lines = [`${'student'.padEnd(width)}  ${'score'.padStart(9)}  ${slugs.map((s) => s.padStart(5)).join(' ')}`];
  students.forEach((s, i) => {
    const r = reports[i];
    lines.push(`${s.name.padEnd(width)}  ${`${r.score}/${r.maxScore}`.padStart(9)}  ${r.exercises.map((e) => String(e.score).padStart(5)).join(' ')}`);
  });
  const mean = reports.reduce((a, r) => a + r.score, 0) / reports.length;
  lines.push('', `${students.length} students, mean ${Math.round(mean * 100) / 100}/${reports[0]?.maxScore ?? 0}.`);
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
  const { gradeSubmissions } = await import('../runner.js');
  const reports = await gradeSubmissions(students.map((s) => s.dir), { exercises, callTimeoutMs: timeoutMs });
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
