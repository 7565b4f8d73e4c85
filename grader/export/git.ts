/**
 * The committed tree of the course, for `gradlab export`: the template is built from what HEAD
 * holds (`git archive`), never from a working tree where a teacher may have filled in answers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { CliError } from '../errors.js';
import { makeTempFolder } from '../temp-folders.js';

export interface CommittedTree {
  /** A temporary folder holding `paths` as HEAD has them. */
  dir: string;
  /** HEAD's abbreviated commit. */
  head: string;
  /** Files under `paths` whose working-tree state differs from HEAD (modified, added, deleted, untracked). */
  uncommitted: string[];
}

function git(root: string, args: string[]): string {
  return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Extracts `paths` of HEAD into a temporary folder and lists what the working tree changed under them. */
export function committedTree(root: string, paths: string[]): CommittedTree {
  let head: string;
  try {
    head = git(root, ['rev-parse', '--short', 'HEAD']).trim();
  } catch {
    throw new CliError('E_USAGE', `export builds the template from the committed tree, but ${root} is not a git repository with a commit: run it in a git clone of the course`);
  }
  const uncommitted = git(root, ['status', '--porcelain', '--untracked-files=all', '--', ...paths])
    .split('\n').filter(Boolean).map((l) => l.slice(3)).sort();
  const dir = makeTempFolder('gradlab-export-head-');
  const archive = spawnSync('git', ['-C', root, 'archive', '--format=tar', 'HEAD', '--', ...paths], { maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new CliError('E_USAGE', `git archive HEAD failed: ${archive.stderr.toString().trim()}`);
  const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (untar.status !== 0) throw new CliError('E_USAGE', `could not unpack HEAD's files with tar: ${untar.stderr.toString().trim()}`);
  return { dir, head, uncommitted };
}
