/**
 * The grading run's module cache (grader/module-cache.ts): vitest keeps the hidden suites as it
 * transformed them, so a later run skips that work. What must hold: a run reads the same suites
 * with the cache as without it (identical reports, a failing test's message and diagnosis
 * included); only the grader's own files are kept, never a run's wrappers (the folder does not
 * grow from one run to the next); the folder is emptied when what the grade depends on changes
 * (vitest's own hash does not see tsconfig.json or a moved file); and a folder that cannot be
 * written, is not the user's alone, holds other files or sits on a full disk, or `off`, grades as
 * before.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { graderFingerprint, hashTree } from '../grader/class/version';
import { CACHE_FOLDER, cacheKey, DEFAULT_CACHE_HOME, keepReference, keptReference, KEY_FILE, keepsModule, LOCK_FILE, LOCK_STALE_MS, moduleCacheDir, moduleCacheOptions, prepareCacheDir, REFERENCE_FILE, referenceSourcesHash, runCache, type RunCache } from '../grader/module-cache';
import { compileReference } from '../grader/sandbox/compile';
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
  it('lives in the grader’s node_modules/.cache or GRADLAB_MODULE_CACHE, and is not used for `off`, a folder it cannot write, one not the user’s alone, one holding other files, or a full disk', () => {
    expect(DEFAULT_CACHE_HOME).toBe(path.join(ROOT, 'node_modules', '.cache'));
    const keyFolder = createHash('sha256').update(cacheKey()).digest('hex').slice(0, 16);
    const ours = runCache({});
    expect(ours?.dir).toBe(path.join(ROOT, 'node_modules', '.cache', CACHE_FOLDER, keyFolder));
    ours?.release();
    const home = path.join(tmp, 'home');
    const dir = path.join(home, CACHE_FOLDER, keyFolder);
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: home })).toBe(dir);
    // created, with what its modules will be transformed from, and marked by the run that asked (never released here)
    expect(readdirSync(dir).sort()).toEqual([expect.stringMatching(new RegExp(`^\\.run-${process.pid}-\\d+$`)), KEY_FILE]);
    expect(readFileSync(path.join(dir, KEY_FILE), 'utf8')).toBe(cacheKey());
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: 'off' })).toBeNull();
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: unwritable() })).toBeNull();
    // vitest's own files (a module by its hash, its metadata, one being written) and the key only: anything else is someone's
    writeFileSync(path.join(dir, '_metadata.json'), '{}');
    writeFileSync(path.join(dir, 'a'.repeat(40)), '');
    writeFileSync(path.join(dir, '.tmp-1765000000000-k2j4h5'), '');
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: home })).toBe(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: home })).toBeNull();
    rmSync(path.join(dir, 'notes.txt'));
    writeFileSync(path.join(home, CACHE_FOLDER, 'notes.txt'), 'mine'); // beside the keys' folders
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: home })).toBeNull();
    rmSync(path.join(home, CACHE_FOLDER, 'notes.txt'));
    writeFileSync(path.join(home, 'notes.txt'), 'mine'); // beside the cache's folder, not in it: theirs to keep
    expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: home })).toBe(dir);
    // its files run as the grader: a folder others may write is not used
    for (const folder of [dir, path.dirname(dir)]) {
      chmodSync(folder, 0o777);
      expect(moduleCacheDir({ GRADLAB_MODULE_CACHE: home }), folder).toBeNull();
      chmodSync(folder, 0o700);
    }
    expect(prepareCacheDir(home, cacheKey(), Number.MAX_SAFE_INTEGER)).toBeNull(); // no disk has that much room
    expect(runCache({ GRADLAB_MODULE_CACHE: 'off' })).toBeNull();
    expect(moduleCacheOptions(null)).toEqual({ plugins: [] });
    expect(runCache({ GRADLAB_MODULE_CACHE: home })).toEqual({ dir, key: cacheKey(), release: expect.any(Function) });
    const on = moduleCacheOptions(runCache({ GRADLAB_MODULE_CACHE: home }));
    expect(on.experimental).toEqual({ fsModuleCache: true, fsModuleCachePath: dir });
    expect(on.plugins.map((p) => p.name)).toEqual(['gradlab:module-cache']);
  });

  it('keeps each key’s modules in a folder of its own, and removes another key’s only when no run in progress uses it', () => {
    const home = path.join(tmp, 'keyed');
    const top = path.join(home, CACHE_FOLDER);
    // the layout before keys had folders: one key's files right in the cache's folder, removed
    mkdirSync(top, { recursive: true, mode: 0o700 });
    for (const f of ['c'.repeat(40), '_metadata.json', KEY_FILE, REFERENCE_FILE]) writeFileSync(path.join(top, f), '');
    const one = prepareCacheDir(home, 'key-1') as RunCache;
    expect(readdirSync(top)).toEqual([path.basename(one.dir)]);
    const entry = path.join(one.dir, 'b'.repeat(40));
    writeFileSync(entry, 'transformed with key 1');
    writeFileSync(path.join(one.dir, '_metadata.json'), '{}');
    keepReference(one, 'sources-1', 'export const compiled = 1;');
    // the grader changed while key 1's run goes on (a class run, a TA who pulls): its files stay where it reads them
    const two = prepareCacheDir(home, 'key-2') as RunCache;
    expect(two.dir).not.toBe(one.dir);
    expect(readdirSync(top).sort()).toEqual([path.basename(one.dir), path.basename(two.dir)].sort());
    expect(readdirSync(one.dir).filter((f) => !f.startsWith('.run-')).sort()).toEqual(['_metadata.json', 'b'.repeat(40), KEY_FILE, REFERENCE_FILE]);
    expect(readdirSync(two.dir).filter((f) => !f.startsWith('.run-'))).toEqual([KEY_FILE]);
    expect(readFileSync(path.join(two.dir, KEY_FILE), 'utf8')).toBe('key-2');
    // a second run of key 1 uses its folder as it is
    const again = prepareCacheDir(home, 'key-1') as RunCache;
    expect(again.dir).toBe(one.dir);
    again.release();
    one.release();
    expect(readdirSync(one.dir).filter((f) => f.startsWith('.run-'))).toEqual([]);
    // both runs of key 1 ended: the next run of another key removes its folder
    const three = prepareCacheDir(home, 'key-3') as RunCache;
    expect(readdirSync(top).sort()).toEqual([path.basename(two.dir), path.basename(three.dir)].sort());
    // a run whose process died (no release) does not hold a folder: pid 2³¹ − 1 is never a live process here
    two.release();
    writeFileSync(path.join(two.dir, `.run-${2 ** 31 - 1}-0`), '');
    // a lock left by a dead process is taken over; a folder left half made is removed
    writeFileSync(path.join(top, LOCK_FILE), String(2 ** 31 - 1));
    mkdirSync(path.join(top, '.tmp-1765000000000-99'));
    expect(prepareCacheDir(home, 'key-3')?.dir).toBe(three.dir);
    expect(readdirSync(top)).toEqual([path.basename(three.dir)]);
    // a lock held by a live process (this one, in another run's place) past the wait: no cache, nothing removed
    const lock = path.join(top, LOCK_FILE);
    writeFileSync(lock, String(process.pid));
    expect(prepareCacheDir(home, 'key-4')).toBeNull();
    expect(readdirSync(top).sort()).toEqual([LOCK_FILE, path.basename(three.dir)].sort());
    // … but not for good: older than any holder keeps it (a pid a later process was given, or none written), it is taken over
    const old = (Date.now() - LOCK_STALE_MS - 1000) / 1000;
    utimesSync(lock, old, old);
    expect(prepareCacheDir(home, 'key-3')?.dir).toBe(three.dir);
    writeFileSync(lock, '');
    utimesSync(lock, old, old);
    expect(prepareCacheDir(home, 'key-3')?.dir).toBe(three.dir);
    expect(readdirSync(top)).toEqual([path.basename(three.dir)]);
    three.release();
  });

  it('lets runs of other keys in one by one, each finding the cache, however their turns interleave', async () => {
    // two processes, each preparing and releasing its own key 300 times: a lock released between a
    // run's failed create and its reading of the holder made that run go without the cache (17 of
    // 6,000 in a reviewer's count)
    const home = path.join(tmp, 'contended');
    const script = `const { prepareCacheDir } = await import(${JSON.stringify(path.join(ROOT, 'dist', 'grader', 'module-cache.js'))});
      let missed = 0;
      for (let i = 0; i < 300; i++) { const c = prepareCacheDir(${JSON.stringify(home)}, 'key-' + process.argv[1]); if (c) c.release(); else missed++; }
      console.log(missed);`;
    const runs = ['a', 'b'].map((k) => new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, k], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      child.on('close', () => resolve(out.trim()));
    }));
    expect(await Promise.all(runs)).toEqual(['0', '0']);
  }, 120_000);

  it('keeps the reference bundle for its key and sources, and gives it back only for those and whole', () => {
    const { dir } = prepareCacheDir(path.join(tmp, 'reference'), 'key-1') as RunCache;
    const cache = { dir, key: 'key-1' };
    expect(keptReference(cache, 'sources-1')).toBeNull(); // none yet
    const code = 'export function relu(x) { return x > 0 ? x : 0; }\n// ü, and a second line\n';
    keepReference(cache, 'sources-1', code);
    expect(keptReference(cache, 'sources-1')).toBe(code);
    expect(readdirSync(dir).filter((f) => !f.startsWith('.run-')).sort()).toEqual([KEY_FILE, REFERENCE_FILE]); // the file written aside was renamed
    expect(keptReference({ dir, key: 'key-2' }, 'sources-1')).toBeNull(); // compiled under another key (a run that raced a change)
    // compiled from other sources under this key: a solution edited while a long run compiled it (a reviewer's case)
    expect(keptReference(cache, 'sources-2')).toBeNull();
    const file = path.join(dir, REFERENCE_FILE);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, -5)); // cut short
    expect(keptReference(cache, 'sources-1')).toBeNull();
    writeFileSync(file, text.replace('x : 0', 'x : 1')); // changed after it was written
    expect(keptReference(cache, 'sources-1')).toBeNull();
    writeFileSync(file, code); // no key line
    expect(keptReference(cache, 'sources-1')).toBeNull();
    keepReference(cache, 'sources-1', code);
    expect(keptReference(cache, 'sources-1')).toBe(code);
    // no cache, or one that cannot be written: nothing kept, nothing thrown
    expect(keptReference(null, 'sources-1')).toBeNull();
    expect(() => keepReference(null, 'sources-1', code)).not.toThrow();
    expect(() => keepReference({ dir: unwritable(), key: 'key-1' }, 'sources-1', code)).not.toThrow();
  });

  it('hashes what the reference bundle is compiled from afresh, each time: solutions/, lib, the manifest and the compiler', () => {
    const root = path.join(tmp, 'sources');
    for (const rel of ['solutions', 'exercises/lib', 'exercises/exercises.json', 'grader/sandbox']) cpSync(path.join(ROOT, rel), path.join(root, rel), { recursive: true });
    const before = referenceSourcesHash(root);
    for (const rel of ['solutions/01-activations/activations.ts', 'exercises/lib/tensor.ts', 'exercises/exercises.json', 'grader/sandbox/compile-child.mjs']) {
      const file = path.join(root, rel);
      const original = readFileSync(file);
      writeFileSync(file, `${original}\n`);
      expect(referenceSourcesHash(root), rel).not.toBe(before);
      writeFileSync(file, original);
      expect(referenceSourcesHash(root)).toBe(before);
    }
    // the fingerprint in the key is taken once a process; this hash is not
    expect(graderFingerprint()).toBe(graderFingerprint());
  });

  it('keys on the grader’s fingerprint (its files, moved ones included), tsconfig.json and package.json', () => {
    expect(cacheKey()).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey()).not.toBe(graderFingerprint());
    expect(cacheKey()).toBe(cacheKey());
    // a compiler option changes what the suites compile to, which vitest's own hash does not see
    const root = path.join(tmp, 'root');
    mkdirSync(root);
    for (const file of ['tsconfig.json', 'package.json']) cpSync(path.join(ROOT, file), path.join(root, file));
    expect(cacheKey(root)).toBe(cacheKey());
    const tsconfig = readFileSync(path.join(root, 'tsconfig.json'), 'utf8');
    writeFileSync(path.join(root, 'tsconfig.json'), tsconfig.replace('{', '{ "compilerOptions_": {},'));
    const edited = cacheKey(root);
    expect(edited).not.toBe(cacheKey());
    writeFileSync(path.join(root, 'package.json'), `${readFileSync(path.join(root, 'package.json'), 'utf8')}\n`);
    expect(cacheKey(root)).not.toBe(edited);
    rmSync(path.join(root, 'package.json'));
    expect(cacheKey(root)).not.toBe(edited);
    // the fingerprint hashes paths with contents: a file moved (dep.ts to dep/index.ts), which leaves
    // an importer's kept code pointing at the old path, changes it
    const tree = (layout: Record<string, string>) => {
      const base = mkdtempSync(path.join(tmp, 'tree-'));
      for (const [rel, text] of Object.entries(layout)) {
        mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
        writeFileSync(path.join(base, rel), text);
      }
      const hash = createHash('sha256');
      hashTree(hash, base, 'grader');
      return hash.digest('hex');
    };
    const before = tree({ 'grader/a.ts': "import { x } from './dep';", 'grader/dep.ts': 'export const x = 1;' });
    expect(tree({ 'grader/a.ts': "import { x } from './dep';", 'grader/dep.ts': 'export const x = 1;' })).toBe(before);
    expect(tree({ 'grader/a.ts': "import { x } from './dep';", 'grader/dep/index.ts': 'export const x = 1;' })).not.toBe(before);
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

  it('gives the same report cold, warm, off and unwritable, keeps only the grader’s files, and does not grow from run to run', async () => {
    const dir = wrongRelu();
    const home = path.join(tmp, 'grading');
    const cache = path.join(home, CACHE_FOLDER, createHash('sha256').update(cacheKey()).digest('hex').slice(0, 16));
    const grade = async (folder: string) => {
      process.env.GRADLAB_MODULE_CACHE = folder;
      const [report] = await gradeSubmissions([dir], { exercises: ['01-activations'] });
      return report;
    };

    const cold = await grade(home);
    // the run's mark is gone with the run
    const kept = readdirSync(cache).sort();
    expect(kept.filter((f) => f.startsWith('.run-'))).toEqual([]);
    // the reference solutions as compiled, kept for this key, and read (not compiled again) by the next run
    const reference = await compileReference();
    const keptCache = { dir: cache, key: cacheKey() };
    const sources = referenceSourcesHash();
    expect(keptReference(keptCache, sources)).toBe(reference);
    keepReference(keptCache, sources, `${reference}\n// kept\n`);
    const ids = keptIds(cache);
    expect(ids.length).toBeGreaterThanOrEqual(5); // the suite, its harness, the sandbox's client, the fixtures' loader, …
    expect(ids).toContain(path.join(ROOT, 'grader', 'suites', '01-activations.suite.ts'));
    expect(ids.every(keepsModule)).toBe(true);

    const warm = await grade(home);
    expect(readdirSync(cache).sort()).toEqual(kept);
    expect(keptReference(keptCache, sources)).toBe(`${reference}\n// kept\n`);
    const off = await grade('off');
    const unwritableRun = await grade(unwritable());
    // a folder of someone else's, with a stale lock-file hash: vitest would empty it; it is left alone
    const shared = path.join(tmp, 'shared', CACHE_FOLDER);
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

    // another version of the grader starts runs on the same folder all through this one (a TA who
    // pulls during a class run): this run's suites stay where it reads them. When one folder
    // served every key, each such start emptied it: the reference solutions graded 15/100, every
    // exercise but one "the grader has no result for this test (its worker stopped)"
    let others = 0;
    const starts = setInterval(() => { prepareCacheDir(home, `another grader ${others++ % 2}`)?.release(); }, 50);
    const raced = await grade(home).finally(() => clearInterval(starts));
    expect(others).toBeGreaterThan(5);
    expect(stable(raced)).toEqual(stable(cold));
  });
});
