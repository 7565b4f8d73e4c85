/**
 * Intake: before anything else, a submission is copied into a folder the grader owns, and
 * compilation, resolution and grading see only that copy.
 *
 * Every byte of a submission is hostile. The copy takes regular files only, and only what grading
 * needs (the `.ts`/`.js` files of the exercise folders), under size limits; a symbolic link is
 * never followed, wherever it points, and a link or a special file (FIFO, socket, device) is
 * refused with a sentence that names it. Configuration files (tsconfig.json, package.json, .npmrc,
 * node_modules/, …) are never copied, so nothing in the submission can configure the compiler or
 * the module resolution. Names in the copy are plain ASCII (a `?`, `#`, space or non-ASCII letter
 * in the submission's own path never reaches a tool that could read it as a query or a fragment).
 *
 * Races: a student who can write to the submission while it is copied (a shared folder, a class
 * run) could swap a folder for a link between the check and the read. Each file is opened with
 * O_NOFOLLOW and O_NONBLOCK (a FIFO swapped in cannot block), the open file must be the one that
 * was checked (same device and inode, a regular file), and on Linux the kernel's own path of the
 * open file (/proc/self/fd) must be exactly where the walk expected it, so a folder swapped for a
 * link anywhere above the file is caught after the open, when it can no longer change.
 *
 * Layouts: a folder shaped like exercises/ (01-activations/activations.ts, …); a repository with
 * such an exercises/ folder inside; or, when neither is there (files dragged onto Gradescope, a zip
 * with a top folder), each exercise's file found by its name wherever it sits.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, realpathSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadManifest, type ManifestExercise } from './manifest.js';
import { makeTempFolder, removeTempFolder } from './temp-folders.js';

/** Limits of what is copied (see docs/security.md, "Intake and compilation"). */
export interface IntakeLimits {
  /** One source file: the course's largest reference file is 9 KB; room for pasted data. */
  fileBytes: number;
  /** All copied files together. */
  totalBytes: number;
  /** Number of copied files. */
  files: number;
  /** Folder depth searched below the submission (by-name layout) or below an exercise folder. */
  depth: number;
  /** Directory entries looked at in all, so a huge tree cannot stall the intake. */
  entries: number;
}

export const INTAKE_LIMITS: IntakeLimits = {
  fileBytes: 512 * 1024,
  totalBytes: 4 * 1024 * 1024,
  files: 200,
  depth: 6,
  entries: 20_000,
};

/** Something in the submission that was not copied, and why (a sentence that names it). */
export interface Refusal {
  /** Where it is, relative to the submission, '/'-separated ('.' for the submission folder itself). */
  path: string;
  reason: string;
}

export type IntakeLayout = 'exercises' | 'repository' | 'by-name' | 'none';

export interface Intake {
  /** The grader-owned copy, shaped like exercises/ (no lib/: the grader always uses its own). */
  root: string;
  layout: IntakeLayout;
  /** Each refusal as one sentence, e.g. "02-backprop/dense.json is a symbolic link: …". */
  refused: string[];
  refusals: Refusal[];
  /** Exercise files found: their place in the copy and where they came from in the submission. */
  found: Array<{ folder: string; file: string; from: string }>;
  /** Exercise folders whose file was not found (and not refused). */
  missing: Array<{ folder: string; file: string }>;
  /** Choices the intake made that the student should know of (two files of the same name: which was graded, and why). */
  chose: string[];
  /** Removes the copy; safe to call more than once. */
  cleanup(): void;
}

export interface IntakeOptions {
  /** Exercises to take (default: all of the manifest). */
  exercises?: ManifestExercise[];
  /**
   * The folder the caller trusts: every path component from below it down to `dir` must be a real
   * folder, not a link (default: the parent of `dir`). A class run passes the class folder, so a
   * student folder that is a link to a classmate's is refused.
   */
  trustedParent?: string;
  limits?: Partial<IntakeLimits>;
  /** Called before a folder is listed and before a file is opened (tests swap a folder for a link there). */
  beforeRead?: (rel: string) => void;
}

/** The files of an exercise folder the copy takes (the rest, README.md or tsconfig.json, grading never reads). */
export const SOURCE_FILE = /\.(ts|mts|js|mjs)$/;
/** Names the copy keeps as they are; anything else is refused with a request to rename. */
export const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
/** Folders inside an exercise folder that are passed over unread: hidden ones (.git, .vscode) and installed packages. */
export function skippedInExercise(folder: string): boolean {
  return folder.startsWith('.') || folder === 'node_modules';
}
/** Never searched in the by-name layout: tools' folders, not the student's work. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'lib', 'dist', 'coverage']);

/** A name as it may be printed: plain names as they are, anything else JSON-quoted with escapes. */
export function shownName(name: string): string {
  if (/^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name)) return name;
  return JSON.stringify(name).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function shownPath(rel: string): string {
  return rel.split('/').map(shownName).join('/');
}

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device file';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

function refusalFor(rel: string, st: Stats): Refusal {
  if (st.isSymbolicLink()) return { path: rel, reason: `${shownPath(rel)} is a symbolic link: links are never followed, wherever they point; submit the file itself` };
  return { path: rel, reason: `${shownPath(rel)} is ${kindOf(st)}, not a regular file: submit the file itself` };
}

const COPY_PREFIX = 'gradlab-intake-';
/** A copy lives for the seconds its compilation takes; one older than this was left by a grader that was killed. */
export const STALE_COPY_MS = 60 * 60 * 1000;

/** Removes this user's copies older than STALE_COPY_MS (a grader killed mid-compile cannot clean up). */
export function removeStaleCopies(now = Date.now()): string[] {
  const removed: string[] = [];
  const tmp = os.tmpdir();
  let names: string[];
  try { names = readdirSync(tmp); } catch { return removed; }
  for (const name of names) {
    if (!name.startsWith(COPY_PREFIX)) continue;
    const at = path.join(tmp, name);
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (!st?.isDirectory() || st.uid !== process.getuid?.() || now - st.mtimeMs < STALE_COPY_MS) continue;
    rmSync(at, { recursive: true, force: true });
    removed.push(at);
  }
  return removed;
}

/** Copies one submission into a fresh grader-owned temporary folder (see the module comment). */
export function intakeSubmission(dir: string, opts: IntakeOptions = {}): Intake {
  const limits = { ...INTAKE_LIMITS, ...opts.limits };
  const exercises = opts.exercises ?? loadManifest().exercises;
  removeStaleCopies();
  // removed at exit, SIGINT and SIGTERM too, if the caller never got to it (temp-folders.ts)
  const root = makeTempFolder(COPY_PREFIX);
  let cleaned = false;
  const intake: Intake = {
    root, layout: 'none', refused: [], refusals: [], found: [], missing: [], chose: [],
    cleanup() {
      if (cleaned) return;
      cleaned = true;
      removeTempFolder(root);
    },
  };
  try {
    new Copier(intake, exercises, limits, opts.beforeRead ?? (() => {})).run(path.resolve(dir), opts.trustedParent);
  } catch (err) {
    intake.cleanup();
    throw err;
  }
  intake.refused = intake.refusals.map((r) => r.reason);
  const foundFolders = new Set(intake.found.map((f) => f.folder));
  const refusedFolders = new Set(intake.refusals.map((r) => r.path.split('/')[0]));
  intake.missing = exercises
    .filter((ex) => !foundFolders.has(ex.folder) && !refusedFolders.has(ex.folder))
    .map((ex) => ({ folder: ex.folder, file: ex.file }));
  return intake;
}

/** The refusals that concern one exercise folder of the copy (by-name refusals are filed under it too). */
export function refusalsFor(intake: Intake, folder: string): Refusal[] {
  return intake.refusals.filter((r) => r.path === folder || r.path.startsWith(`${folder}/`) || r.path === '.');
}

/** One paragraph for a report: how the submission was read, what was found and what is missing. */
export function describeIntake(intake: Intake): string {
  const how = {
    exercises: 'exercise folders at the top of the submission',
    repository: 'the exercises/ folder of a repository',
    'by-name': 'exercise files found by their names',
    none: 'nothing',
  }[intake.layout];
  const lines = [`Read: ${how}.`];
  if (intake.found.length) lines.push(`Found: ${intake.found.map((f) => (f.from === `${f.folder}/${f.file}` ? f.from : `${f.folder}/${f.file} (from ${f.from})`)).join(', ')}.`);
  if (intake.missing.length) lines.push(`Missing: ${intake.missing.map((m) => `${m.folder}/${m.file}`).join(', ')}.`);
  for (const c of intake.chose) lines.push(c);
  if (intake.refusals.length) {
    const shown = intake.refusals.slice(0, 5).map((r) => r.reason);
    lines.push(`Not copied: ${shown.join('; ')}${intake.refusals.length > 5 ? `; and ${intake.refusals.length - 5} more` : ''}.`);
  }
  return lines.join('\n');
}

interface Entry { rel: string; st: Stats }

class Copier {
  private total = 0;
  private copied = 0;
  private seen = 0;
  /** Real path of the submission; each opened file must lie exactly at realRoot/rel. */
  private realRoot = '';

  constructor(private readonly intake: Intake, private readonly exercises: ManifestExercise[], private readonly limits: IntakeLimits, private readonly beforeRead: (rel: string) => void) {}

  private refuse(r: Refusal): void {
    this.intake.refusals.push(r);
  }

  run(dir: string, trustedParent: string | undefined): void {
    const parent = path.resolve(trustedParent ?? path.dirname(dir));
    const below = path.relative(parent, dir);
    if (below.startsWith('..') || path.isAbsolute(below)) throw new Error(`intake: ${dir} is not inside ${parent}`);
    // no link on the way from the trusted parent down to the submission
    let at = parent;
    for (const part of below === '' ? [] : below.split(path.sep)) {
      at = path.join(at, part);
      const st = lstatSync(at, { throwIfNoEntry: false });
      if (!st) {
        this.refuse({ path: '.', reason: `the submission folder ${shownName(path.relative(parent, at))} does not exist` });
        return;
      }
      if (!st.isDirectory()) {
        this.refuse({ path: '.', reason: st.isSymbolicLink()
          ? `the submission folder ${shownName(path.relative(parent, at))} is a symbolic link: links are never followed; hand in the folder itself`
          : `the submission ${shownName(path.relative(parent, at))} is not a folder` });
        return;
      }
    }
    this.realRoot = realpathSync(dir);
    const top = this.list('');
    const names = new Set(top.map((e) => path.posix.basename(e.rel)));
    if (this.exercises.some((ex) => names.has(ex.folder))) {
      this.intake.layout = 'exercises';
      this.copyFolders(top, '');
      return;
    }
    const repo = top.find((e) => e.rel === 'exercises');
    if (repo) {
      if (!repo.st.isDirectory()) {
        this.refuse(refusalFor('exercises', repo.st));
        return;
      }
      this.intake.layout = 'repository';
      this.copyFolders(this.list('exercises'), 'exercises');
      return;
    }
    this.intake.layout = 'by-name';
    this.copyByName(top);
  }

  /** The entries of a folder of the submission (lstat, never followed), sorted, within the entry budget. */
  private list(rel: string): Entry[] {
    const abs = rel === '' ? this.realRoot : path.join(this.realRoot, rel);
    this.beforeRead(rel);
    const out: Entry[] = [];
    let names: string[];
    try {
      names = readdirSync(abs).sort();
    } catch (err) {
      // unreadable (permissions) or gone (removed while copied): nothing of it is graded
      this.refuse({ path: rel || '.', reason: `${rel ? shownPath(rel) : 'the submission folder'} could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      return [];
    }
    for (const name of names) {
      if (++this.seen > this.limits.entries) {
        this.refuse({ path: rel || '.', reason: `the submission has more than ${this.limits.entries} files and folders: hand in the exercise files only` });
        break;
      }
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(path.join(abs, name), { throwIfNoEntry: false });
      if (st) out.push({ rel: childRel, st });
    }
    return out;
  }

  /** exercises/ layout: each exercise folder copied as a whole (its source files). */
  private copyFolders(top: Entry[], base: string): void {
    const strip = (rel: string) => (base === '' ? rel : rel.slice(base.length + 1));
    for (const e of top) {
      const name = strip(e.rel);
      const ex = this.exercises.find((x) => x.folder === name);
      if (!ex) {
        // links beside the exercise folders are not followed either; say so when they pose as our files
        if (e.st.isSymbolicLink() && (name === 'lib' || SOURCE_FILE.test(name))) this.refuse({ path: name, reason: `${refusalFor(name, e.st).reason} (it is not read)` });
        continue;
      }
      if (!e.st.isDirectory()) {
        this.refuse(refusalFor(ex.folder, e.st));
        continue;
      }
      this.copyTree(e.rel, ex.folder, 1);
    }
  }

  /** Copies the source files under `rel` (submission) to `dest` (copy), recursively, refusing what is not a plain file. */
  private copyTree(rel: string, dest: string, depth: number): void {
    mkdirSync(path.join(this.intake.root, dest), { recursive: true });
    for (const e of this.list(rel)) {
      const name = path.posix.basename(e.rel);
      const destRel = `${dest}/${name}`;
      if (e.st.isDirectory()) {
        if (skippedInExercise(name)) continue;
        if (!SAFE_NAME.test(name)) { this.refuse({ path: destRel, reason: `${shownPath(destRel)}: rename the folder with letters, digits, '.', '_' or '-' only` }); continue; }
        if (depth >= this.limits.depth) { this.refuse({ path: destRel, reason: `${shownPath(destRel)} is nested too deep (more than ${this.limits.depth} folders)` }); continue; }
        this.copyTree(e.rel, destRel, depth + 1);
        continue;
      }
      if (!e.st.isFile()) { this.refuse(refusalFor(destRel, e.st)); continue; }
      if (!SOURCE_FILE.test(name)) continue; // not needed for grading (README.md, tsconfig.json, …)
      this.copyFile(e, destRel);
    }
  }

  /** Copies one regular file, checked at the open against the lstat of the walk. */
  private copyFile(e: Entry, destRel: string): boolean {
    const name = path.posix.basename(destRel);
    if (!SAFE_NAME.test(name)) {
      this.refuse({ path: destRel, reason: `${shownPath(destRel)}: rename the file with letters, digits, '.', '_' or '-' only` });
      return false;
    }
    if (e.st.size > this.limits.fileBytes) {
      this.refuse({ path: destRel, reason: `${shownPath(destRel)} is ${kb(e.st.size)}, over the limit of ${kb(this.limits.fileBytes)} for one file` });
      return false;
    }
    if (this.copied >= this.limits.files || this.total + e.st.size > this.limits.totalBytes) {
      this.refuse({ path: destRel, reason: `${shownPath(destRel)} was not copied: the submission is over the limit of ${this.limits.files} files or ${kb(this.limits.totalBytes)} in all` });
      return false;
    }
    const src = path.join(this.realRoot, e.rel);
    let fd: number;
    this.beforeRead(e.rel);
    try {
      fd = openSync(src, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      this.refuse({ path: destRel, reason: `${shownPath(destRel)} could not be opened as a plain file (a link, or it changed while it was copied)` });
      return false;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.ino !== e.st.ino || st.dev !== e.st.dev || !this.openedWhereExpected(fd, src)) {
        this.refuse({ path: destRel, reason: `${shownPath(destRel)} changed while it was copied (a file or folder swapped for a link?): it is not graded` });
        return false;
      }
      const buf = Buffer.alloc(Math.min(st.size, this.limits.fileBytes) + 1);
      let n = 0;
      for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, n)) > 0;) n += r;
      if (n > this.limits.fileBytes || this.total + n > this.limits.totalBytes) {
        this.refuse({ path: destRel, reason: `${shownPath(destRel)} grew over the size limit while it was copied` });
        return false;
      }
      mkdirSync(path.dirname(path.join(this.intake.root, destRel)), { recursive: true });
      writeFileSync(path.join(this.intake.root, destRel), buf.subarray(0, n), { flag: 'wx', mode: 0o600 });
      this.total += n;
      this.copied++;
      const [folder, ...rest] = destRel.split('/');
      const ex = this.exercises.find((x) => x.folder === folder);
      if (ex && rest.join('/') === ex.file) this.intake.found.push({ folder, file: ex.file, from: shownPath(e.rel) });
      return true;
    } finally {
      closeSync(fd);
    }
  }

  /** Where the kernel says the open file is must be where the walk found it (Linux; elsewhere inode checks only). */
  private openedWhereExpected(fd: number, expected: string): boolean {
    if (process.platform !== 'linux') return true;
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === expected;
    } catch {
      return true; // no /proc (a container without it): the O_NOFOLLOW and inode checks still hold
    }
  }

  /** by-name layout: each exercise's file wherever it sits (its folder named like the exercise first, then the shallowest). */
  private copyByName(top: Entry[]): void {
    const files: Entry[] = [];
    const walk = (entries: Entry[], depth: number): void => {
      for (const e of entries) {
        const name = path.posix.basename(e.rel);
        if (e.st.isDirectory()) {
          if (name.startsWith('.') || SKIPPED_FOLDERS.has(name) || name === '__MACOSX' || depth >= this.limits.depth) continue;
          walk(this.list(e.rel), depth + 1);
        } else {
          files.push(e);
        }
      }
    };
    walk(top, 1);
    for (const ex of this.exercises) {
      const named = files.filter((f) => path.posix.basename(f.rel) === ex.file);
      if (named.length === 0) continue;
      const rank = (f: Entry) => [path.posix.basename(path.posix.dirname(f.rel)) === ex.folder ? 0 : 1, f.rel.split('/').length, f.rel] as const;
      named.sort((a, b) => {
        const [ra, rb] = [rank(a), rank(b)];
        return ra[0] - rb[0] || ra[1] - rb[1] || (ra[2] < rb[2] ? -1 : 1);
      });
      const chosen = named[0];
      if (named.length > 1) {
        const why = rank(chosen)[0] === 0 && rank(named[1])[0] !== 0 ? `it is in a folder named ${ex.folder}`
          : rank(chosen)[1] < rank(named[1])[1] ? 'it is the least deeply nested' : 'its path comes first in alphabetical order';
        this.intake.chose.push(`Two or more files are named ${ex.file}: ${named.map((f) => shownPath(f.rel)).join(', ')}; graded ${shownPath(chosen.rel)}, because ${why}. Upload only the one you mean.`);
      }
      if (!chosen.st.isFile()) {
        // filed under the exercise's own place, so its tests name the refusal
        this.refuse({ path: `${ex.folder}/${ex.file}`, reason: refusalFor(chosen.rel, chosen.st).reason });
        continue;
      }
      const dir = path.posix.dirname(chosen.rel);
      if (path.posix.basename(dir) === ex.folder) {
        this.copyTree(dir, ex.folder, 1);
      } else {
        // a flat upload: the file, and the helper files beside it that are no exercise's file
        mkdirSync(path.join(this.intake.root, ex.folder), { recursive: true });
        this.copyFile(chosen, `${ex.folder}/${ex.file}`);
        for (const f of files) {
          const name = path.posix.basename(f.rel);
          if (path.posix.dirname(f.rel) !== dir || f === chosen || !f.st.isFile() || !SOURCE_FILE.test(name)) continue;
          if (this.exercises.some((x) => x.file === name) || /\.test\.[mc]?[jt]s$/.test(name)) continue;
          this.copyFile(f, `${ex.folder}/${name}`);
        }
      }
    }
  }
}

function kb(bytes: number): string {
  return `${Math.round(bytes / 1024)} KB`;
}
