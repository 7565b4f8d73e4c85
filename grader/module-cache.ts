/**
 * Where the grading run keeps the hidden suites as vitest transformed them, between runs.
 *
 * Every run used to transform the grader's own TypeScript (the suites, the harness, the sandbox's
 * client) again for its workers: ≈ 0.5 s of the grader's CPU, on the path before the first
 * sandbox starts (docs/benchmarks.md, issue 21). vitest's `experimental.fsModuleCache` keeps each
 * transformed module in a file named by a hash of its path, its source, vitest's version and the
 * run's configuration, and clears the folder when package-lock.json changes, so an edited suite is
 * transformed again and never read stale.
 *
 * Only the grader's own files are kept (those under ROOT): each run's wrapper files live in a fresh
 * temporary folder, so keeping them would add seven files a student to the folder on every run. The
 * folder belongs to the grader's installation, beside its node_modules, which whoever could write it
 * could already replace; students' code never runs where it is read (the workers run only the
 * suites; the student's code runs in the sandbox's children, which cannot write files).
 *
 * `GRADLAB_MODULE_CACHE` names another folder, or `off`. A folder that cannot be created or written
 * (a read-only installation) turns the cache off: a run without it is slower, never different. So
 * does a folder that holds anything but vitest's cache files: vitest removes the whole folder when
 * the lock file changes, and `GRADLAB_MODULE_CACHE=/tmp` must not cost anyone their /tmp.
 */
import { accessSync, constants, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';
import type {} from 'vitest/config'; // its declaration of the `configureVitest` hook on vite's Plugin
import { ROOT } from './paths.js';

/** The default folder: in the grader's own node_modules, like other tools' caches. */
export const DEFAULT_MODULE_CACHE = path.join(ROOT, 'node_modules', '.cache', 'gradlab-vitest');

/** What vitest writes in its cache folder: a module by its hash, its metadata, a file being written. */
const CACHE_ENTRY = /^(?:[0-9a-f]{40}|_metadata\.json|\.tmp-\d+-[0-9a-z]*)$/;

/**
 * The folder to keep transformed modules in, or null when the cache is off, cannot be written, or
 * the folder holds files of someone else's (which vitest's clearing would remove).
 */
export function moduleCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const chosen = env.GRADLAB_MODULE_CACHE;
  if (chosen === 'off') return null;
  const dir = path.resolve(chosen || DEFAULT_MODULE_CACHE);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return readdirSync(dir).every((name) => CACHE_ENTRY.test(name)) ? dir : null;
  } catch {
    return null;
  }
}

/** Whether vitest may keep a module: the grader's own files only, never a run's wrappers. */
export function keepsModule(id: string): boolean {
  return id.startsWith(ROOT + path.sep);
}

/** vitest options and the plugin that keeps only the grader's own modules; nothing when off. */
export function moduleCacheOptions(env: NodeJS.ProcessEnv = process.env): { experimental?: { fsModuleCache: true; fsModuleCachePath: string }; plugins: Plugin[] } {
  const dir = moduleCacheDir(env);
  if (!dir) return { plugins: [] };
  const plugin: Plugin = {
    name: 'gradlab:module-cache',
    configureVitest({ experimental_defineCacheKeyGenerator }) {
      // false: transformed on every run and not written (vitest hashes what else it returns)
      experimental_defineCacheKeyGenerator(({ id }) => (keepsModule(id) ? '' : false));
    },
  };
  return { experimental: { fsModuleCache: true, fsModuleCachePath: dir }, plugins: [plugin] };
}
