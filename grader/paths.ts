/** Where the grader's own files are, whether it runs from grader/*.ts (vitest) or dist/grader/*.js (CLI). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'exercises', 'exercises.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`gradlab: cannot find the course root above ${start}; reinstall with \`npm ci\``);
    dir = up;
  }
}

/** The course repository: holds package.json, exercises/, solutions/, fixtures/, grader/. */
export const ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const EXERCISES_DIR = path.join(ROOT, 'exercises');
export const LIB_DIR = path.join(EXERCISES_DIR, 'lib');
export const SOLUTIONS_DIR = path.join(ROOT, 'solutions');
export const SUITES_DIR = path.join(ROOT, 'grader', 'suites');
export const CHILD_SCRIPT = path.join(ROOT, 'grader', 'sandbox', 'child.mjs');
/** The message encoding both sides of the sandbox use (the child imports it next to its script). */
export const CODEC_SCRIPT = path.join(ROOT, 'grader', 'sandbox', 'codec.mjs');
