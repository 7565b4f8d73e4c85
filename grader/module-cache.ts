/**
 * Where a grading run keeps the hidden suites as vitest transformed them, between runs.
 *
 * Every run used to transform the grader's own TypeScript again for its workers: ≈ 0.5 s of the
 * grader's CPU, before the first sandbox starts (docs/benchmarks.md, issue 21). vitest's
 * `experimental.fsModuleCache` keeps each transformed module in a file named by a hash of its path
 * and its own source (and the run's configuration, plugins by name), and clears its folder when
 * package-lock.json changes. That hash does not see what else the transformed code depends on:
 * tsconfig.json, and where each import resolved (a file moved or renamed leaves its importers'
 * entries pointing at the old path). So the kept modules live in a folder of their key's own (its
 * name: 16 hex digits of the key's sha256; `gradlab-key`, KEY_FILE, holds the key): a hash of
 * everything the grade depends on (graderFingerprint: the grader, fixtures, lib, solutions, lock
 * file, Node version) and of tsconfig.json and package.json. After any edit to the grader the
 * suites are transformed afresh, once, into a new folder.
 *
 * A run marks its key's folder while it runs (`.run-<pid>-<n>`, removed when it ends), and a run
 * removes the other keys' folders only when no live process has marked them, under a lock file
 * (`.lock`) held only for that. Until 2026-12-07 one folder served every key and a run with another
 * key emptied it: a grader edited or pulled during a class run, or two checkouts sharing
 * GRADLAB_MODULE_CACHE, pulled the kept suites from under a run in progress, whose workers then
 * stopped ("the grader has no result for this test (its worker stopped)" for whole exercises).
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
import { accessSync, closeSync, constants, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
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
/** In the cache's folder: a key's folder (16 hex digits of the key's sha256), one being made, and the lock. */
const KEY_FOLDER = /^[0-9a-f]{16}$/;
const MAKING = /^\.tmp-\d+-[0-9a-z]*$/;
export const LOCK_FILE = '.lock';
/** A stale lock moved aside to be removed (takeOver). */
const LOCK_ASIDE = /^\.lock\.\d+\.\d+$/;
/** In a key's folder: a run in progress, by its process id and its number in that process. */
const RUN_MARK = /^\.run-(\d+)-\d+$/;
/** How long a run waits for another to release the lock before it grades without the cache. */
const LOCK_WAIT_MS = 3000;

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

/** Whether process `pid` is alive (a process of another user's counts: it may not be signalled, but it is there). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a run in progress has marked the key's folder `dir`. */
function inUse(dir: string): boolean {
  return readdirSync(dir).some((name) => { const m = RUN_MARK.exec(name); return m !== null && alive(Number(m[1])); });
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** How old a lock may be before any run takes it over: its holder keeps it for a few file operations. */
export const LOCK_STALE_MS = 10_000;

/**
 * Whether the lock at `file` has no holder: its process has died, or it is older than LOCK_STALE_MS
 * (a pid never written, or one a later process was given, would otherwise hold it for good).
 * False when it is gone (taken and released meanwhile: try again).
 */
function stale(file: string): boolean {
  try {
    if (Date.now() - statSync(file).mtimeMs > LOCK_STALE_MS) return true;
    const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return holder > 0 && !alive(holder);
  } catch {
    return false;
  }
}

let asides = 0;

/**
 * Takes a stale lock out of the way: moved aside first, and removed only if what was moved is still
 * stale. Two runs may find the same stale lock; the first moves it and takes the lock, and the
 * second then moves that run's fresh lock, which it puts back (a link, never over a lock someone
 * took meanwhile) instead of removing it.
 */
function takeOver(lock: string): void {
  const aside = `${lock}.${process.pid}.${asides++}`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // moved or released by another run: try again
  }
  if (!stale(aside)) {
    try {
      linkSync(aside, lock);
    } catch {
      // a third run holds the lock now: the one moved aside is still held, and the wait decides
    }
  }
  rmSync(aside, { force: true });
}

/**
 * `f` run while this process holds the lock of the cache's folder `top` (an exclusive create of
 * LOCK_FILE holding its pid), or null when another run held it LOCK_WAIT_MS. A stale lock (see
 * stale) is taken over.
 */
function withLock<T>(top: string, f: () => T): T | null {
  const lock = path.join(top, LOCK_FILE);
  for (let waited = 0; waited <= LOCK_WAIT_MS; waited += 10) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (stale(lock)) takeOver(lock);
      else if (existsSync(lock)) Atomics.wait(pause, 0, 0, 10);
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return f();
    } finally {
      rmSync(lock, { force: true });
    }
  }
  return null;
}

let runs = 0;
/** This process's marks not yet released, removed when it exits (a run that threw before its end). */
const marks = new Set<string>();
let unmarkAtExit = false;

/**
 * The folder of `key` in the cache's folder under `home`, marked for a run now in progress (call
 * `release` when the run ends), or null when the cache must not be used (see the module's comment).
 * The other keys' folders that no run in progress has marked are removed.
 */
export function prepareCacheDir(home: string, key: string, minFreeBytes = MIN_FREE_BYTES): RunCache | null {
  const top = path.join(path.resolve(home), CACHE_FOLDER);
  try {
    mkdirSync(top, { recursive: true, mode: 0o700 });
    accessSync(top, constants.W_OK);
    if (!ownedAlone(top)) return null;
    const { bavail, bsize } = statfsSync(top);
    if (bavail * bsize < minFreeBytes) return null;
    return withLock(top, () => {
      const names = readdirSync(top);
      // the layout before keys had folders (one key's files right here) is ours too, and goes
      const before = (name: string) => VITEST_ENTRY.test(name) || name === KEY_FILE || name === REFERENCE_FILE;
      const aside = (name: string) => LOCK_ASIDE.test(name);
      if (!names.every((name) => KEY_FOLDER.test(name) || MAKING.test(name) || name === LOCK_FILE || aside(name) || before(name))) return null;
      const mine = sha256(key).slice(0, 16);
      /** What goes: a lock moved aside whose mover died, a folder half made, the old layout, another key's folder no run uses. */
      const removable = (name: string, file: string): boolean => {
        if (aside(name)) return stale(file);
        if (name === mine || name === LOCK_FILE) return false;
        return MAKING.test(name) || before(name) || !inUse(file);
      };
      for (const name of names) if (removable(name, path.join(top, name))) rmSync(path.join(top, name), { recursive: true, force: true });
      const dir = path.join(top, mine);
      if (!existsSync(dir)) {
        // made whole aside, then renamed: a folder of this key's name always holds its key
        const making = path.join(top, `.tmp-${Date.now()}-${process.pid}`);
        mkdirSync(making, { mode: 0o700 });
        writeFileSync(path.join(making, KEY_FILE), key);
        renameSync(making, dir);
      }
      if (!ownedAlone(dir) || readFileSync(path.join(dir, KEY_FILE), 'utf8') !== key) return null;
      if (!readdirSync(dir).every((name) => VITEST_ENTRY.test(name) || name === KEY_FILE || name === REFERENCE_FILE || RUN_MARK.test(name))) return null;
      const mark = path.join(dir, `.run-${process.pid}-${runs++}`);
      writeFileSync(mark, '');
      marks.add(mark);
      if (!unmarkAtExit) {
        unmarkAtExit = true;
        process.once('exit', () => { for (const m of marks) rmSync(m, { force: true }); });
      }
      return { dir, key, release: () => { marks.delete(mark); rmSync(mark, { force: true }); } };
    });
  } catch {
    return null;
  }
}

/** A run's cache: its key's folder, the key, and what to call when the run ends. */
export interface RunCache { dir: string; key: string; release: () => void }

/** The cache for this run, or null when it is off or must not be used. */
export function runCache(env: NodeJS.ProcessEnv = process.env): RunCache | null {
  const home = env.GRADLAB_MODULE_CACHE;
  if (home === 'off') return null;
  return prepareCacheDir(home || DEFAULT_CACHE_HOME, cacheKey());
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
export function keptReference(cache: Pick<RunCache, 'dir' | 'key'> | null, sources: string): string | null {
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
export function keepReference(cache: Pick<RunCache, 'dir' | 'key'> | null, sources: string, code: string): void {
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
