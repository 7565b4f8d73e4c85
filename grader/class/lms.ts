/**
 * Grades for a learning management system. A GitHub Classroom roster export (columns identifier,
 * github_username, github_id, name) maps each student folder — named by the GitHub username (as
 * grade-class.yml's `gradlab collect` names them), or with `--prefix` given, by that prefix and the
 * username (`hw1-alice`, as Classroom names repositories) — to the student the LMS knows.
 *
 * Canvas: a gradebook-import CSV (Student, ID, SIS User ID, SIS Login ID, Section, then one column
 * per assignment; Canvas matches a row by one of the identifying columns). Moodle: a plain CSV whose
 * identifier column is mapped to a user field during Moodle's CSV grade import. Every roster
 * student is a row (score empty when they have no folder, were refused or were not graded yet: an
 * LMS leaves an empty cell ungraded, and a refusal is not a zero);
 * every folder or roster row that could not be paired, and every paired student without a grade,
 * is listed in unmatched.csv with the reason, never dropped.
 */
import { parse } from 'csv-parse/sync';
import { CliError } from '../errors.js';
import { scoreOf, type StudentRecord } from './record.js';
import { csv } from './text.js';

export interface RosterEntry { identifier: string; github_username: string; github_id: string; name: string }

const COLUMNS = ['identifier', 'github_username', 'github_id', 'name'] as const;

/** Parses a Classroom roster export; says what is wrong with one that is not. */
export function parseRoster(text: string, file: string): RosterEntry[] {
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw new CliError('E_ROSTER', `${file} is not a readable CSV (${(err as Error).message}): export the roster again from GitHub Classroom`);
  }
  const header = rows.length ? Object.keys(rows[0]) : [];
  const absent = COLUMNS.filter((c) => !header.includes(c));
  if (rows.length === 0 || absent.length) {
    throw new CliError('E_ROSTER', `${file} is not a GitHub Classroom roster: it needs the columns ${COLUMNS.join(', ')}` +
      (rows.length ? ` (missing: ${absent.join(', ')})` : ' and at least one student'));
  }
  return rows.map((r) => ({ identifier: r.identifier, github_username: r.github_username, github_id: r.github_id, name: r.name }));
}

export interface Unmatched { kind: 'folder' | 'roster' | 'refused' | 'not-graded'; folder: string; entry?: RosterEntry; score: number | ''; maxScore: number | ''; reason: string }
export interface Pairing { pairs: Map<RosterEntry, StudentRecord>; unmatched: Unmatched[] }

/**
 * The roster row a folder name belongs to: the one whose GitHub username is the name after
 * `prefix`, exactly (GitHub usernames are case-insensitive). Never a row whose username merely
 * ends the name: usernames may hold '-', so `evil-bob`, a GitHub account anyone can register,
 * would take bob's row (and bob's own folder then made two claims and left his cell empty).
 */
function rosterEntryOf(folder: string, roster: RosterEntry[], prefix: string): RosterEntry | undefined {
  const f = folder.toLowerCase();
  if (!f.startsWith(prefix.toLowerCase())) return undefined;
  const username = f.slice(prefix.length);
  return roster.find((e) => e.github_username !== '' && e.github_username.toLowerCase() === username);
}

/** Why a folder has no roster row, and what to do when its name only looks like `<assignment>-<username>`. */
function whyUnpaired(folder: string, roster: RosterEntry[], prefix: string): string {
  if (!folder.toLowerCase().startsWith(prefix.toLowerCase())) return `the name does not start with --prefix ${prefix}`;
  const f = folder.toLowerCase();
  const ending = roster.find((e) => e.github_username !== '' && f.endsWith(`-${e.github_username.toLowerCase()}`));
  const hint = ending && !prefix
    ? ` (if the folders are named <assignment>-<username>, pass --prefix ${folder.slice(0, folder.length - ending.github_username.length)}; a name is never paired by its ending alone)`
    : '';
  return `no roster row has this GitHub username${hint}`;
}

/** The grade a record gives an LMS: its score when graded, else nothing (a refusal is not a zero). */
const gradeOf = (r: StudentRecord): number | '' => (r.status === 'graded' ? scoreOf(r) : '');

/** `prefix`: what every folder name holds before the GitHub username ('' when the folders are the usernames). */
export function pairStudents(records: StudentRecord[], roster: RosterEntry[], prefix = ''): Pairing {
  const claims = new Map<RosterEntry, StudentRecord[]>();
  const unmatched: Unmatched[] = [];
  for (const r of records) {
    const entry = rosterEntryOf(r.student, roster, prefix);
    if (entry) claims.set(entry, [...(claims.get(entry) ?? []), r]);
    else unmatched.push({ kind: 'folder', folder: r.student, score: gradeOf(r), maxScore: r.results.maxScore, reason: whyUnpaired(r.student, roster, prefix) });
  }
  const pairs = new Map<RosterEntry, StudentRecord>();
  for (const [entry, rs] of claims) {
    const [only] = rs;
    if (rs.length === 1) {
      pairs.set(entry, only);
      // paired, but no grade to give: the cell stays empty and the TA is told why
      if (only.status !== 'graded') unmatched.push({ kind: only.status, folder: only.student, entry, score: '', maxScore: only.results.maxScore, reason: only.reason ?? only.status });
    }
    else for (const r of rs) unmatched.push({ kind: 'folder', folder: r.student, entry, score: gradeOf(r), maxScore: r.results.maxScore, reason: `${rs.length} folders match GitHub user ${entry.github_username}: keep one` });
  }
  for (const entry of roster) {
    if (pairs.has(entry) || claims.has(entry)) continue;
    const reason = entry.github_username === '' ? 'no GitHub account linked in the roster' : 'no submission folder';
    unmatched.push({ kind: 'roster', folder: '', entry, score: '', maxScore: '', reason });
  }
  return { pairs, unmatched };
}

export type CanvasId = 'sis-user-id' | 'sis-login-id';

/** Canvas's gradebook-import CSV: one row per roster student, the identifier in the chosen SIS column. */
export function renderCanvas(roster: RosterEntry[], p: Pairing, assignment: string, id: CanvasId): string {
  const rows = roster.map((e) => {
    return [e.name || e.identifier, '', id === 'sis-user-id' ? e.identifier : '', id === 'sis-login-id' ? e.identifier : '', '', scoreCell(p, e)];
  });
  return csv([['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', assignment], ...rows]);
}

/** A roster student's score cell: empty without a folder or a grade (a refused folder has no grade: never a 0). */
function scoreCell(p: Pairing, e: RosterEntry): number | '' {
  const paired = p.pairs.get(e);
  return paired ? gradeOf(paired) : '';
}

/** A CSV for Moodle's grade import (map "identifier" to the user field it holds). */
export function renderMoodle(roster: RosterEntry[], p: Pairing, assignment: string): string {
  return csv([['identifier', 'name', 'github_username', assignment], ...roster.map((e) => [e.identifier, e.name, e.github_username, scoreCell(p, e)])]);
}

/** Everything that could not be paired, with the reason. */
export function renderUnmatched(p: Pairing): string {
  return csv([['kind', 'student_folder', 'github_username', 'identifier', 'name', 'score', 'max_score', 'reason'],
    ...p.unmatched.map((u) => [u.kind, u.folder, u.entry?.github_username ?? '', u.entry?.identifier ?? '', u.entry?.name ?? '', u.score, u.maxScore, u.reason])]);
}
