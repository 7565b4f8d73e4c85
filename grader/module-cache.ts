/**
 * Where vitest keeps modules as it transformed them, between runs: the hidden suites of a grading
 * run, and the public tests of a student's `check`.
 *
 * Every run used to transform the same TypeScript again for its workers: ≈ 0.5 s of the grader's
 * CPU, before the first test starts (docs/benchmarks.md, issue 21). vitest's
 * `experimental.fsModuleCache` keeps each transformed module in a file named by a hash of its
 * path, its source, vitest's version and the run's configuration, and clears its folder when
 * package-lock.json changes, so an edited file is transformed again and never read stale.
 *
 * Only files that rarely change are kept, so the folder does not grow from run to run: for grading,
 * the grader's own files (each run's wrapper files live in a fresh temporary folder); for `check`,
 * the public tests, exercises/lib and the grader's setup file, never the student's own exercise files,
 * which change with every save. A grading run's folder belongs to the grader's installation, beside
 * its node_modules, which whoever could write it could already replace; students' code never runs
 * where it is read (the workers run only the suites; the student's code runs in the sandbox's
 * children, which cannot write files, and is compiled by a child that may only read).
 *
 * `GRADLAB_MODULE_CACHE` names the folder that holds the two caches (default: the grader's
 * node_modules/.cache), or `off`. A cache folder that cannot be created or written (a read-only
 * installation) is not used: a run without it is slower, never different. Nor is one that holds
 * anything but vitest's cache files: vitest removes the whole folder when the lock file changes.
 */
import { accessSync, constants, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';
import type {} from 'vitest/config'; // its declaration of the `configureVitest` hook on vite's Plugin
import { ROOT } from './paths.js';

/** The default folder of the caches: the grader's own node_modules/.cache, like other tools' caches. */
export const DEFAULT_CACHE_HOME = path.join(ROOT, 'node_modules', '.cache');

/** One cache per command: their runs differ in root and configuration (and so in lock file). */
export type CacheKind = 'grade' | 'check';

/** What vitest writes in its cache folder: a module by its hash, its metadata, a file being written. */
const CACHE_ENTRY = /^(?:[0-9a-f]{40}|_metadata\.json|\.tmp-\d+-[0-9a-z]*)$/;

/**
 * The folder to keep `kind`'s transformed modules in, or null when the cache is off, cannot be
 * written, or the folder holds files of someone else's (which vitest's clearing would remove).
 */
export function moduleCacheDir(kind: CacheKind, env: NodeJS.ProcessEnv = process.env): string | null {
  const home = env.GRADLAB_MODULE_CACHE;
  if (home === 'off') return null;
  const dir = path.join(path.resolve(home || DEFAULT_CACHE_HOME), `gradlab-${kind}`);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return readdirSync(dir).every((name) => CACHE_ENTRY.test(name)) ? dir : null;
  } catch {
    return null;
  }
}

/** Whether `id` is inside `folder` (not the folder itself, nor a sibling whose name begins the same). */
function inside(id: string, folder: string): boolean {
  return id.startsWith(folder + path.sep);
}

/** Whether a grading run may keep a module: the grader's own files only, never a run's wrappers. */
export function keepsModule(id: string): boolean {
  return inside(id, ROOT);
}

/**
 * Whether `check` (run in the repository `root`) may keep a module: the grader's and the
 * repository's files, but not a student's own exercise file (exercises/<exercise>/*.ts other than
 * the public tests), which each save changes.
 */
export function checkKeepsModule(root: string, id: string): boolean {
  const exercises = path.join(root, 'exercises');
  if (inside(id, exercises) && !inside(id, path.join(exercises, 'lib')) && !id.endsWith('.test.ts')) return false;
  return inside(id, ROOT) || inside(id, root);
}

/** vitest options and the plugin that keeps only the modules `keeps` allows; nothing when off. */
export function moduleCacheOptions(kind: CacheKind, keeps: (id: string) => boolean, env: NodeJS.ProcessEnv = process.env): { experimental?: { fsModuleCache: true; fsModuleCachePath: string }; plugins: Plugin[] } {
  const dir = moduleCacheDir(kind, env);
  if (!dir) return { plugins: [] };
  const plugin: Plugin = {
    name: 'gradlab:module-cache',
    configureVitest({ experimental_defineCacheKeyGenerator }) {
      // false: transformed on every run and not written (vitest hashes what else it returns)
      experimental_defineCacheKeyGenerator(({ id }) => (keeps(id) ? '' : false));
    },
  };
  return { experimental: { fsModuleCache: true, fsModuleCachePath: dir }, plugins: [plugin] };
}
