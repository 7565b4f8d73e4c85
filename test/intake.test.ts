/** grader/intake.ts on real files: what is copied, what is refused and named, and where the copy lives. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeIntake, intakeSubmission, INTAKE_LIMITS, refusalsFor, STALE_COPY_MS } from '../grader/intake';
import { loadManifest } from '../grader/manifest';
import { ROOT, SOLUTIONS_DIR } from '../grader/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-intake-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const manifest = loadManifest();
const exerciseFiles = manifest.exercises.map((e) => `${e.folder}/${e.file}`);

let n = 0;
/** A fresh copy of the reference solutions (files, not the lib link) at tmp/<name>. */
function solutionsAt(name = `s${n++}`): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.dirname(dir), { recursive: true });
  cpSync(SOLUTIONS_DIR, dir, { recursive: true, filter: (src) => path.basename(src) !== 'lib' });
  return dir;
}

/** Every file of the copy, relative and sorted. */
function filesOf(root: string): string[] {
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; name: string; parentPath: string }>)
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort();
}

describe('intakeSubmission', () => {
  it('copies the exercise files byte for byte into a fresh temporary folder and removes it on cleanup', () => {
    const dir = solutionsAt();
    writeFileSync(path.join(dir, 'tsconfig.json'), '{"extends": "/etc/passwd"}');
    writeFileSync(path.join(dir, '02-backprop', 'package.json'), '{"type": "commonjs"}');
    writeFileSync(path.join(dir, '02-backprop', 'README.md'), '# notes');
    mkdirSync(path.join(dir, 'lib'));
    writeFileSync(path.join(dir, 'lib', 'tensor.ts'), 'export const matmul = () => 42;');
    const intake = intakeSubmission(dir);
    expect(intake.layout).toBe('exercises');
    expect(intake.refused).toEqual([]);
    expect(filesOf(intake.root)).toEqual([...exerciseFiles].sort());
    for (const f of exerciseFiles) expect(readFileSync(path.join(intake.root, f), 'utf8')).toBe(readFileSync(path.join(SOLUTIONS_DIR, f), 'utf8'));
    expect(path.dirname(intake.root)).toBe(os.tmpdir());
    expect(intake.found.map((f) => f.from)).toEqual(exerciseFiles);
    expect(intake.missing).toEqual([]);
    intake.cleanup();
    expect(existsSync(intake.root)).toBe(false);
    intake.cleanup(); // twice is fine
  });

  it('reads a submission whose own path holds ?, #, spaces and non-ASCII letters into a plainly named copy', () => {
    const dir = solutionsAt('odd ?x=1 #frag ünï/sub');
    const intake = intakeSubmission(dir);
    expect(intake.found).toHaveLength(exerciseFiles.length);
    expect(intake.root).toMatch(/^[A-Za-z0-9_/.-]+$/);
    intake.cleanup();
  });

  it('refuses links, wherever they point, and names them; the rest is copied', () => {
    const dir = solutionsAt();
    const outside = path.join(tmp, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(outside, 'helper.ts'), 'export const h = 1;');
    rmSync(path.join(dir, '01-activations', 'activations.ts'));
    symlinkSync(path.join(ROOT, 'solutions', '01-activations', 'activations.ts'), path.join(dir, '01-activations', 'activations.ts'));
    symlinkSync(path.join(outside, 'helper.ts'), path.join(dir, '02-backprop', 'helper.ts'));
    symlinkSync('backprop.ts', path.join(dir, '02-backprop', 'inside.ts')); // a link inside the submission
    symlinkSync(path.join(ROOT, 'fixtures', '02-backprop', 'dense.json'), path.join(dir, '02-backprop', 'dense.json'));
    rmSync(path.join(dir, '03-initialization'), { recursive: true });
    symlinkSync(path.join(SOLUTIONS_DIR, '03-initialization'), path.join(dir, '03-initialization'));
    const intake = intakeSubmission(dir);
    expect(intake.refusals.map((r) => r.path).sort()).toEqual(['01-activations/activations.ts', '02-backprop/dense.json', '02-backprop/helper.ts', '02-backprop/inside.ts', '03-initialization']);
    expect(intake.refused).toContain('01-activations/activations.ts is a symbolic link: links are never followed, wherever they point; submit the file itself');
    expect(filesOf(intake.root)).toEqual(exerciseFiles.filter((f) => !f.startsWith('01-') && !f.startsWith('03-')).sort());
    expect(intake.missing).toEqual([]); // refused is not missing
    expect(refusalsFor(intake, '02-backprop').map((r) => r.path)).toEqual(['02-backprop/dense.json', '02-backprop/helper.ts', '02-backprop/inside.ts']);
    intake.cleanup();
  });

  it('refuses a named pipe without blocking on it', () => {
    const dir = solutionsAt();
    expect(spawnSync('mkfifo', [path.join(dir, '04-batchnorm', 'pipe.ts')]).status).toBe(0);
    const intake = intakeSubmission(dir);
    expect(intake.refused).toEqual(['04-batchnorm/pipe.ts is a named pipe, not a regular file: submit the file itself']);
    intake.cleanup();
  });

  it('refuses a submission folder that is a link (a student folder pointing at a classmate’s), below the trusted parent', () => {
    const klass = path.join(tmp, 'class');
    mkdirSync(klass, { recursive: true });
    const alice = solutionsAt('class/alice');
    symlinkSync(alice, path.join(klass, 'mallory'));
    const intake = intakeSubmission(path.join(klass, 'mallory'), { trustedParent: klass });
    expect(intake.refused).toEqual(['the submission folder mallory is a symbolic link: links are never followed; hand in the folder itself']);
    expect(intake.found).toEqual([]);
    expect(refusalsFor(intake, '01-activations')).toHaveLength(1);
    intake.cleanup();
    // a repository whose exercises/ is a link to the course's solutions
    const repo = path.join(tmp, 'repo-link');
    mkdirSync(repo);
    symlinkSync(SOLUTIONS_DIR, path.join(repo, 'exercises'));
    const viaRepo = intakeSubmission(repo);
    expect(viaRepo.refused).toEqual(['exercises is a symbolic link: links are never followed, wherever they point; submit the file itself']);
    expect(viaRepo.found).toEqual([]);
    viaRepo.cleanup();
  });

  it('refuses files over the size limits and names that need renaming', () => {
    const dir = solutionsAt();
    writeFileSync(path.join(dir, '05-residual', 'big.ts'), 'x'.repeat(INTAKE_LIMITS.fileBytes + 1));
    writeFileSync(path.join(dir, '05-residual', 'my helper?.ts'), 'export const a = 1;');
    writeFileSync(path.join(dir, '05-residual', 'h\u001b[2J.ts'), 'export const a = 1;');
    const intake = intakeSubmission(dir);
    expect(intake.refused).toEqual([
      '05-residual/big.ts is 512 KB, over the limit of 512 KB for one file',
      '05-residual/"h\\u001b[2J.ts": rename the file with letters, digits, \'.\', \'_\' or \'-\' only',
      '05-residual/my helper?.ts: rename the file with letters, digits, \'.\', \'_\' or \'-\' only',
    ]);
    intake.cleanup();
    rmSync(path.join(dir, '05-residual'), { recursive: true });
    // room for the first three exercise files (copied in course order) and 10 bytes more
    const room = exerciseFiles.slice(0, 3).reduce((a, f) => a + statSync(path.join(dir, f)).size, 10);
    const small = intakeSubmission(dir, { limits: { totalBytes: room } });
    expect(small.found.map((f) => f.folder)).toEqual(['01-activations', '02-backprop', '03-initialization']);
    expect(small.refused).toEqual(exerciseFiles.slice(3).filter((f) => !f.startsWith('05-')).map((f) => `${f} was not copied: the submission is over the limit of 200 files or ${Math.round(room / 1024)} KB in all`));
    small.cleanup();
  });

  it('catches a folder swapped for a link while the submission is copied', () => {
    const dir = solutionsAt();
    const elsewhere = path.join(tmp, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(path.join(elsewhere, 'backprop.ts'), 'export const stolen = 1;');
    const intake = intakeSubmission(dir, {
      beforeRead(rel) {
        // after the walk saw a real folder, before its files are listed and opened
        if (rel !== '02-backprop') return;
        renameSync(path.join(dir, '02-backprop'), path.join(tmp, 'moved-away'));
        symlinkSync(elsewhere, path.join(dir, '02-backprop'));
      },
    });
    expect(intake.refused).toEqual(['02-backprop/backprop.ts changed while it was copied (a file or folder swapped for a link?): it is not graded']);
    expect(existsSync(path.join(intake.root, '02-backprop', 'backprop.ts'))).toBe(false);
    intake.cleanup();
  });
});

describe('copies left behind', () => {
  it('a copy older than an hour (a grader killed mid-compile) is removed by the next intake; a recent one is not', () => {
    const stale = mkdtempSync(path.join(os.tmpdir(), 'gradlab-intake-'));
    const recent = mkdtempSync(path.join(os.tmpdir(), 'gradlab-intake-'));
    const old = (Date.now() - STALE_COPY_MS - 60_000) / 1000;
    utimesSync(stale, old, old);
    const intake = intakeSubmission(solutionsAt());
    intake.cleanup();
    expect([existsSync(stale), existsSync(recent)]).toEqual([false, true]);
    rmSync(recent, { recursive: true, force: true });
  });
});

describe('layouts', () => {
  it('a repository with exercises/ inside', () => {
    const repo = path.join(tmp, 'repo');
    cpSync(SOLUTIONS_DIR, path.join(repo, 'exercises'), { recursive: true, filter: (src) => path.basename(src) !== 'lib' });
    writeFileSync(path.join(repo, 'package.json'), '{}');
    const intake = intakeSubmission(repo);
    expect([intake.layout, filesOf(intake.root)]).toEqual(['repository', [...exerciseFiles].sort()]);
    intake.cleanup();
  });

  it('flat files (dragged onto Gradescope): each found by its name, a helper beside them copied with each', () => {
    const flat = path.join(tmp, 'flat');
    mkdirSync(flat);
    for (const f of exerciseFiles.slice(0, 5)) cpSync(path.join(SOLUTIONS_DIR, f), path.join(flat, path.basename(f)));
    writeFileSync(path.join(flat, 'helpers.ts'), 'export const h = 1;');
    const intake = intakeSubmission(flat);
    expect(intake.layout).toBe('by-name');
    expect(intake.found.map((f) => `${f.folder}/${f.file} ← ${f.from}`)).toEqual(exerciseFiles.slice(0, 5).map((f) => `${f} ← ${path.basename(f)}`));
    expect(intake.missing).toEqual(manifest.exercises.slice(5).map((e) => ({ folder: e.folder, file: e.file })));
    expect(existsSync(path.join(intake.root, '02-backprop', 'helpers.ts'))).toBe(true);
    expect(describeIntake(intake)).toContain(`Missing: ${exerciseFiles.slice(5).join(', ')}.`);
    intake.cleanup();
  });

  it('a flat upload with two files of the same name: names both, and says which was graded and why', () => {
    const flat = path.join(tmp, 'flat-twice');
    mkdirSync(path.join(flat, 'old'), { recursive: true });
    cpSync(path.join(SOLUTIONS_DIR, '01-activations', 'activations.ts'), path.join(flat, 'activations.ts'));
    writeFileSync(path.join(flat, 'old', 'activations.ts'), 'export const old = 1;');
    const intake = intakeSubmission(flat);
    expect(intake.found.map((f) => f.from)).toEqual(['activations.ts']);
    expect(intake.chose).toEqual(['Two or more files are named activations.ts: activations.ts, old/activations.ts; graded activations.ts, because it is the least deeply nested. Upload only the one you mean.']);
    expect(describeIntake(intake)).toContain(intake.chose[0]);
    intake.cleanup();
    // the same depth: the first in alphabetical order, said so
    const two = path.join(tmp, 'flat-same-depth');
    for (const d of ['a', 'b']) {
      mkdirSync(path.join(two, d), { recursive: true });
      cpSync(path.join(SOLUTIONS_DIR, '01-activations', 'activations.ts'), path.join(two, d, 'activations.ts'));
    }
    const again = intakeSubmission(two);
    expect(again.chose).toEqual(['Two or more files are named activations.ts: a/activations.ts, b/activations.ts; graded a/activations.ts, because its path comes first in alphabetical order. Upload only the one you mean.']);
    again.cleanup();
  });

  it('a zip with a top folder, with a stray copy deeper down: the folder named like the exercise wins', () => {
    const zip = path.join(tmp, 'zip');
    cpSync(SOLUTIONS_DIR, path.join(zip, 'my-work'), { recursive: true, filter: (src) => path.basename(src) !== 'lib' });
    mkdirSync(path.join(zip, 'my-work', 'old'));
    writeFileSync(path.join(zip, 'my-work', 'old', 'activations.ts'), 'export const old = 1;');
    const intake = intakeSubmission(zip);
    expect(intake.found.map((f) => f.from)).toEqual(exerciseFiles.map((f) => `my-work/${f}`));
    expect(readFileSync(path.join(intake.root, '01-activations', 'activations.ts'), 'utf8')).toBe(readFileSync(path.join(SOLUTIONS_DIR, '01-activations', 'activations.ts'), 'utf8'));
    intake.cleanup();
  });
});
