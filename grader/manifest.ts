/** The course manifest (exercises/exercises.json), typed. The schema beside it is checked by the tests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXERCISES_DIR } from './paths.js';
import type { Visibility } from './results.js';

export interface ManifestTest {
  id: string;
  name: string;
  points: number;
  visibility: Visibility;
}

export interface ManifestExercise {
  slug: string;
  title: string;
  folder: string;
  file: string;
  functions: string[];
  points: number;
  hints: string[];
  tests: ManifestTest[];
}

export interface Manifest {
  course: string;
  exercises: ManifestExercise[];
}

export const MANIFEST_PATH = path.join(EXERCISES_DIR, 'exercises.json');

let cached: Manifest | null = null;

/** Reads the manifest once per process. */
export function loadManifest(): Manifest {
  cached ??= JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as Manifest;
  return cached;
}

/** The exercise with this slug, or a clear error listing the valid ones. */
export function findExercise(slug: string, manifest: Manifest = loadManifest()): ManifestExercise {
  const ex = manifest.exercises.find((e) => e.slug === slug);
  if (!ex) throw new Error(`unknown exercise '${slug}': use one of ${manifest.exercises.map((e) => e.slug).join(', ')}`);
  return ex;
}

/** The test with this id in an exercise. */
export function findTest(ex: ManifestExercise, id: string): ManifestTest {
  const t = ex.tests.find((x) => x.id === id);
  if (!t) throw new Error(`test '${id}' is not in the manifest's list for ${ex.slug}: add it to exercises/exercises.json with its points and visibility`);
  return t;
}
