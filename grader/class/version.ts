/**
 * Which grader graded: the package version and the git commit of the grader checkout, for every
 * class output, plus a fingerprint of everything a grade depends on, for incremental regrading.
 *
 * The commit is read from the files in `.git` (HEAD, the ref it names, packed-refs), never by
 * running git: in a workflow the grader can sit inside a student's workspace, whose `.git/config`
 * could make a git command run the student's programs.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../paths.js';

export interface GraderVersion {
  /** package.json's version, e.g. '0.1.0'. */
  version: string;
  /** The 40-hex commit of the grader checkout, or 'unknown commit' when it is not a git checkout. */
  commit: string;
}

const UNKNOWN = 'unknown commit';

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The commit HEAD points at, read from the files of a git directory (or a worktree's). */
export function headCommit(root: string): string {
  let gitDir = path.join(root, '.git');
  if (!existsSync(gitDir)) return UNKNOWN;
  if (statSync(gitDir).isFile()) {
    const m = /^gitdir: (.+)$/m.exec(readText(gitDir) ?? '');
    if (!m) return UNKNOWN;
    gitDir = path.resolve(root, m[1]);
  }
  const common = readText(path.join(gitDir, 'commondir'));
  const commonDir = common ? path.resolve(gitDir, common) : gitDir;
  const head = readText(path.join(gitDir, 'HEAD')) ?? '';
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
  if (!ref || ref.split('/').includes('..')) return UNKNOWN;
  for (const dir of [gitDir, commonDir]) {
    const loose = readText(path.join(dir, ref));
    if (loose && /^[0-9a-f]{40}$/.test(loose)) return loose;
  }
  const packed = readText(path.join(commonDir, 'packed-refs')) ?? '';
  for (const line of packed.split('\n')) {
    const [sha, name] = line.split(' ');
    if (name === ref && /^[0-9a-f]{40}$/.test(sha)) return sha;
  }
  return UNKNOWN;
}

/** This grader's version and commit. */
export function graderVersion(): GraderVersion {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return { version: pkg.version, commit: headCommit(ROOT) };
}

/** '0.1.0 (commit 1a2b3c4d5e6f)' or '0.1.0 (unknown commit)', for a gradebook cell or a heading. */
export function describeVersion(v: GraderVersion): string {
  return v.commit === UNKNOWN ? `${v.version} (${UNKNOWN})` : `${v.version} (commit ${v.commit.slice(0, 12)})`;
}

function hashFile(hash: ReturnType<typeof createHash>, file: string): void {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 16);
    for (let n; (n = readSync(fd, chunk)) > 0;) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/**
 * Feeds a file tree into a hash: relative paths, kinds and contents, in sorted order, never
 * following a link (a link contributes its target text). Reads in chunks, so a large file costs
 * no memory.
 */
export function hashTree(hash: ReturnType<typeof createHash>, base: string, rel = ''): void {
  const full = path.join(base, rel);
  const st = lstatSync(full, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isSymbolicLink()) {
    hash.update(`link\0${rel}\0${readlinkSync(full)}\0`);
  } else if (st.isDirectory()) {
    hash.update(`dir\0${rel}\0`);
    for (const name of readdirSync(full).sort()) hashTree(hash, base, path.join(rel, name));
  } else if (st.isFile()) {
    hash.update(`file\0${rel}\0${st.size}\0`);
    hashFile(hash, full);
  } else {
    hash.update(`other\0${rel}\0`);
  }
}

let fingerprint: string | null = null;

/**
 * A hash of everything a grade depends on besides the submission: the grader's code and suites,
 * the fixtures, the manifest, the course's lib and reference solutions (imports of other exercises
 * resolve to them), the locked dependencies and the Node version. Changes whenever any of them
 * changes, committed or not.
 */
export function graderFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256');
  hash.update(`node ${process.version}\0`);
  for (const rel of ['grader', 'fixtures', 'exercises/exercises.json', 'exercises/lib', 'solutions', 'package-lock.json']) hashTree(hash, ROOT, rel);
  fingerprint = hash.digest('hex');
  return fingerprint;
}
