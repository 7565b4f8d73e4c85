/**
 * The public tests beside each stub, run in a real vitest process the way the READMEs say
 * (`vitest run exercises/…`, the repository's default config): they test the stubs, so every
 * test must fail, and fail with NotImplementedError (not a TypeError or an import error), so that
 * a student who has not started sees "not implemented" everywhere. (Against the solutions they
 * all pass: that is the `public-on-solutions` project of `npm test`, vitest.test.config.ts.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';

interface JsonReport {
  testResults: { name: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
}

let report: JsonReport;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-public-'));

beforeAll(() => {
  const out = path.join(tmp, 'stubs.json');
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'exercises/', '--reporter=json', `--outputFile=${out}`], {
      cwd: ROOT, stdio: 'pipe',
    });
  } catch {
    // failing tests make vitest exit 1: expected here, the report says what happened
  }
  report = JSON.parse(readFileSync(out, 'utf8')) as JsonReport;
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('public tests against the stubs', () => {
  for (const ex of loadManifest().exercises) {
    it(`${ex.slug}: every test fails with NotImplementedError`, () => {
      const file = report.testResults.find((r) => r.name.endsWith(path.join(ex.folder, ex.file.replace(/\.ts$/, '.test.ts'))));
      expect(file, `no results for ${ex.slug}`).toBeDefined();
      const tests = file!.assertionResults;
      expect(tests.length).toBeGreaterThanOrEqual(ex.functions.length);
      const wrong = tests.filter((t) => t.status !== 'failed' || !t.failureMessages.some((m) => m.includes('NotImplementedError')));
      expect(wrong.map((t) => `${t.fullName}: ${t.status} ${t.failureMessages[0]?.split('\n')[0] ?? ''}`)).toEqual([]);
    });

    it(`${ex.slug}: every function has at least one public test`, () => {
      const file = report.testResults.find((r) => r.name.endsWith(path.join(ex.folder, ex.file.replace(/\.ts$/, '.test.ts'))))!;
      const names = file.assertionResults.map((t) => t.fullName).join('\n');
      for (const fn of ex.functions) expect(names, fn).toMatch(new RegExp(`\\b${fn}\\b`));
    });
  }
});
