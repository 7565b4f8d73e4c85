/**
 * `npm run mutation` is wired: StrykerJS, started as the script starts it (stryker.config.mjs),
 * grades a real mutant of the solutions through grade-mutant.mjs and the hidden suites, and the
 * survivor check accepts exactly the listed equivalent mutants. The whole run is too slow for
 * `npm test` (docs/mutation.md); here one line of one solution is mutated (one mutant).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Stryker } from '@stryker-mutator/core';
import { ROOT } from '../grader/paths';
import { checkSurvivors, mutatedText, type EquivalentMutant, type MutationReport } from '../scripts/mutation/survivors';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-mutation-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm run mutation', () => {
  it('kills a mutant of 06 (dead / units → dead * units) through the hidden suites', async () => {
    const file = 'solutions/06-dead-neurons/diagnostics.ts';
    const line = readFileSync(path.join(ROOT, file), 'utf8').split('\n').findIndex((l) => l.trim() === 'return dead / units;') + 1;
    expect(line).toBeGreaterThan(0);
    const reportFile = path.join(tmp, 'mutation.json');
    // Stryker types the log levels as an enum its core package does not export: hence the cast
    const quiet = { logLevel: 'off', fileLogLevel: 'off' } as unknown as Pick<ConstructorParameters<typeof Stryker>[0], 'logLevel' | 'fileLogLevel'>;
    await new Stryker({
      configFile: path.join(ROOT, 'stryker.config.mjs'),
      mutate: [`${file}:${line}-${line}`],
      concurrency: 1,
      reporters: ['json'],
      jsonReporter: { fileName: reportFile },
      tempDirName: path.join(tmp, 'stryker-tmp'),
      ...quiet,
    }).runMutationTest();
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as MutationReport;
    const mutants = report.files[file].mutants;
    expect(mutants.map((m) => [m.mutatorName, m.replacement, m.status])).toEqual([['ArithmeticOperator', 'dead * units', 'Killed']]);
  });
});

describe('checkSurvivors', () => {
  const source = 'export function f(x: number): number {\n  return x > 0 ? x : 0;\n}\n';
  const report = (status: string): MutationReport => ({
    files: {
      'solutions/f.ts': {
        source,
        mutants: [
          { id: '0', mutatorName: 'EqualityOperator', replacement: 'x >= 0', status, location: { start: { line: 2, column: 10 }, end: { line: 2, column: 15 } } },
          { id: '1', mutatorName: 'ConditionalExpression', replacement: 'true', status: 'Killed', location: { start: { line: 2, column: 10 }, end: { line: 2, column: 15 } } },
        ],
      },
    },
  });
  const entry: EquivalentMutant = { file: 'solutions/f.ts', code: 'return x > 0 ? x : 0;', original: 'x > 0', mutator: 'EqualityOperator', replacement: 'x >= 0', why: 'both return 0 at x = 0' };

  it('reads the replaced text and its line from 1-based locations', () => {
    expect(mutatedText(source, { start: { line: 2, column: 10 }, end: { line: 2, column: 15 } })).toEqual({ code: 'return x > 0 ? x : 0;', original: 'x > 0' });
  });

  it('accepts a survivor listed as equivalent, and scores it out', () => {
    const { scores, problems } = checkSurvivors(report('Survived'), [entry], ['solutions/f.ts']);
    expect(problems).toEqual([]);
    expect(scores).toEqual([{ file: 'solutions/f.ts', mutants: 2, killed: 1, timeout: 0, equivalent: 1, survived: 0 }]);
  });

  it('refuses an unlisted survivor, drafting its entry, and an entry without a reason', () => {
    const unlisted = checkSurvivors(report('Survived'), [], ['solutions/f.ts']);
    expect(unlisted.problems).toEqual([expect.stringContaining('Survived mutant EqualityOperator at solutions/f.ts:2:10: `x > 0` → `x >= 0`')]);
    expect(unlisted.unlisted).toEqual([{ ...entry, why: '' }]);
    expect(checkSurvivors(report('Survived'), [{ ...entry, why: ' ' }], ['solutions/f.ts']).problems).toEqual([expect.stringContaining('must say why')]);
  });

  it('refuses a listed mutant that is killed now (a stale entry)', () => {
    const { problems } = checkSurvivors(report('Killed'), [entry], ['solutions/f.ts']);
    expect(problems).toEqual([expect.stringContaining('no longer survives')]);
  });
});

describe('docs/mutation.md', () => {
  const md = readFileSync(path.join(ROOT, 'docs', 'mutation.md'), 'utf8');
  const listed = (JSON.parse(readFileSync(path.join(ROOT, 'docs', 'equivalent-mutants.json'), 'utf8')) as { mutants: EquivalentMutant[] }).mutants;

  it('counts the equivalent mutants as equivalent-mutants.json lists them, and its kinds add up to that', () => {
    const paragraph = /\*\*What the equivalent mutants are\*\* \((\d+),([\s\S]*?)\n\n/.exec(md);
    expect(paragraph, 'the paragraph "What the equivalent mutants are (N, …"').not.toBeNull();
    const [, total, body] = paragraph as RegExpExecArray;
    expect(Number(total)).toBe(listed.length);
    // each kind ends with its count in parentheses: (26), (5), (4: …), (1)
    const kinds = [...body.matchAll(/\((\d+)(?:\)|:)/g)].map((m) => Number(m[1]));
    expect(kinds.reduce((a, b) => a + b, 0)).toBe(listed.length);
  });

  it('gives each file of the runs after the audit as many equivalent mutants as are listed for it', () => {
    const table = md.slice(md.indexOf('Runs after the audit'));
    const rows = [...table.matchAll(/^\| (solutions\/[^ ]+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|/gm)];
    expect(rows.length).toBeGreaterThan(0);
    for (const [, file, mutants, killed, timeout, equivalent, survived] of rows) {
      expect(Number(equivalent), file).toBe(listed.filter((m) => m.file === file).length);
      expect(Number(killed) + Number(timeout) + Number(equivalent) + Number(survived), file).toBe(Number(mutants));
      expect(Number(survived), file).toBe(0);
    }
  });
});
