/**
 * The students of a class folder. Every entry of the folder (except dot-entries such as `.git`)
 * is one student, named by the entry: a real folder is graded (from its `exercises/` when it has
 * one, as in a cloned repository); anything else is refused with the reason, so that nobody is
 * silently left out of the gradebook. Nothing is followed: a link is refused, never resolved.
 * A student `gradlab collect` refused (class/collect.ts: their repository broke a limit) is refused
 * here with its reason, folder or not.
 */
import { readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { COLLECT_REFUSALS, readCollectRefusals } from './collect.js';

/** A student graded from `dir`, or refused with a reason a TA can act on. */
export type Student =
  | { name: string; dir: string; refused?: undefined }
  | { name: string; dir?: undefined; refused: string };

function kindOf(entry: Dirent): string | null {
  if (entry.isSymbolicLink()) return 'is a symbolic link (links are never followed: copy the student\'s files into a real folder)';
  if (entry.isFile()) return 'is a file, not a folder (each student needs a folder shaped like exercises/)';
  if (!entry.isDirectory()) return 'is not a folder (a special file)';
  return null;
}

function readFolder(dir: string): Dirent[] | string {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    return `cannot be read (${code}): give the grader read access to it`;
  }
}

/** Where one student's exercises are, or why they cannot be graded. */
function locate(dir: string): { dir: string } | { refused: string } {
  const entries = readFolder(dir);
  if (typeof entries === 'string') return { refused: entries };
  if (entries.length === 0) return { refused: 'is empty: the student submitted nothing' };
  const inner = entries.find((e) => e.name === 'exercises');
  if (!inner) return { dir };
  const why = kindOf(inner);
  if (why) return { refused: `has an exercises/ that ${why}` };
  const innerDir = path.join(dir, 'exercises');
  const innerEntries = readFolder(innerDir);
  if (typeof innerEntries === 'string') return { refused: `has an exercises/ that ${innerEntries}` };
  if (innerEntries.length === 0) return { refused: 'has an empty exercises/: the student submitted nothing' };
  return { dir: innerDir };
}

/** Every student of a class folder, sorted by name (code-unit order, the same on every machine). */
export function findStudents(folder: string): Student[] {
  let entries: Dirent<Buffer>[];
  try {
    entries = readdirSync(folder, { withFileTypes: true, encoding: 'buffer' });
  } catch {
    throw new CliError('E_NO_SUBMISSION', `the class folder '${folder}' does not exist or is not a readable folder: pass a folder with one sub-folder per student`);
  }
  let collectRefused: Record<string, string>;
  try {
    collectRefused = readCollectRefusals(folder);
  } catch {
    throw new CliError('E_NO_SUBMISSION', `'${folder}/${COLLECT_REFUSALS}' is not the refusals file \`gradlab collect\` writes: collect the class again into a new folder`);
  }
  const students = entries
    .map((entry): Student | null => {
      const name = entry.name.toString('utf8');
      if (name.startsWith('.')) return null; // .git and the like: never a student
      if (Object.hasOwn(collectRefused, name)) return { name, refused: collectRefused[name] };
      if (!Buffer.from(name, 'utf8').equals(entry.name)) return { name, refused: 'has a name that is not valid UTF-8: rename the folder' };
      const why = kindOf(entry as unknown as Dirent);
      if (why) return { name, refused: why };
      return { name, ...locate(path.join(folder, name)) };
    })
    .filter((s): s is Student => s !== null)
    // refused at collection with no folder at all: still a row, never left out
    .concat(Object.entries(collectRefused).filter(([name]) => !entries.some((e) => e.name.toString('utf8') === name)).map(([name, refused]) => ({ name, refused })))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (students.length === 0) throw new CliError('E_NO_SUBMISSION', `'${folder}' has no sub-folders: put one folder per student in it (each shaped like exercises/)`);
  return students;
}
