/**
 * Collect: one student's repository, at its graded commit, into a class folder for `gradlab class`.
 *
 * A repository is hostile data. `git archive | tar -x` writes whatever the tree names: a push of
 * 96 KB whose tree lists one 95 MiB blob a hundred times unpacks to 9.5 GB, fills the runner's
 * disk, and the collect step fails for the whole class. So nothing is unpacked wholesale:
 *
 * - only the files the intake would copy are written: source files (intake's SOURCE_FILE) in the
 *   manifest's exercise folders, exercises/<folder>/…, under intake's rules for sub-folders (hidden
 *   ones and node_modules passed over, safe names, intake's depth);
 * - their sizes and count are read from the tree (`git ls-tree -r -l`) and checked against
 *   intake's own limits (INTAKE_LIMITS) before any byte is written, and each blob is then streamed
 *   with a cap at its listed size;
 * - a symbolic link or a submodule where such a file would be is never followed or fetched;
 * - every git command runs under one deadline for the student (clone included).
 *
 * A student whose repository breaks a limit, or cannot be cloned or read in time, gets nothing
 * written and a refusal in the class folder's COLLECT_REFUSALS file, which class/students.ts turns
 * into the refused row every class report already knows: the step goes on with the next student.
 * The clone is bare (no work tree, so no checkout, filter or submodule), runs no hook, prompts for
 * nothing and is deleted afterwards; credentials come from the caller's git configuration.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INTAKE_LIMITS, SAFE_NAME, shownName, skippedInExercise, SOURCE_FILE, type IntakeLimits } from '../intake.js';
import { loadManifest, type ManifestExercise } from '../manifest.js';

/** In the class folder: student name → why their repository was not collected (read by class/students.ts). */
export const COLLECT_REFUSALS = '.collect-refusals.json';
/** A course repository clones and reads in seconds; minutes means it is not a course submission. */
export const COLLECT_TIMEOUT_MS = 120_000;
/** How long a killed git may take to let go of its pipes before the refusal is given anyway. */
const KILL_GRACE_MS = 5_000;
/** Bytes of `git ls-tree` output allowed per entry intake may look at: room for long paths, not for a flood. */
const LISTING_BYTES_PER_ENTRY = 512;

export interface CollectRequest {
  /** What `git clone` reads: a URL or a local repository. */
  source: string;
  /** The student's folder name in the class folder. */
  student: string;
  /** The class folder: one sub-folder per student. */
  into: string;
  /** Collect the last first-parent commit before this time (git's --before); default the newest. */
  before?: string;
  timeoutMs?: number;
  limits?: Partial<IntakeLimits>;
  exercises?: ManifestExercise[];
}

export type Collection =
  | { student: string; commit: string | null; files: string[]; bytes: number; refused?: undefined }
  | { student: string; commit: string | null; refused: string };

/** A file the tree lists that intake would copy: where it goes and how large the tree says it is. */
interface Wanted { path: string; oid: string; size: number }

/** Why a repository is not collected; its message completes "the student folder was not collected: …". */
class Refused extends Error {}

/** git without hooks, LFS or prompts: the flags the workflow's fetch always used. */
const SAFE_GIT = ['-c', 'core.hooksPath=/dev/null', '-c', 'filter.lfs.smudge=', '-c', 'filter.lfs.process=', '-c', 'filter.lfs.required=false'];
const GIT_ENV = { GIT_LFS_SKIP_SMUDGE: '1', GIT_TERMINAL_PROMPT: '0' };

interface GitRun {
  args: string[];
  cwd?: string;
  deadline: number;
  timeoutMs: number;
  /** Written to git's stdin, which is then closed. */
  input?: string;
  /** Receives stdout; returning false stops git (a cap was reached). */
  onData?: (chunk: Buffer) => boolean;
}

/**
 * Runs git to its end or to the deadline; resolves with its exit code, stderr and whether onData
 * stopped it. git runs in a process group of its own and the whole group is killed: a clone's
 * helpers (remote-https, index-pack) would otherwise outlive it, holding its pipes open.
 */
function git(run: GitRun): Promise<{ code: number | null; stderr: string; stopped: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...SAFE_GIT, ...run.args], { cwd: run.cwd, env: { ...process.env, ...GIT_ENV }, stdio: [run.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true });
    child.stdin?.on('error', () => { /* git stopped reading: its exit says why */ });
    child.stdin?.end(run.input);
    const killGroup = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } };
    let stderr = '';
    let stopped = false;
    let late = false;
    const timer = setTimeout(() => {
      late = true; // what git still sends is never handed on: the caller has moved on
      killGroup();
      // answered once the group is gone (its pipes closed), or after a grace if something holds them
      const tooLate = new Refused(`cloning and reading the repository took longer than ${run.timeoutMs / 1000} s, the limit for one student: a course repository takes seconds; ask the course staff`);
      child.once('close', () => reject(tooLate));
      setTimeout(() => reject(tooLate), KILL_GRACE_MS).unref();
    }, Math.max(0, run.deadline - Date.now()));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (stopped || late) return;
      if (run.onData && !run.onData(chunk)) { stopped = true; killGroup(); }
    });
    child.stderr!.on('data', (chunk: Buffer) => { if (stderr.length < 4096) stderr += chunk.toString('utf8'); });
    child.on('error', (err) => { clearTimeout(timer); reject(new Refused(`git could not be started (${err.message}): install git on the machine that collects`)); });
    child.on('close', (code) => { clearTimeout(timer); if (!late) resolve({ code, stderr, stopped }); });
  });
}

/** git's own first line of complaint, fit for a report. */
function firstLine(stderr: string): string {
  return shownName(stderr.trim().split('\n')[0]?.slice(0, 200) ?? '');
}

/** The commit to grade: the last first-parent commit before `before`, or the newest; null when there is none. */
async function gradedCommit(repo: string, before: string | undefined, at: Omit<GitRun, 'args'>): Promise<string | null> {
  let out = '';
  const args = before ? ['rev-list', '-1', '--first-parent', `--before=${before}`, 'HEAD'] : ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'];
  const r = await git({ ...at, args, cwd: repo, onData: (c) => { out += c.toString('utf8'); return out.length < 100; } });
  const commit = out.trim();
  // an empty repository has no HEAD to read: nothing was submitted
  return r.code === 0 && /^[0-9a-f]{40,64}$/.test(commit) ? commit : null;
}

const kb = (bytes: number) => `${bytes} bytes (${Math.round(bytes / 1024)} KB)`;

/**
 * The files of the tree that intake would copy from the exercise folders, each checked against
 * intake's limits from the sizes the tree lists: a refusal (thrown) names the first broken limit.
 */
async function listWanted(repo: string, commit: string, exercises: ManifestExercise[], limits: IntakeLimits, at: Omit<GitRun, 'args'>): Promise<Wanted[]> {
  const short = commit.slice(0, 7);
  const chunks: Buffer[] = [];
  let bytes = 0;
  let entries = 0;
  const listingCap = limits.entries * LISTING_BYTES_PER_ENTRY;
  const r = await git({
    ...at, cwd: repo,
    // -t lists the folders too: the entries are counted as the intake counts them, folders and files
    args: ['--literal-pathspecs', 'ls-tree', '-r', '-t', '-l', '-z', commit, '--', ...exercises.map((ex) => `exercises/${ex.folder}`)],
    onData: (chunk) => {
      bytes += chunk.length;
      for (const b of chunk) if (b === 0) entries++;
      chunks.push(chunk);
      return entries <= limits.entries && bytes <= listingCap;
    },
  });
  if (entries > limits.entries) throw new Refused(`its exercise folders at commit ${short} hold more than ${limits.entries} files and folders: commit the exercise files only`);
  if (bytes > listingCap) throw new Refused(`the names in its exercise folders at commit ${short} are over ${listingCap} bytes in all: commit the exercise files only, with short names`);
  if (r.code !== 0) throw new Refused(`the tree of commit ${short} could not be read (git: ${firstLine(r.stderr)}): ask the course staff`);

  const wanted: Wanted[] = [];
  let total = 0;
  for (const record of Buffer.concat(chunks).toString('utf8').split('\0')) {
    const m = /^(\d{6}) (\w+) ([0-9a-f]+) +(\d+|-)\t(.+)$/s.exec(record);
    if (!m) continue;
    const [, mode, , oid, size, where] = m;
    const ex = exercises.find((x) => where.startsWith(`exercises/${x.folder}/`));
    if (!ex || mode === '040000') continue; // a folder: its files are listed, and judged, one by one
    const parts = where.slice(`exercises/${ex.folder}/`.length).split('/');
    const name = parts.pop()!;
    const shown = where.split('/').map(shownName).join('/');
    // the intake's walk, folder by folder below the exercise folder (its depth 1)
    let passedOver = false;
    for (const [i, folder] of parts.entries()) {
      if (skippedInExercise(folder)) { passedOver = true; break; }
      if (!SAFE_NAME.test(folder)) throw new Refused(`${shown} at commit ${short} is in a folder whose name intake cannot use: rename the folder with letters, digits, '.', '_' or '-' only`);
      if (i + 1 >= limits.depth) throw new Refused(`${shown} at commit ${short} is nested too deep (more than ${limits.depth} folders): move it up`);
    }
    if (passedOver || !SOURCE_FILE.test(name)) continue; // never read by grading: not written either
    if (mode === '120000') throw new Refused(`${shown} at commit ${short} is a symbolic link: links are never followed; commit the file itself`);
    if (mode === '160000') throw new Refused(`${shown} at commit ${short} is a git submodule: submodules are never fetched; commit the file itself`);
    if (!mode.startsWith('100')) throw new Refused(`${shown} at commit ${short} is not a regular file: commit the file itself`);
    if (!SAFE_NAME.test(name)) throw new Refused(`${shown} at commit ${short}: rename the file with letters, digits, '.', '_' or '-' only`);
    const n = Number(size);
    if (n > limits.fileBytes) throw new Refused(`${shown} at commit ${short} is ${kb(n)}, over the limit of ${kb(limits.fileBytes)} for one file: commit source code only`);
    total += n;
    if (wanted.length + 1 > limits.files || total > limits.totalBytes) {
      throw new Refused(`its exercise folders at commit ${short} hold more than ${limits.files} source files or ${kb(limits.totalBytes)} of them: commit the exercise files only`);
    }
    wanted.push({ path: where, oid, size: n });
  }
  return wanted;
}

/**
 * Streams the blobs into new files through one `git cat-file --batch`: each answer's header must
 * name the oid, type and size the tree listed, and no file gets a byte more than that size.
 */
async function writeBlobs(repo: string, files: Wanted[], folder: string, at: Omit<GitRun, 'args'>): Promise<void> {
  let i = 0;
  let header = '';
  let left = -1; // bytes of the current blob still to come; -1 while its header is read
  let fd: number | null = null;
  let failure: unknown = null;
  const take = (chunk: Buffer): void => {
    let at = 0;
    while (at < chunk.length) {
      if (i >= files.length) throw new Refused('git sent more than was asked of it: ask the course staff');
      const file = files[i];
      if (left < 0) {
        const end = chunk.indexOf(10, at);
        header += chunk.subarray(at, end < 0 ? chunk.length : end).toString('latin1');
        if (header.length > 200) throw new Refused('git answered with a header that is not one: ask the course staff');
        if (end < 0) return;
        at = end + 1;
        if (header !== `${file.oid} blob ${file.size}`) throw new Refused(`${shownName(file.path)} could not be read as the tree lists it (git: ${shownName(header)}): ask the course staff`);
        header = '';
        mkdirSync(path.dirname(path.join(folder, file.path)), { recursive: true });
        fd = openSync(path.join(folder, file.path), 'wx', 0o644); // a path the tree names twice is refused, never overwritten
        left = file.size;
      }
      const n = Math.min(left, chunk.length - at);
      writeSync(fd!, chunk, at, n);
      at += n;
      left -= n;
      // the blob is followed by one newline, then the next header
      if (left === 0 && at < chunk.length) {
        if (chunk[at] !== 10) throw new Refused(`${shownName(file.path)} is longer than the tree lists it: ask the course staff`);
        at++;
        closeSync(fd!);
        fd = null;
        left = -1;
        i++;
      }
    }
  };
  try {
    const r = await git({
      ...at, cwd: repo, args: ['cat-file', '--batch'], input: files.map((f) => `${f.oid}\n`).join(''),
      onData: (chunk) => {
        try { take(chunk); return true; } catch (err) { failure = err; return false; }
      },
    });
    if (failure) throw failure;
    // the last blob's newline may come in a chunk of its own
    if (left === 0 && i === files.length - 1) i++;
    if (r.code !== 0 || i !== files.length) throw new Refused(`git stopped after ${i} of ${files.length} files (${firstLine(r.stderr) || `exit ${r.code}`}): ask the course staff`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The refusals recorded in a class folder so far (student → reason). */
export function readCollectRefusals(classDir: string): Record<string, string> {
  const file = path.join(classDir, COLLECT_REFUSALS);
  if (!existsSync(file)) return {};
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  // names become file names of the results folder (students/<name>.json): only names collect accepts
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.entries(parsed).some(([k, v]) => !SAFE_NAME.test(k) || typeof v !== 'string')) {
    throw new Error(`${file} is not a map of student names to reasons: delete it and collect the class again`);
  }
  return parsed as Record<string, string>;
}

/** Records (or, with null, clears) one student's refusal; the file is replaced whole, never half-written. */
function recordRefusal(classDir: string, student: string, reason: string | null): void {
  const before = Object.entries(readCollectRefusals(classDir));
  const others = before.filter(([name]) => name !== student);
  if (reason === null && others.length === before.length) return;
  // built from entries, not assigned: a student named __proto__ stays a name
  const refusals = Object.fromEntries([...others, ...(reason === null ? [] : [[student, reason]])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const file = path.join(classDir, COLLECT_REFUSALS);
  const next = `${file}.${process.pid}`;
  const fd = openSync(next, 'w', 0o644);
  try { writeSync(fd, `${JSON.stringify(refusals, null, 2)}\n`); } finally { closeSync(fd); }
  renameSync(next, file);
}

/**
 * Clones `source`, picks the graded commit and writes the student's exercise files into
 * `<into>/<student>/exercises/`, or records why not. Never throws for what a repository holds.
 */
export async function collectSubmission(req: CollectRequest): Promise<Collection> {
  const limits = { ...INTAKE_LIMITS, ...req.limits };
  const exercises = req.exercises ?? loadManifest().exercises;
  const timeoutMs = req.timeoutMs ?? COLLECT_TIMEOUT_MS;
  const at = { deadline: Date.now() + timeoutMs, timeoutMs };
  const folder = path.join(req.into, req.student);
  // a run again replaces the student's last collection, whatever it was
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(req.into, { recursive: true });
  const clone = mkdtempSync(path.join(os.tmpdir(), 'gradlab-collect-'));
  let commit: string | null = null;
  try {
    const cloned = await git({ ...at, args: ['clone', '--quiet', '--bare', '--', req.source, clone] });
    if (cloned.code !== 0) throw new Refused(`the repository could not be cloned (git: ${firstLine(cloned.stderr)}): check that the class token can read it`);
    commit = await gradedCommit(clone, req.before, at);
    // no commit to grade: an empty folder, which `gradlab class` lists as "submitted nothing"
    mkdirSync(folder);
    if (commit === null) {
      recordRefusal(req.into, req.student, null);
      return { student: req.student, commit, files: [], bytes: 0 };
    }
    const wanted = await listWanted(clone, commit, exercises, limits, at);
    if (wanted.length) await writeBlobs(clone, wanted, folder, at);
    recordRefusal(req.into, req.student, null);
    return { student: req.student, commit, files: wanted.map((w) => w.path), bytes: wanted.reduce((a, w) => a + w.size, 0) };
  } catch (err) {
    rmSync(folder, { recursive: true, force: true });
    const reason = err instanceof Refused ? err.message
      : (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'its tree names the same file twice (a tree git itself would not make): ask the course staff'
        : `collecting it failed (${shownName((err as Error)?.message ?? String(err))}): ask the course staff`;
    recordRefusal(req.into, req.student, `was not collected: ${reason}`);
    return { student: req.student, commit, refused: `was not collected: ${reason}` };
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}
