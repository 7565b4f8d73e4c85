/**
 * The grading run's module cache (grader/module-cache.ts): vitest keeps the hidden suites as it
 * transformed them, so a later run skips that work. What must hold: a run reads the same suites
 * with the cache as without it (identical reports, a failing test's message and diagnosis
 * included); only the grader's own files are kept, never a run's wrappers (the folder does not
 * grow from one run to the next); and a folder that cannot be written, or `off`, grades as before,
 * as does a folder holding other files, which vitest's clearing would have removed.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODULE_CACHE, keepsModule, moduleCacheDir, moduleCacheOptions } from '../grader/module-cache';
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

describe('which folder, and which modules', () => {
  it('defaults to the grader’s own node_modules, takes GRADLAB_MODULE_CACHE, and is off for `off`, a folder it cannot write or one holding other files', () => {
    expect(DEFAULT_MODULE_CACHE).toBe(path.join(ROOT, 'node_modules', '.cache', 'gradlab-vitest'));
    expect(moduleCacheDir({})).toBe(DEFAULT_MODULE_CACHE);
    const chosen = path.join(tmp, 'chosen');
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: chosen })).toBe(chosen);
    expect(readdirSync(chosen)).toEqual([]); // created, empty
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: 'off' })).toBeNull();
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: unwritable() })).toBeNull();
    // vitest's own files only (a module by its hash, its metadata, one being written): anything else is someone's
    writeFileSync(path.join(chosen, '_metadata.json'), '{}');
    writeFileSync(path.join(chosen, 'a'.repeat(40)), '');
    writeFileSync(path.join(chosen, '.tmp-1765000000000-k2j4h5'), '');
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: chosen })).toBe(chosen);
    writeFileSync(path.join(chosen, 'notes.txt'), 'mine');
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: chosen })).toBeNull();
    rmSync(path.join(chosen, 'notes.txt'));
    expect(moduleCacheOptions({ GRADLAB_MODULE_CACHE: 'off' })).toEqual({ plugins: [] });
    const on = moduleCacheOptions({ GRADLAB_MODULE_CACHE: chosen });
    expect(on.experimental).toEqual({ fsModuleCache: true, fsModuleCachePath: chosen });
    expect(on.plugins.map((p) => p.name)).toEqual(['gradlab:module-cache']);
  });

  it('keeps the grader’s own files only: not a run’s wrappers, nor a folder whose name merely begins like the grader’s', () => {
    expect(keepsModule(path.join(ROOT, 'grader', 'suites', '01-activations.suite.ts'))).toBe(true);
    expect(keepsModule(path.join(ROOT, 'fixtures', 'load.ts'))).toBe(true);
    expect(keepsModule(path.join(os.tmpdir(), 'gradlab-run-abc', 's0-01-activations.test.ts'))).toBe(false);
    expect(keepsModule(`${ROOT}-other${path.sep}grader${path.sep}x.ts`)).toBe(false);
    expect(keepsModule(ROOT)).toBe(false);
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

  it('gives the same report cold, warm, off and unwritable, keeps only the grader’s files, and does not grow from run to run', async () => {
    const dir = wrongRelu();
    const cache = path.join(tmp, 'cache');
    const grade = async (folder: string) => {
      process.env.GRADLAB_MODULE_CACHE = folder;
      const [report] = await gradeSubmissions([dir], { exercises: ['01-activations'] });
      return report;
    };

    const cold = await grade(cache);
    const kept = readdirSync(cache).sort();
    const ids = keptIds(cache);
    expect(ids.length).toBeGreaterThanOrEqual(5); // the suite, its harness, the sandbox's client, the fixtures' loader, …
    expect(ids).toContain(path.join(ROOT, 'grader', 'suites', '01-activations.suite.ts'));
    expect(ids.every(keepsModule)).toBe(true);

    const warm = await grade(cache);
    expect(readdirSync(cache).sort()).toEqual(kept);
    const off = await grade('off');
    const unwritableRun = await grade(unwritable());
    // a folder of someone else's, with a stale lock-file hash: vitest would empty it; it is left alone
    const shared = path.join(tmp, 'shared');
    mkdirSync(shared);
    writeFileSync(path.join(shared, '_metadata.json'), JSON.stringify({ lockfileHash: 'stale' }));
    writeFileSync(path.join(shared, 'notes.txt'), 'mine');
    const sharedRun = await grade(shared);
    expect(readdirSync(shared).sort()).toEqual(['_metadata.json', 'notes.txt']);
    expect(readFileSync(path.join(shared, 'notes.txt'), 'utf8')).toBe('mine');

    expect([cold.score, cold.maxScore]).toEqual([13.5, 15]);
    const relu = cold.tests.find((t) => t.id === 'activations.reluGrad.grid');
    expect(relu?.status).toBe('failed');
    expect(relu?.diagnosis?.id).toBe('relu-grad-at-zero');
    for (const other of [warm, off, unwritableRun, sharedRun]) expect(stable(other)).toEqual(stable(cold));
  });
});
