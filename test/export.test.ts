/**
 * `gradlab export`: the student template holds what students need and nothing that grades them:
 * no solutions, no hidden suites, no fixtures, and its public tests fail on the stubs as they should.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTemplate, listFiles } from '../grader/commands/export';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-export-'));
const target = path.join(tmp, 'template');
let files: string[];

beforeAll(async () => {
  files = await exportTemplate(target);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('gradlab export', () => {
  it('writes exercises, the workflow and the student scaffolding, and nothing else', () => {
    const top = [...new Set(files.map((f) => f.split(path.sep)[0]))].sort();
    expect(top).toEqual(['.github', '.gitignore', 'README.md', 'exercises', 'hint.mjs', 'lab', 'package.json', 'tsconfig.json']);
    expect(files).toEqual(expect.arrayContaining(['.github/workflows/classroom.yml', 'exercises/exercises.json', 'exercises/lib/tensor.ts']));
    for (const ex of loadManifest().exercises) {
      for (const f of [ex.file, ex.file.replace(/\.ts$/, '.test.ts'), 'README.md']) expect(files).toContain(path.join('exercises', ex.folder, f));
    }
  });

  it('leaks nothing that grades: no solution file, no hidden suite, no fixture', () => {
    const solutionTexts = loadManifest().exercises.map((e) => readFileSync(path.join(ROOT, 'solutions', e.folder, e.file), 'utf8'));
    for (const f of files) {
      const text = readFileSync(path.join(target, f), 'utf8');
      expect(solutionTexts, f).not.toContain(text);
      expect(text, f).not.toMatch(/defineSuite|grader\/suites\/0\d|fixtures\/0\d-[a-z-]+\/|solutions\/0\d-/);
    }
    expect(files.some((f) => /solutions|fixtures|grader|\.suite\.ts$/.test(f))).toBe(false);
    // every stub body still throws
    for (const ex of loadManifest().exercises) {
      const stub = readFileSync(path.join(target, 'exercises', ex.folder, ex.file), 'utf8');
      for (const fn of ex.functions) expect(stub).toContain(`new NotImplementedError('${fn}'`);
    }
  });

  it('pins the course’s versions and runs the public tests, which fail on the stubs', () => {
    const pkg = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8'));
    const course = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.devDependencies.vitest).toBe(course.dependencies.vitest);
    expect(pkg.scripts.test).toBe('vitest run exercises');
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(target, 'node_modules'));
    const out = path.join(tmp, 'public.json');
    spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'exercises', '--reporter=json', `--outputFile=${out}`], { cwd: target, encoding: 'utf8', timeout: 120_000 });
    const report = JSON.parse(readFileSync(out, 'utf8')) as { numTotalTests: number; numFailedTests: number; testResults: { assertionResults: { failureMessages: string[] }[] }[] };
    expect(report.numTotalTests).toBeGreaterThan(100);
    expect(report.numFailedTests).toBe(report.numTotalTests);
    const all = report.testResults.flatMap((r) => r.assertionResults);
    expect(all.every((t) => t.failureMessages.some((m) => m.includes('NotImplementedError')))).toBe(true);
  });

  it('ships a hint script that reads the manifest', () => {
    const r = spawnSync(process.execPath, ['hint.mjs', '2'], { cwd: target, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Hints for 02-backprop');
    for (const h of loadManifest().exercises[1].hints) expect(r.stdout).toContain(h);
    const bad = spawnSync(process.execPath, ['hint.mjs', 'zz'], { cwd: target, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^Which exercise\? npm run hint -- <exercise>, one of 01-activations/);
  });

  it('refuses a folder that is not empty', async () => {
    const busy = path.join(tmp, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'x'), '');
    await expect(exportTemplate(busy)).rejects.toThrow(`'${busy}' is not empty: export into a new or empty folder`);
    expect(listFiles(busy)).toEqual(['x']);
  });

  it('type-checks as the student will see it', () => {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(target, 'tsconfig.json')], { cwd: target });
  });
});
