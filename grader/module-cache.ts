/**
 * Where a grading run keeps the hidden suites as vitest transformed them, between runs.
 *
 * Every run used to transform the grader's own TypeScript again for its workers: ≈ 0.5 s of the
 * grader's CPU, before the first sandbox starts (docs/benchmarks.md, issue 21). vitest's
 * `experimental.fsModuleCache` keeps each transformed module in a file named by a hash of its path
 * and its own source (and the run's configuration, plugins by name), and clears its folder when
 * package-lock.json changes. That hash does not see what else the transformed code depends on:
 * tsconfig.json, and where each import resolved (a file moved or renamed leaves its importers'
 * entries pointing at the old path). So the folder also holds `gradlab-key` (KEY_FILE), a hash of everything the
 * grade depends on (graderFingerprint: the grader, fixtures, lib, solutions, lock file, Node
 * version) and of tsconfig.json and package.json, and is emptied of vitest's files whenever that
 * changes: after any edit to the grader the suites are transformed afresh, once.
 *
 * The folder also keeps the reference solutions as the compiler bundled them (REFERENCE_FILE, for
 * the oracle): compiling them took a compiler child of its own on every run, ≈ 0.25 s of CPU. The
 * bundle is kept with the key, a hash of what it was compiled from (referenceSourcesHash, read
 * afresh before and after compiling: the key's fingerprint is taken once per process, and a
 * solution edited during a long class run was kept under the key of the unedited one) and a hash
 * of its code, and used only when all three match; anything else is compiled afresh.
 *
 * Only the grader's own files are kept (each run's wrapper files live in a fresh temporary folder),
 * so the folder does not grow from run to run. Students' code never runs where the kept files are
 * read: the workers run only the suites; the student's code runs in the sandbox's children, which
 * cannot write files, and is compiled by a child that may only read.
 *
 * `GRADLAB_MODULE_CACHE` names the folder that holds the cache (default: the grader's own
 * node_modules/.cache), or `off`. The cache's folder is not used, and the run is slower, never
 * different, when it cannot be created or written, is not this user's alone (its files are run as
 * the grader: a folder someone else can write could plant code), holds anything but the cache's own
 * files (vitest removes its whole folder when the lock file changes), or its disk is nearly full
 * (vitest fails the run when it cannot write).
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';
import type {} from 'vitest/config'; // its declaration of the `configureVitest` hook on vite's Plugin
import { graderFingerprint, hashTree } from './class/version.js';
import { ROOT } from './paths.js';

/** The default folder of the cache: the grader's own node_modules/.cache, like other tools' caches. */
export const DEFAULT_CACHE_HOME = path.join(ROOT, 'node_modules', '.cache');
/** The cache's folder inside its home. */
export const CACHE_FOLDER = 'gradlab-grade';
/** The file that names what the kept modules were transformed from (see above). */
export const KEY_FILE = 'gradlab-key';
/** The reference solutions as compiled, after a line with the key they were compiled under, the hash of their sources (referenceSourcesHash) and the code's sha256. */
export const REFERENCE_FILE = 'gradlab-reference';
/** The free space below which the cache is not used: the folder holds ≈ 1 MB; a full disk fails vitest's writes. */
export const MIN_FREE_BYTES = 64 * 2 ** 20;

/** What vitest writes in its cache folder: a module by its hash, its metadata, a file being written. */
const VITEST_ENTRY = /^(?:[0-9a-f]{40}|_metadata\.json|\.tmp-\d+-[0-9a-z]*)$/;

/** What the kept modules depend on beyond their own source: the grade's inputs, and `root`'s tsconfig.json and package.json. */
export function cacheKey(root = ROOT): string {
  const hash = createHash('sha256').update(`${graderFingerprint()}\0`);
  for (const file of ['tsconfig.json', 'package.json']) hash.update(`${file}\0`).update(existsSync(path.join(root, file)) ? readFileSync(path.join(root, file)) : '\0absent');
  return hash.digest('hex');
}

/** Whether `dir` is this user's alone: owned by them, and writable by no group or other user (not checked where there are no uids). */
function ownedAlone(dir: string): boolean {
  const st = statSync(dir);
  const uid = process.getuid?.();
  return uid === undefined || (st.uid === uid && (st.mode & 0o022) === 0);
}

/**
 * The cache's folder under `home`, ready for a run with `key`, or null when it must not be used
 * (see the module's comment). A key that differs from the folder's empties it of vitest's files.
 */
export function prepareCacheDir(home: string, key: string, minFreeBytes = MIN_FREE_BYTES): string | null {
  const dir = path.join(path.resolve(home), CACHE_FOLDER);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    if (!ownedAlone(dir)) return null;
    const { bavail, bsize } = statfsSync(dir);
    if (bavail * bsize < minFreeBytes) return null;
    const names = readdirSync(dir);
    if (!names.every((name) => VITEST_ENTRY.test(name) || name === KEY_FILE || name === REFERENCE_FILE)) return null;
    const keyFile = path.join(dir, KEY_FILE);
    if (!existsSync(keyFile) || readFileSync(keyFile, 'utf8') !== key) {
      for (const name of names) if (VITEST_ENTRY.test(name) || name === REFERENCE_FILE) rmSync(path.join(dir, name), { force: true });
      const tmp = path.join(dir, `.tmp-${Date.now()}-${process.pid}`);
      writeFileSync(tmp, key);
      renameSync(tmp, keyFile);
    }
    return dir;
  } catch {
    return null;
  }
}

/** A run's cache: its folder, and the key it was prepared for. */
export interface RunCache { dir: string; key: string }

/** The cache for this run, or null when it is off or must not be used. */
export function runCache(env: NodeJS.ProcessEnv = process.env): RunCache | null {
  const home = env.GRADLAB_MODULE_CACHE;
  if (home === 'off') return null;
  const key = cacheKey();
  const dir = prepareCacheDir(home || DEFAULT_CACHE_HOME, key);
  return dir ? { dir, key } : null;
}

/** The cache's folder for this run, or null when it is off or must not be used. */
export function moduleCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  return runCache(env)?.dir ?? null;
}

/** What compiling the reference solutions reads, hashed afresh on every call (never memoised): solutions/, lib, the manifest and the compiler. */
export function referenceSourcesHash(root = ROOT): string {
  const hash = createHash('sha256');
  for (const rel of ['solutions', 'exercises/lib', 'exercises/exercises.json', 'grader/sandbox']) hashTree(hash, root, rel);
  return hash.digest('hex');
}

/** The reference bundle kept for this run's key and these sources, or null (none, another key's or sources', or not the code its hash names). */
export function keptReference(cache: RunCache | null, sources: string): string | null {
  if (!cache) return null;
  try {
    const text = readFileSync(path.join(cache.dir, REFERENCE_FILE), 'utf8');
    const newline = text.indexOf('\n');
    const code = text.slice(newline + 1);
    return newline > 0 && text.slice(0, newline) === `${cache.key} ${sources} ${sha256(code)}` ? code : null;
  } catch {
    return null;
  }
}

/** Keeps the reference bundle compiled from `sources` for this run's key; written whole or not at all (a failure costs the next run a compile). */
export function keepReference(cache: RunCache | null, sources: string, code: string): void {
  if (!cache) return;
  const tmp = path.join(cache.dir, `.tmp-${Date.now()}-${process.pid}r`);
  try {
    writeFileSync(tmp, `${cache.key} ${sources} ${sha256(code)}\n${code}`, { mode: 0o600 });
    renameSync(tmp, path.join(cache.dir, REFERENCE_FILE));
  } catch {
    try { rmSync(tmp, { force: true }); } catch { /* a folder that cannot be written holds no such file */ }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Whether a grading run may keep a module: the grader's own files only, never a run's wrappers. */
export function keepsModule(id: string): boolean {
  return id.startsWith(ROOT + path.sep);
}

/** vitest options and the plugin that keeps only the grader's own modules; nothing when off. */
export function moduleCacheOptions(cache: RunCache | null): { experimental?: { fsModuleCache: true; fsModuleCachePath: string }; plugins: Plugin[] } {
  if (!cache) return { plugins: [] };
  const { dir } = cache;
  const plugin: Plugin = {
    name: 'gradlab:module-cache',
    configureVitest({ experimental_defineCacheKeyGenerator }) {
      // false: transformed on every run and not written (vitest hashes what else it returns)
      experimental_defineCacheKeyGenerator(({ id }) => (keepsModule(id) ? '' : false));
    },
  };
  return { experimental: { fsModuleCache: true, fsModuleCachePath: dir }, plugins: [plugin] };
}
