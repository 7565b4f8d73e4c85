/**
 * The module caches (grader/module-cache.ts): vitest keeps the hidden suites of a grading run, and
 * the public tests of a `check`, as it transformed them, so a later run skips that work. What must
 * hold: a run reads the same modules with the cache as without it (identical reports, a failing
 * test's message and diagnosis included; identical check outcomes); only files that rarely change
 * are kept — the grader's own, never a run's wrappers nor a student's own exercise file — so the
 * folder does not grow from one run to the next; and a folder that cannot be written, or `off`,
 * runs as before, as does a folder holding other files, which vitest's clearing would remove.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runPublicTests } from '../grader/check/run-public';
import { loadManifest } from '../grader/manifest';
import { checkKeepsModule, DEFAULT_CACHE_HOME, keepsModule, moduleCacheDir, moduleCacheOptions } from '../grader/module-cache';
import { ROOT } from '../grader/paths';
import type { GradeReport } from '../grader/results';
import { gradeSubmissions } from '../grader/runner';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-module-cache-'));
const saved = process.env.GRADLAB_MODULE_CACHE;
afterEach(() => {
  if (saved === undefined) delete process.env.GRADLAB_MODULE_CACHE;
  else process.env.GRADLAB_MODULE_CACHE = saved;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A file where a folder is asked for: mkdir fails even for root, who may write a read-only folder. */
function unwritable(): string {
  const file = path.join(tmp, 'a-file');
  writeFileSync(file, '');
  return path.join(file, 'cache');
}

/** Each kept file's module id, read from the metadata vitest appends to it (`\n//# vitestCache=` and base64). */
function keptIds(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^[0-9a-f]{40}$/.test(f)).map((f) => {
    const text = readFileSync(path.join(dir, f), 'utf8');
    const marker = '\n//# vitestCache=';
    const at = text.lastIndexOf(marker);
    expect(at).toBeGreaterThan(0);
    // flatted's form (what vitest writes): the object first, its strings by index after it
    const flat = JSON.parse(Buffer.from(text.slice(at + marker.length), 'base64').toString('utf8')) as [{ id: string }, ...string[]];
    return flat[Number(flat[0].id)] as string;
  });
}

describe('which folder, and which modules', () => {
  it('keeps one folder per command in the grader’s node_modules/.cache or GRADLAB_MODULE_CACHE, and none for `off`, a folder it cannot write or one holding other files', () => {
    expect(DEFAULT_CACHE_HOME).toBe(path.join(ROOT, 'node_modules', '.cache'));
    expect(moduleCacheDir('grade', {})).toBe(path.join(ROOT, 'node_modules', '.cache', 'gradlab-grade'));
    expect(moduleCacheDir('check', {})).toBe(path.join(ROOT, 'node_modules', '.cache', 'gradlab-check'));
    const home = path.join(tmp, 'home');
    const chosen = path.join(home, 'gradlab-grade');
    expect(moduleCacheDir('grade', { GRADLAB_MODULE_CACHE: home })).toBe(chosen);
    expect(readdirSync(chosen)).toEqual([]); // created, empty
    expect(moduleCacheDir('grade', { GRADLAB_MODULE_CACHE: 'off' })).toBeNull();
    expect(moduleCacheDir('grade', { GRADLAB_MODULE_CACHE: unwritable() })).toBeNull();
    // vitest's own files only (a module by its hash, its metadata, one being written): anything else is someone's
    writeFileSync(path.join(chosen, '_metadata.json'), '{}');
    writeFileSync(path.join(chosen, 'a'.repeat(40)), '');
    writeFileSync(path.join(chosen, '.tmp-1765000000000-k2j4h5'), '');
    expect(moduleCacheDir('grade', { GRADLAB_MODULE_CACHE: home })).toBe(chosen);
    writeFileSync(path.join(chosen, 'notes.txt'), 'mine');
    expect(moduleCacheDir('grade', { GRADLAB_MODULE_CACHE: home })).toBeNull();
    rmSync(path.join(chosen, 'notes.txt'));
    writeFileSync(path.join(home, 'notes.txt'), 'mine'); // beside the cache folders, not in them: theirs to keep
    expect(moduleCacheDir('grade', { GRADLAB_MODULE_CACHE: home })).toBe(chosen);
    expect(moduleCacheOptions('grade', keepsModule, { GRADLAB_MODULE_CACHE: 'off' })).toEqual({ plugins: [] });
    const on = moduleCacheOptions('grade', keepsModule, { GRADLAB_MODULE_CACHE: home });
    expect(on.experimental).toEqual({ fsModuleCache: true, fsModuleCachePath: chosen });
    expect(on.plugins.map((p) => p.name)).toEqual(['gradlab:module-cache']);
  });

  it('grading keeps the grader’s own files only: not a run’s wrappers, nor a folder whose name merely begins like the grader’s', () => {
    expect(keepsModule(path.join(ROOT, 'grader', 'suites', '01-activations.suite.ts'))).toBe(true);
    expect(keepsModule(path.join(ROOT, 'fixtures', 'load.ts'))).toBe(true);
    expect(keepsModule(path.join(os.tmpdir(), 'gradlab-run-abc', 's0-01-activations.test.ts'))).toBe(false);
    expect(keepsModule(`${ROOT}-other${path.sep}grader${path.sep}x.ts`)).toBe(false);
    expect(keepsModule(ROOT)).toBe(false);
  });

  it('check keeps the public tests, lib and the grader’s files, never a student’s own exercise file', () => {
    const repo = path.join(os.tmpdir(), 'a-students-repo');
    expect(checkKeepsModule(repo, path.join(repo, 'exercises', '01-activations', 'activations.test.ts'))).toBe(true);
    expect(checkKeepsModule(repo, path.join(repo, 'exercises', 'lib', 'tensor.ts'))).toBe(true);
    expect(checkKeepsModule(repo, path.join(ROOT, 'grader', 'check', 'watchdog.ts'))).toBe(true);
    expect(checkKeepsModule(repo, path.join(repo, 'exercises', '01-activations', 'activations.ts'))).toBe(false);
    expect(checkKeepsModule(repo, path.join(repo, 'exercises', '02-backprop', 'helpers.ts'))).toBe(false);
    expect(checkKeepsModule(ROOT, path.join(ROOT, 'exercises', '02-backprop', 'backprop.ts'))).toBe(false);
    expect(checkKeepsModule(repo, path.join(os.tmpdir(), 'elsewhere', 'x.ts'))).toBe(false);
  });
});

describe('grading with the cache', () => {
  /** A submission whose 01 has the classic ReLU-gradient-at-zero mistake: one failing test, diagnosed. */
  function wrongRelu(): string {
    const dir = path.join(tmp, 'wrong-relu');
    rmSync(dir, { recursive: true, force: true });
    cpSync(path.join(ROOT, 'solutions'), dir, { recursive: true, dereference: true });
    const file = path.join(dir, '01-activations', 'activations.ts');
    const source = readFileSync(file, 'utf8');
    expect(source).toContain('return x > 0 ? 1 : 0;');
    writeFileSync(file, source.replace('return x > 0 ? 1 : 0;', 'return x >= 0 ? 1 : 0;'));
    return dir;
  }
  /** The report without what changes from run to run (durations and dates). */
  function stable(report: GradeReport): unknown {
    return JSON.parse(JSON.stringify(report, (key, value) => (/duration|^generatedAt$|date/i.test(key) ? undefined : value)));
  }
  it('gives the same report cold, warm, off and unwritable, keeps only the grader’s files, and does not grow from run to run', async () => {
    const dir = wrongRelu();
    const home = path.join(tmp, 'grading');
    const cache = path.join(home, 'gradlab-grade');
    const grade = async (folder: string) => {
      process.env.GRADLAB_MODULE_CACHE = folder;
      const [report] = await gradeSubmissions([dir], { exercises: ['01-activations'] });
      return report;
    };

    const cold = await grade(home);
    const kept = readdirSync(cache).sort();
    const ids = keptIds(cache);
    expect(ids.length).toBeGreaterThanOrEqual(5); // the suite, its harness, the sandbox's client, the fixtures' loader, …
    expect(ids).toContain(path.join(ROOT, 'grader', 'suites', '01-activations.suite.ts'));
    expect(ids.every(keepsModule)).toBe(true);

    const warm = await grade(home);
    expect(readdirSync(cache).sort()).toEqual(kept);
    const off = await grade('off');
    const unwritableRun = await grade(unwritable());
    // a folder of someone else's, with a stale lock-file hash: vitest would empty it; it is left alone
    const shared = path.join(tmp, 'shared', 'gradlab-grade');
    mkdirSync(shared, { recursive: true });
    writeFileSync(path.join(shared, '_metadata.json'), JSON.stringify({ lockfileHash: 'stale' }));
    writeFileSync(path.join(shared, 'notes.txt'), 'mine');
    const sharedRun = await grade(path.dirname(shared));
    expect(readdirSync(shared).sort()).toEqual(['_metadata.json', 'notes.txt']);
    expect(readFileSync(path.join(shared, 'notes.txt'), 'utf8')).toBe('mine');

    expect([cold.score, cold.maxScore]).toEqual([13.5, 15]);
    const relu = cold.tests.find((t) => t.id === 'activations.reluGrad.grid');
    expect(relu?.status).toBe('failed');
    expect(relu?.diagnosis?.id).toBe('relu-grad-at-zero');
    for (const other of [warm, off, unwritableRun, sharedRun]) expect(stable(other)).toEqual(stable(cold));
  });
});

describe('checking with the cache', () => {
  it('gives the same outcomes cold, warm and off, keeps the public tests and lib but not the student’s file, and does not grow when that file changes', async () => {
    // a student's repository: the stubs, 01 solved with one mistake (a failing public test), node_modules linked
    const repo = path.join(tmp, 'repo');
    cpSync(path.join(ROOT, 'exercises'), path.join(repo, 'exercises'), { recursive: true });
    const own = path.join(repo, 'exercises', '01-activations', 'activations.ts');
    const reference = readFileSync(path.join(ROOT, 'solutions', '01-activations', 'activations.ts'), 'utf8');
    expect(reference).toContain('return x > 0 ? 1 : 0;');
    writeFileSync(own, reference.replace('return x > 0 ? 1 : 0;', 'return x >= 0 ? 1 : 0;'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'));
    const exercises = loadManifest().exercises.filter((e) => ['01-activations', '02-backprop'].includes(e.slug));
    const home = path.join(tmp, 'checking');
    const cache = path.join(home, 'gradlab-check');
    const check = async (folder: string) => {
      process.env.GRADLAB_MODULE_CACHE = folder;
      return JSON.parse(JSON.stringify(await runPublicTests(repo, exercises))) as unknown;
    };

    const cold = await check(home);
    const ids = keptIds(cache);
    expect(ids).toContain(path.join(repo, 'exercises', '01-activations', 'activations.test.ts'));
    expect(ids).toContain(path.join(repo, 'exercises', 'lib', 'errors.ts'));
    expect(ids).not.toContain(own);
    expect(ids.every((id) => checkKeepsModule(repo, id))).toBe(true);
    const kept = readdirSync(cache).sort();
    expect(await check(home)).toEqual(cold);
    expect(await check('off')).toEqual(cold);
    expect(JSON.stringify(cold)).toContain('failed'); // the mistake is seen

    // a save of the student's file: transformed again, nothing new kept, the same outcome as without the cache
    writeFileSync(own, `${readFileSync(own, 'utf8')}\n// saved again\n`);
    const warm = await check(home);
    expect(readdirSync(cache).sort()).toEqual(kept);
    expect(warm).toEqual(await check('off'));
  });
});
