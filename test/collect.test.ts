/**
 * `gradlab collect` (grader/class/collect.ts): a student's repository into a class folder, on real
 * git repositories made here. Only the source files of the exercise folders are written, byte for
 * byte; sizes and counts are checked in the tree against the intake's limits before any byte is
 * written; a link or a submodule where an exercise file would be, a path the intake would refuse,
 * a clone that fails or takes too long: each a refused row of `gradlab class`, never a failed step,
 * while a classmate is graded.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gradlab } from './cli-harness';
import { COLLECT_REFUSALS } from '../grader/class/collect';
import { findStudents } from '../grader/class/students';
import { INTAKE_LIMITS, intakeSubmission } from '../grader/intake';
import { ROOT } from '../grader/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-collect-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const gitconfig = path.join(tmp, 'gitconfig');
writeFileSync(gitconfig, '[user]\n  name = t\n  email = t@example.org\n[init]\n  defaultBranch = main\n');
const GIT_ENV = { GIT_CONFIG_GLOBAL: gitconfig, GIT_CONFIG_NOSYSTEM: '1' };
/** Where collect makes its clones (os.tmpdir()): a folder of this test's own, so it can be seen emptied. */
const clones = path.join(tmp, 'clones');
mkdirSync(clones);
const solution = (rel: string) => readFileSync(path.join(ROOT, 'solutions', rel), 'utf8');
const { fileBytes, totalBytes, files: maxFiles, entries: maxEntries, depth } = INTAKE_LIMITS;

function git(args: string[], cwd: string, input?: string, env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd, input, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...GIT_ENV, ...env } }).trim();
}

/** A blob in `dir`'s repository holding `bytes` bytes of `fill`: written once, named as often as wanted. */
function blob(dir: string, bytes: number, fill = 'x'): string {
  const file = path.join(tmp, `blob-${bytes}-${fill}`);
  writeFileSync(file, fill.repeat(bytes));
  return git(['hash-object', '-w', file], dir);
}

/**
 * A repository with `files` written and committed at `date`, then `index` lines
 * (`mode oid\tpath`, git update-index --index-info) added to the same commit: how a tree names
 * links, submodules, one blob many times or names no checkout would write.
 */
function repo(name: string, files: Record<string, string>, index: (dir: string) => string[] = () => [], date = '2026-01-10T10:00:00Z'): string {
  const dir = path.join(tmp, 'github', name);
  if (!existsSync(dir)) git(['init', '--quiet', dir], tmp);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  git(['add', '-A'], dir);
  const lines = index(dir);
  if (lines.length) git(['update-index', '--index-info'], dir, lines.join('\n') + '\n');
  git(['commit', '--quiet', '--allow-empty', '-m', `work ${date}`], dir, undefined, { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  return dir;
}

async function collect(source: string, student: string, into: string, ...more: string[]) {
  return gradlab(['collect', source, '--student', student, '--into', into, ...more], { ...GIT_ENV, TMPDIR: clones });
}

/** Every file below `dir`, '/'-separated and sorted, with its bytes. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    if (statSync(path.join(dir, rel)).isFile()) out[rel.split(path.sep).join('/')] = readFileSync(path.join(dir, rel), 'utf8');
  }
  return out;
}

const refusals = (into: string) => JSON.parse(readFileSync(path.join(into, COLLECT_REFUSALS), 'utf8')) as Record<string, string>;
const head = (dir: string) => git(['rev-parse', 'HEAD'], dir);

describe('gradlab collect: what a repository holds, within the intake\'s limits', () => {
  it('writes exactly the source files the intake reads from the exercise folders, byte for byte, at the last commit before the deadline', async () => {
    const files = {
      'exercises/01-activations/activations.ts': solution('01-activations/activations.ts'),
      'exercises/01-activations/activations.test.ts': 'import { it } from "vitest";\n',
      'exercises/01-activations/README.md': '# not read by grading\n',
      'exercises/05-residual/residual.ts': solution('05-residual/residual.ts'),
      'exercises/05-residual/a/b/c/d/e/helpers.ts': 'export const five = 5;\n', // 5 folders below: the deepest the intake reads
      'exercises/05-residual/node_modules/pkg/index.js': 'module.exports = 1;\n',
      'exercises/05-residual/.vscode/settings.ts': 'export {};\n',
      'exercises/lib/tensor.ts': 'export {};\n', // the grader's own lib/ is used, never the student's
      'exercises/01-activations-old/activations.ts': 'export {};\n', // a prefix of a manifest folder, not one
      '01-activations/activations.ts': 'export {};\n',
      'README.md': '# my repo\n',
      'package.json': '{ "scripts": { "postinstall": "curl evil" } }\n',
    };
    const dir = repo('gradlab-alice', files, (d) => {
      const text = blob(d, 11, 'y');
      return [
        `120000 ${text}\tnotes.ts`, // links outside the exercise folders, or not named like source: not read, not written
        `120000 ${text}\texercises/05-residual/NOTES.md`,
        `160000 ${head(path.join(ROOT))}\texercises/05-residual/vendor`, // a submodule as a folder: never fetched
      ];
    });
    const graded = head(dir);
    repo('gradlab-alice', { 'exercises/05-residual/residual.ts': 'export const late = 1;\n' }, () => [], '2026-01-20T10:00:00Z');
    const into = path.join(tmp, 'exact');
    const r = await collect(dir, 'alice', into, '--before', '2026-01-15T23:59:00Z');
    const wanted = ['exercises/01-activations/activations.test.ts', 'exercises/01-activations/activations.ts', 'exercises/05-residual/a/b/c/d/e/helpers.ts', 'exercises/05-residual/residual.ts'];
    const bytes = wanted.reduce((a, f) => a + Buffer.byteLength(files[f as keyof typeof files]), 0);
    expect(r).toEqual({ status: 0, stdout: `${graded}\n`, stderr: `alice at ${graded.slice(0, 7)}: 4 files, ${bytes} bytes\n` });
    expect(tree(path.join(into, 'alice'))).toEqual(Object.fromEntries(wanted.map((f) => [f, files[f as keyof typeof files]])));
    expect(existsSync(path.join(into, COLLECT_REFUSALS))).toBe(false);

    // the intake copies the same files from the collected folder as from the whole commit unpacked
    const whole = path.join(tmp, 'whole-alice');
    mkdirSync(whole);
    execFileSync('/bin/sh', ['-c', `git -C '${dir}' archive ${graded} | tar -x -C '${whole}'`], { env: { ...process.env, ...GIT_ENV } });
    const [fromWhole, fromCollected] = [whole, path.join(into, 'alice')].map((d) => intakeSubmission(path.join(d, 'exercises')));
    try {
      expect(tree(fromCollected.root)).toEqual(tree(fromWhole.root));
      expect(fromCollected.found).toEqual(fromWhole.found);
      expect(Object.keys(tree(fromCollected.root))).toHaveLength(4);
    } finally {
      fromWhole.cleanup();
      fromCollected.cleanup();
    }

    // collected again, the student's folder is replaced, never merged with the last collection
    const again = await collect(dir, 'alice', into);
    expect(again.stdout).toBe(`${head(dir)}\n`);
    expect(readFileSync(path.join(into, 'alice', 'exercises', '05-residual', 'residual.ts'), 'utf8')).toBe('export const late = 1;\n');
    expect(Object.keys(tree(path.join(into, 'alice')))).toEqual(wanted);
  });

  it(`refuses a ${'small'} repository whose tree names a blob just over the per-file limit 100 times, before writing a byte, and the class still grades the classmate`, async () => {
    const mallory = repo('gradlab-mallory', { 'exercises/05-residual/residual.ts': solution('05-residual/residual.ts') }, (d) => {
      const big = blob(d, fileBytes + 1);
      return Array.from({ length: 100 }, (_, i) => `100644 ${big}\texercises/02-backprop/big${String(i).padStart(3, '0')}.ts`);
    });
    const commit = head(mallory);
    // what the workflow's old `git archive | tar -x` was handed: 100 × (512 KB + 1 byte) of files from a .git of under 1 MB
    const gitBytes = (readdirSync(path.join(mallory, '.git'), { recursive: true }) as string[])
      .map((f) => statSync(path.join(mallory, '.git', f))).filter((s) => s.isFile()).reduce((a, s) => a + s.size, 0);
    expect(gitBytes).toBeLessThan(1024 * 1024);
    const archive = spawnSync('git', ['archive', '--format=tar', commit], { cwd: mallory, maxBuffer: 1 << 27, env: { ...process.env, ...GIT_ENV } });
    expect(archive.stdout.length).toBeGreaterThan(100 * (fileBytes + 1));

    const alice = repo('gradlab-alice2', { 'exercises/05-residual/residual.ts': solution('05-residual/residual.ts') });
    const into = path.join(tmp, 'class-big');
    const reason = `was not collected: exercises/02-backprop/big000.ts at commit ${commit.slice(0, 7)} is ${fileBytes + 1} bytes (512 KB), over the limit of ${fileBytes} bytes (512 KB) for one file: commit source code only`;
    expect(await collect(mallory, 'mallory', into)).toEqual({ status: 0, stdout: `${commit}\n`, stderr: `mallory at ${commit.slice(0, 7)}: refused, ${reason}\n` });
    expect((await collect(alice, 'alice', into)).status).toBe(0);
    expect(existsSync(path.join(into, 'mallory'))).toBe(false);
    expect(refusals(into)).toEqual({ mallory: reason });

    const results = path.join(tmp, 'results-big');
    const graded = await gradlab(['class', into, '-e', '05-residual', '--results', results]);
    expect(graded.status).toBe(0);
    const gradebook = readFileSync(path.join(results, 'gradebook.csv'), 'utf8');
    expect(gradebook).toContain('\nalice,graded,10,10,10,,');
    expect(gradebook).toContain(`\nmallory,refused,0,10,0,"${reason}",`);
    expect(graded.stdout).toContain('2 students (1 refused), mean of the 1 graded 10/10.');
  });

  it('collects at exactly the file, byte and count limits, and refuses one file or one byte more, or a flood of entries', async () => {
    // 200 files holding 4 MB less 58 bytes: one of exactly 512 KB and 199 of 18442 bytes
    const filler = Math.floor((totalBytes - fileBytes) / (maxFiles - 1));
    const atLimits = (d: string, extra: string[] = [], size = filler) => {
      const small = blob(d, size);
      return [
        `100644 ${blob(d, fileBytes)}\texercises/03-initialization/largest.ts`,
        ...Array.from({ length: maxFiles - 1 }, (_, i) => `100644 ${small}\texercises/04-batchnorm/f${String(i).padStart(3, '0')}.ts`),
        ...extra,
      ];
    };
    expect(fileBytes + (maxFiles - 1) * filler).toBe(totalBytes - 58);
    const into = path.join(tmp, 'limits');
    const full = repo('at-limits', {}, (d) => atLimits(d));
    const r = await collect(full, 'full', into);
    expect(r.stderr).toBe(`full at ${head(full).slice(0, 7)}: ${maxFiles} files, ${totalBytes - 58} bytes\n`);
    // every byte as the tree holds it (4 MB through one cat-file --batch, its answers split across reads)
    const got = tree(path.join(into, 'full', 'exercises'));
    expect(got['03-initialization/largest.ts']).toBe('x'.repeat(fileBytes));
    expect(Object.keys(got)).toHaveLength(maxFiles);
    expect(Object.entries(got).filter(([f, text]) => f.startsWith('04-batchnorm/') && text === 'x'.repeat(filler))).toHaveLength(maxFiles - 1);

    const overCount = repo('one-file-more', {}, (d) => atLimits(d, [`100644 ${blob(d, 1)}\texercises/04-batchnorm/zz.ts`]));
    const overBytes = repo('bytes-more', {}, (d) => atLimits(d, [], filler + 1));
    const flood = repo('flood', {}, (d) => {
      const text = blob(d, 1);
      return Array.from({ length: maxEntries + 1 }, (_, i) => `100644 ${text}\texercises/06-dead-neurons/notes/n${i}.md`);
    });
    for (const [source, name] of [[overCount, 'count'], [overBytes, 'bytes'], [flood, 'flood']]) expect((await collect(source, name, into)).status).toBe(0);
    const tooMany = (d: string) => `was not collected: its exercise folders at commit ${head(d).slice(0, 7)} hold more than ${maxFiles} source files or ${totalBytes} bytes (4096 KB) of them: commit the exercise files only`;
    expect(refusals(into)).toEqual({
      count: tooMany(overCount),
      bytes: tooMany(overBytes),
      flood: `was not collected: its exercise folders at commit ${head(flood).slice(0, 7)} hold more than ${maxEntries} files and folders: commit the exercise files only`,
    });
    expect(readdirSync(into).sort()).toEqual([COLLECT_REFUSALS, 'full']);
    // collected within the limits the next time, the student's refusal goes
    expect((await collect(full, 'count', into)).status).toBe(0);
    expect(Object.keys(refusals(into)).sort()).toEqual(['bytes', 'flood']);
    expect(findStudents(into).map((st) => [st.name, st.refused === undefined])).toEqual([['bytes', false], ['count', true], ['flood', false], ['full', true]]);
  });

  it('refuses a link or a submodule where an exercise file would be, and names the intake would refuse; writes nothing outside the exercise folders', async () => {
    const into = path.join(tmp, 'odd');
    const cases: Array<[string, (d: string) => string[], string]> = [
      ['link', (d) => [`120000 ${blob(d, 11, 'z')}\texercises/02-backprop/backprop.ts`], 'exercises/02-backprop/backprop.ts at commit C is a symbolic link: links are never followed; commit the file itself'],
      ['submodule', () => [`160000 ${head(ROOT)}\texercises/02-backprop/backprop.ts`], 'exercises/02-backprop/backprop.ts at commit C is a git submodule: submodules are never fetched; commit the file itself'],
      ['spaced', (d) => [`100644 ${blob(d, 3)}\texercises/02-backprop/my backprop.ts`], "exercises/02-backprop/my backprop.ts at commit C: rename the file with letters, digits, '.', '_' or '-' only"],
      ['deep', (d) => [`100644 ${blob(d, 3)}\texercises/02-backprop/a/b/c/d/e/f/deep.ts`], `exercises/02-backprop/a/b/c/d/e/f/deep.ts at commit C is nested too deep (more than ${depth} folders): move it up`],
      ['folder', (d) => [`100644 ${blob(d, 3)}\texercises/02-backprop/my stuff/x.ts`], "exercises/02-backprop/my stuff/x.ts at commit C is in a folder whose name intake cannot use: rename the folder with letters, digits, '.', '_' or '-' only"],
    ];
    for (const [name, index, reason] of cases) {
      const dir = repo(`odd-${name}`, { 'exercises/05-residual/residual.ts': 'export {};\n', '.gitmodules': '[submodule "x"]\n  path = exercises/02-backprop/backprop.ts\n  url = ../nowhere\n' }, index);
      const r = await collect(dir, name, into);
      expect(r.status).toBe(0);
      expect(refusals(into)[name]).toBe(`was not collected: ${reason.replace('commit C', `commit ${head(dir).slice(0, 7)}`)}`);
      expect(existsSync(path.join(into, name))).toBe(false);
    }

    // a tree no checkout would write (made with git mktree): a folder named '..' inside an exercise
    // folder. The old `git archive` stopped the whole step on it ("invalid path"); collect passes it over.
    const forged = path.join(tmp, 'github', 'forged');
    git(['init', '--quiet', '--bare', forged], tmp);
    const text = blob(forged, 3, 'w');
    const mktree = (lines: string[]) => git(['mktree'], forged, lines.join('\n') + '\n');
    const up = mktree([`100644 blob ${text}\tevil.ts`]);
    const backprop = mktree([`040000 tree ${up}\t..`, `100644 blob ${text}\tbackprop.ts`]);
    const root = mktree([`040000 tree ${mktree([`040000 tree ${backprop}\t02-backprop`])}\texercises`]);
    const commit = git(['commit-tree', root, '-m', 'forged'], forged);
    git(['update-ref', 'refs/heads/main', commit], forged);
    const archive = spawnSync('git', ['archive', commit], { cwd: forged, env: { ...process.env, ...GIT_ENV } });
    expect(archive.status).not.toBe(0);
    expect(archive.stderr.toString()).toContain("invalid path 'exercises/02-backprop/../evil.ts'");
    expect((await collect(forged, 'forged', into)).stderr).toBe(`forged at ${commit.slice(0, 7)}: 1 file, 3 bytes\n`);
    expect(tree(into)).toEqual({ [COLLECT_REFUSALS]: expect.any(String), 'forged/exercises/02-backprop/backprop.ts': 'www' });
    // a tree naming one file twice: the second is never written over the first; the student is refused
    const twice = mktree([`040000 tree ${mktree([`040000 tree ${mktree([`100644 blob ${text}\tbackprop.ts`, `100644 blob ${blob(forged, 4)}\tbackprop.ts`])}\t02-backprop`])}\texercises`]);
    git(['update-ref', 'refs/heads/main', git(['commit-tree', twice, '-p', commit, '-m', 'twice'], forged)], forged);
    expect((await collect(forged, 'forged', into)).status).toBe(0);
    expect(refusals(into).forged).toBe('was not collected: its tree names the same file twice (a tree git itself would not make): ask the course staff');
    expect(existsSync(path.join(into, 'forged'))).toBe(false);
  });

  it('refuses a repository that cannot be cloned or read in time, and leaves no git behind; an empty one has no commit to grade', async () => {
    const into = path.join(tmp, 'failing');
    const missing = path.join(tmp, 'github', 'no-such-repo');
    const r = await collect(missing, 'gone', into);
    expect(r.stdout).toBe('none\n');
    expect(refusals(into).gone).toBe(`was not collected: the repository could not be cloned (git: fatal: repository '${missing}' does not exist): check that the class token can read it`);

    // a git that never answers, whose helper outlives it unless the whole process group is killed
    const slow = path.join(tmp, 'slow-bin');
    mkdirSync(slow);
    const pids = path.join(slow, 'pids');
    writeFileSync(path.join(slow, 'git'), `#!/bin/sh\nsleep 600 &\necho $! >> '${pids}'\nwait\n`);
    chmodSync(path.join(slow, 'git'), 0o755);
    const late = await gradlab(['collect', missing, '--student', 'slow', '--into', into, '--timeout', '10'], { ...GIT_ENV, TMPDIR: clones, PATH: `${slow}:${process.env.PATH}` });
    expect(late.status).toBe(0);
    expect(refusals(into).slow).toBe('was not collected: cloning and reading the repository took longer than 10 s, the limit for one student: a course repository takes seconds; ask the course staff');
    // the helper is gone (or a zombie waiting to be reaped): it closed git's pipes by dying
    const stat = `/proc/${readFileSync(pids, 'utf8').trim()}/stat`;
    expect(existsSync(stat) ? readFileSync(stat, 'utf8').split(') ')[1][0] : 'gone').toMatch(/^(gone|Z)$/);

    const empty = path.join(tmp, 'github', 'empty');
    git(['init', '--quiet', empty], tmp);
    expect(await collect(empty, 'empty', into)).toEqual({ status: 0, stdout: 'none\n', stderr: 'empty: no commit to grade\n' });
    expect(readdirSync(path.join(into, 'empty'))).toEqual([]);
    expect(readdirSync(clones)).toEqual([]);

    // each is a row of the class: refused with why, or (no commit) empty
    expect(findStudents(into)).toEqual([
      { name: 'empty', refused: 'is empty: the student submitted nothing' },
      { name: 'gone', refused: refusals(into).gone },
      { name: 'slow', refused: refusals(into).slow },
    ]);
  });

  it('says what to do with bad arguments or a refusals file it did not write', async () => {
    const into = path.join(tmp, 'usage');
    expect(await collect('x', '../bob', into)).toEqual({ status: 2, stdout: '', stderr: "gradlab: --student must be a folder name of letters, digits, '.', '_' or '-' (not starting with '.' or '-'), got '../bob'\n" });
    expect((await gradlab(['collect', 'x'])).stderr).toBe('gradlab: collect needs one repository, --student NAME and --into DIR. See `gradlab collect --help`.\n');
    expect((await collect('x', 'bob', into, '--timeout', '0')).stderr).toBe("gradlab: --timeout must be a number of seconds ≥ 1, got '0'\n");
    expect((await gradlab(['collect', '--help'])).stdout).toContain('seconds one student\'s clone and reads may take (default 120)');
    // a name that is also an object's property stays a name: recorded, listed, cleared
    const proto = path.join(tmp, 'proto');
    await collect(path.join(tmp, 'github', 'no-such-repo'), '__proto__', proto);
    expect(Object.keys(refusals(proto))).toEqual(['__proto__']);
    expect(findStudents(proto).map((st) => [st.name, st.refused?.slice(0, 42)])).toEqual([['__proto__', 'was not collected: the repository could no']]);
    mkdirSync(path.join(into, 'bob'), { recursive: true });
    writeFileSync(path.join(into, COLLECT_REFUSALS), JSON.stringify({ '../etc': 'x' }));
    expect(() => findStudents(into)).toThrow(`'${into}/${COLLECT_REFUSALS}' is not the refusals file \`gradlab collect\` writes: collect the class again into a new folder`);
  });
});
