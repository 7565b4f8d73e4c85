/**
 * Similarity over a whole class folder: for each exercise of the manifest, every student's file
 * (the students of class/students.ts; a refused entry has no file to compare), the reference
 * solution and the files of earlier years' class folders, compared by compare.ts. Files are read,
 * never run; a link is never followed.
 */
import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { findStudents } from '../class/students.js';
import { loadManifest } from '../manifest.js';
import { EXERCISES_DIR, SOLUTIONS_DIR } from '../paths.js';
import { comparePairs, DEFAULTS, maxSharedFor, THRESHOLD, type SimilarPair, type Submission } from './compare.js';
import { MAX_FILE_BYTES } from './tokens.js';

/** The label of the reference solution wherever a pair shows it. */
export const REFERENCE = 'solutions/';

export interface ExerciseSimilarity {
  slug: string;
  /** The exercise's file, e.g. 02-backprop/backprop.ts. */
  file: string;
  /** How many files of this class, of earlier years, were compared (the reference is always one more). */
  students: number;
  earlier: number;
  /** Files not compared, with why (too large, nested too deep to parse). */
  skipped: Array<{ name: string; reason: string }>;
  /** A fingerprint in more files than this was ignored as code the class shares. */
  maxShared: number;
  /** The pairs at or above the threshold, most similar first. */
  pairs: SimilarPair[];
}

export interface ClassSimilarity { threshold: number; k: number; window: number; exercises: ExerciseSimilarity[] }

/** One file of a submission folder, if it is a regular file small enough to compare. */
function readExerciseFile(file: string): { content: string } | { skipped: string } | null {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st) return null;
  if (!st.isFile()) return { skipped: st.isSymbolicLink() ? 'is a symbolic link (never followed)' : 'is not a regular file' };
  if (st.size > MAX_FILE_BYTES) return { skipped: `is larger than ${MAX_FILE_BYTES / 1024} KB` };
  return { content: readFileSync(file, 'utf8') };
}

/** The submission folders of a class folder (or an earlier year's), named `prefix + folder name`. */
function folders(classDir: string, prefix: string): Array<{ name: string; dir: string }> {
  return findStudents(classDir).flatMap((s) => (s.dir === undefined ? [] : [{ name: prefix + s.name, dir: s.dir }]));
}

export function compareClass(classDir: string, earlierDirs: string[] = [], threshold = THRESHOLD): ClassSimilarity {
  const students = folders(classDir, '');
  const earlier = earlierDirs.flatMap((dir) => folders(dir, `${path.basename(path.resolve(dir))}/`));
  const exercises = loadManifest().exercises.map((ex): ExerciseSimilarity => {
    const rel = path.join(ex.folder, ex.file);
    const skipped: Array<{ name: string; reason: string }> = [];
    const collect = (list: Array<{ name: string; dir: string }>, origin: Submission['origin']) => list.flatMap((s): Submission[] => {
      const read = readExerciseFile(path.join(s.dir, rel));
      if (read && 'skipped' in read) skipped.push({ name: s.name, reason: `${rel} ${read.skipped}` });
      return read && 'content' in read ? [{ name: s.name, origin, content: read.content }] : [];
    });
    const mine = collect(students, 'student');
    const theirs = collect(earlier, 'earlier');
    const files: Submission[] = [...mine, { name: REFERENCE, origin: 'reference', content: readFileSync(path.join(SOLUTIONS_DIR, rel), 'utf8') }, ...theirs];
    const maxShared = maxSharedFor(files.length);
    const compared = comparePairs(files, readFileSync(path.join(EXERCISES_DIR, rel), 'utf8'), { maxShared });
    return {
      slug: ex.slug, file: `${ex.folder}/${ex.file}`, students: mine.length, earlier: theirs.length, maxShared,
      skipped: [...skipped, ...compared.skipped],
      pairs: compared.pairs.filter((p) => p.similarity >= threshold),
    };
  });
  return { threshold, ...DEFAULTS, exercises };
}
