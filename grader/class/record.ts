/**
 * One student's record in a class results folder (`<results>/students/<name>.json`, or a shortened
 * name for a long one: recordFileName): the native
 * results plus who graded, when, and what was graded. The records are the class's state: the
 * gradebook, merge, diff, the class report and the LMS export are all rendered from them, and
 * incremental regrading reuses a record whose submission and grading key are unchanged.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { intakeSubmission } from '../intake.js';
import type { ManifestExercise } from '../manifest.js';
import type { Results } from '../results.js';
import { terminalName } from './text.js';
import { hashTree, type GraderVersion } from './version.js';

export const RECORD_STATUSES = ['graded', 'refused', 'not-graded'] as const;
export type RecordStatus = typeof RECORD_STATUSES[number];

export interface StudentRecord {
  /** The student's folder name. */
  student: string;
  /**
   * graded: the suites ran; refused: the folder could not be graded (see `reason`); not-graded: a
   * `--only` run graded other students and this one had no record yet (no score: never a 0).
   */
  status: RecordStatus;
  reason?: string;
  grader: GraderVersion;
  /** Hash of the grader fingerprint, the graded exercises and the per-call limit. */
  gradingKey: string;
  /** Hash of what grading reads (the intake's copy of the submission); null when refused. */
  submissionHash: string | null;
  /** When this student was graded (ISO 8601, UTC). A timing: differs between identical runs. */
  gradedAt: string;
  /** false when the grader, not the student, left tests without a result: regraded next run. */
  complete: boolean;
  /** The native results; `durationMs` is this student's own time in the run (a timing). */
  results: Results;
}

/** The fields that vary between two runs of the same grading (left out when comparing runs). */
export const TIMINGS = ['gradedAt', 'results.durationMs'] as const;

/** The record without its timings, for comparing runs. */
export function withoutTimings(r: StudentRecord): Omit<StudentRecord, 'gradedAt'> {
  const { gradedAt: _gradedAt, ...rest } = r;
  return { ...rest, results: { ...r.results, durationMs: 0 } };
}

/**
 * Hash of what grading reads: the intake's copy of the submission (the exercise files it found,
 * wherever the layout put them, with its refusals), for the chosen exercises. The copy is made
 * the same way grading makes it, so a change the grade can see changes the hash.
 */
export function submissionHash(dir: string, exercises: ManifestExercise[]): string {
  const intake = intakeSubmission(dir, { exercises });
  try {
    const hash = createHash('sha256');
    hash.update(JSON.stringify({ layout: intake.layout, refused: intake.refused, found: intake.found.map((f) => [f.folder, f.file]) }));
    hashTree(hash, intake.root);
    return hash.digest('hex');
  } finally {
    intake.cleanup();
  }
}

/** What must match, besides the submission, for a record to be reused. */
export function gradingKey(fingerprint: string, exercises: string[], callTimeoutMs: number): string {
  return createHash('sha256').update(JSON.stringify({ fingerprint, exercises, callTimeoutMs })).digest('hex');
}

export const STUDENTS_DIR = 'students';

/**
 * The longest record file name, in bytes. File systems allow 255 bytes a name, and writing adds
 * `.<pid>.tmp`: a student's folder name of 245 characters (theirs to choose) made the class run
 * fail before its gradebook was written.
 */
export const MAX_RECORD_FILE_BYTES = 200;
/** What only a shortened record file name ends with: `~`, 16 hex digits of the name's sha256, `.json` (in any case, below). */
const SHORTENED = /~[0-9a-f]{16}\.json$/i; // any case: on a case-insensitive file system `…~ABC….json` is `…~abc….json`

/**
 * A student's record file name: `<name>.json`, or for a name too long for that (or one that ends as
 * only a shortened name may, so that no folder name can take another student's file) its first
 * characters (at most 100 bytes), `~` and 16 hex digits of a sha256 of the whole name.
 */
export function recordFileName(student: string): string {
  const plain = `${student}.json`;
  if (Buffer.byteLength(plain, 'utf8') <= MAX_RECORD_FILE_BYTES && !SHORTENED.test(plain)) return plain;
  let prefix = '';
  for (const ch of student) {
    if (Buffer.byteLength(prefix + ch, 'utf8') > 100) break;
    prefix += ch;
  }
  return `${prefix}~${createHash('sha256').update(student, 'utf8').digest('hex').slice(0, 16)}.json`;
}

function recordFile(resultsDir: string, student: string): string {
  return path.join(resultsDir, STUDENTS_DIR, recordFileName(student));
}

/** Writes a record atomically (a temporary file renamed into place). */
export function writeRecord(resultsDir: string, record: StudentRecord): void {
  const file = recordFile(resultsDir, record.student);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(tmp, file);
  } catch (err) {
    try { rmSync(tmp, { force: true }); } catch { /* nothing was written */ }
    const code = (err as NodeJS.ErrnoException).code;
    const todo = code === 'ENOSPC' || code === 'EDQUOT' ? 'make room on that disk'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'pass a --results folder you can write'
        : `make ${terminalName(path.dirname(file))} a folder you can write, or pass another --results folder`;
    // the student's folder name is in the path: shown as the terminal summary shows names
    throw new CliError('E_RESULTS', `could not write the record ${terminalName(file)} (${code ?? (err as Error).message}): ${todo}, then run the same command again`);
  }
}

/**
 * Writes these records and removes every other record of the folder: a results folder holds exactly
 * one run's (or one merge's) students, so no stale record leaks into a later merge.
 */
export function writeRecords(resultsDir: string, records: StudentRecord[]): void {
  const dir = path.join(resultsDir, STUDENTS_DIR);
  mkdirSync(dir, { recursive: true });
  const keep = new Set(records.map((r) => recordFileName(r.student)));
  for (const f of readdirSync(dir)) if (f.endsWith('.json') && !keep.has(f)) rmSync(path.join(dir, f), { force: true });
  for (const r of records) writeRecord(resultsDir, r);
}

function isRecord(x: unknown): x is StudentRecord {
  const r = x as StudentRecord;
  return !!r && typeof r === 'object' && typeof r.student === 'string' && RECORD_STATUSES.includes(r.status) &&
    typeof r.gradingKey === 'string' && typeof r.gradedAt === 'string' && !!r.results && Array.isArray(r.results.tests) &&
    Array.isArray(r.results.exercises) && !!r.grader && typeof r.grader.commit === 'string';
}

function parseRecord(file: string): StudentRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError('E_RESULTS', `${file} is not a gradlab student record (${(err as Error).message}): remove it, or grade again`);
  }
  if (!isRecord(parsed)) throw new CliError('E_RESULTS', `${file} is not a gradlab student record (fields missing): remove it, or grade again`);
  return parsed;
}

/** The record of one student, or null when there is none (or the file holds another name's: never theirs to reuse). */
export function readRecord(resultsDir: string, student: string): StudentRecord | null {
  const file = recordFile(resultsDir, student);
  if (!existsSync(file)) return null;
  const record = parseRecord(file);
  return record.student === student ? record : null;
}

/** Every record of a results folder, sorted by student name. */
export function readAllRecords(resultsDir: string): StudentRecord[] {
  const dir = path.join(resultsDir, STUDENTS_DIR);
  if (!existsSync(dir)) throw new CliError('E_RESULTS', `'${resultsDir}' is not a gradlab class results folder (it has no ${STUDENTS_DIR}/): pass the folder given to \`gradlab class --results\``);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => parseRecord(path.join(dir, f)))
    .sort(byStudent);
}

/** The exercises a set of records was graded on (every record of one run holds the same), sorted. */
export function exercisesOf(records: StudentRecord[]): string[] {
  return [...new Set(records.flatMap((r) => r.results.exercises.map((e) => e.slug)))].sort();
}

/** The score a record gives, or '' when the student was not graded yet (an empty cell, never a 0). */
export function scoreOf(r: StudentRecord): number | '' {
  return r.status === 'not-graded' ? '' : r.results.score;
}

/** Code-unit order of names: the same on every machine, whatever its locale. */
export function byStudent(a: { student: string }, b: { student: string }): number {
  return a.student < b.student ? -1 : a.student > b.student ? 1 : 0;
}
