/** Which grader graded: the commit read from .git's files (never by running git), checked against git itself. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeVersion, headCommit } from '../grader/class/version';
import { ROOT } from '../grader/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-version-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

function repo(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('headCommit', () => {
  it('agrees with `git rev-parse HEAD` on this checkout (a worktree or a clone)', () => {
    const git = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(headCommit(ROOT)).toBe(git);
  });

  it('reads a loose ref, a packed ref, a detached HEAD and a worktree, and says when there is no checkout', () => {
    expect(headCommit(repo('loose', { '.git/HEAD': 'ref: refs/heads/main\n', '.git/refs/heads/main': `${A}\n` }))).toBe(A);
    expect(headCommit(repo('packed', { '.git/HEAD': 'ref: refs/heads/main\n', '.git/packed-refs': `# pack-refs with: peeled\n${B} refs/heads/main\n` }))).toBe(B);
    expect(headCommit(repo('detached', { '.git/HEAD': `${A}\n` }))).toBe(A);
    const main = repo('wt-main', { '.git/HEAD': 'ref: refs/heads/main\n', '.git/refs/heads/topic': `${B}\n`, '.git/worktrees/t/HEAD': 'ref: refs/heads/topic\n', '.git/worktrees/t/commondir': '../..\n' });
    expect(headCommit(repo('wt', { '.git': `gitdir: ${path.join(main, '.git', 'worktrees', 't')}\n` }))).toBe(B);
    expect(headCommit(repo('none', { 'package.json': '{}' }))).toBe('unknown commit');
    expect(headCommit(repo('escape', { '.git/HEAD': 'ref: refs/../../../etc/passwd\n' }))).toBe('unknown commit');
  });

  it('describes a version for a gradebook cell', () => {
    expect(describeVersion({ version: '0.1.0', commit: A })).toBe('0.1.0 (commit aaaaaaaaaaaa)');
    expect(describeVersion({ version: '0.1.0', commit: 'unknown commit' })).toBe('0.1.0 (unknown commit)');
  });
});
