/**
 * The runner's own guarantees: several submissions in one vitest run keep their results apart,
 * and a run that exceeds its time limit is cancelled, with the unfinished tests reported as
 * errors instead of hanging the grader.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { byGradingOrder, gradeSubmissions, GRADING_ORDER, gradingRank } from '../grader/runner';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-runner-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function submission(name: string, overlay: Record<string, string> = {}): string {
  const dir = path.join(tmp, name);
  cpSync(path.join(ROOT, 'solutions'), dir, { recursive: true, dereference: true });
  for (const [rel, text] of Object.entries(overlay)) writeFileSync(path.join(dir, rel), text);
  return dir;
}

describe('the order the workers take the pairs in', () => {
  it('names every exercise of the manifest once, costliest first, and sorts wrapper files by it, then by submission', () => {
    expect([...GRADING_ORDER].sort()).toEqual(loadManifest().exercises.map((e) => e.slug).sort());
    const files = ['s1-01-activations', 's0-07-training', 's10-03-initialization', 's2-03-initialization', 's0-02-backprop'].map((f) => path.join(tmp, `${f}.test.ts`));
    const sorted = [...files].sort(byGradingOrder);
    expect(sorted.map((f) => path.basename(f, '.test.ts'))).toEqual(['s2-03-initialization', 's10-03-initialization', 's0-07-training', 's0-02-backprop', 's1-01-activations']);
    expect(gradingRank(path.join(tmp, 'other.test.ts'))).toEqual([-1, 0]);
  });
});

describe('gradeSubmissions', () => {
  it('refuses to grade a submission folder that holds the grader itself (a checkout inside the student’s workspace)', async () => {
    await expect(gradeSubmissions([path.dirname(ROOT)])).rejects.toThrow(/is inside the submission folder .*check the grader out elsewhere \(in GitHub Actions under \$RUNNER_TEMP/);
    await expect(gradeSubmissions([ROOT])).rejects.toThrow(/is inside the submission folder/);
  });

  it('grades several submissions in one run without mixing them up', async () => {
    const good = submission('good ?x=1 #top ü'); // read as a query or a fragment, this zeroed a correct submission
    const solution01 = readFileSync(path.join(ROOT, 'solutions', '01-activations', 'activations.ts'), 'utf8');
    const wrongRelu = submission('wrong-relu', {
      '01-activations/activations.ts': solution01.replace('return x > 0 ? 1 : 0;', 'return x >= 0 ? 1 : 0;'),
    });
    const outside = submission('outside', {
      '01-activations/activations.ts': `export * from '${path.join(ROOT, 'solutions', '01-activations', 'activations')}';\n`,
    });
    const [a, b, c] = await gradeSubmissions([good, wrongRelu, outside], { exercises: ['01-activations', '05-residual'] });
    expect([a.score, a.maxScore]).toEqual([25, 25]);
    expect(b.exercises.map((e) => [e.slug, e.score, e.status])).toEqual([['01-activations', 13.5, 'failed'], ['05-residual', 10, 'passed']]);
    const relu = b.tests.find((t) => t.id === 'activations.reluGrad.grid');
    expect(relu?.status).toBe('failed');
    expect(relu?.diagnosis?.id).toBe('relu-grad-at-zero');
    expect(b.tests.filter((t) => t.status !== 'passed').map((t) => t.id)).toEqual(['activations.reluGrad.grid']);
    // an import outside the submission (here an absolute path) is refused at compile: 01 errors, 05 is untouched
    expect(c.exercises.map((e) => [e.slug, e.score, e.status])).toEqual([['01-activations', 0, 'error'], ['05-residual', 10, 'passed']]);
    expect(c.tests.find((t) => t.exercise === '01-activations')?.message).toMatch(/a submission may only import \.\.\/lib\/<module>/);
    expect(a.submission).toBe(good);
    expect(b.submission).toBe(wrongRelu);
  });

  it('cancels a run past its time limit and reports the unfinished tests as errors', async () => {
    // every call sleeps 400 ms (under the call timeout), so the run as a whole is too slow
    const solution06 = readFileSync(path.join(ROOT, 'solutions', '06-dead-neurons', 'diagnostics.ts'), 'utf8');
    const names = ['deadUnitFraction', 'saturatedFraction', 'gradientFlow', 'trainNeuron'];
    const slow = submission('slow', {
      '06-dead-neurons/diagnostics.ts': solution06.replace(/export function (\w+)\(/g, 'function real_$1(') +
        'function nap() { const end = Date.now() + 400; while (Date.now() < end) {} }\n' +
        names.map((n) => `export function ${n}(...args: any[]) { nap(); return (real_${n} as any)(...args); }\n`).join(''),
    });
    // (no wall-clock assertion on the run itself: on a loaded machine vitest alone can take 20 s to
    // start; the 'error' statuses below are what shows the run was cut short, since every call
    // stays under its limit and a run left to finish would pass all 8 tests)
    const [r] = await gradeSubmissions([slow], { exercises: ['06-dead-neurons'], runTimeoutMs: 2500, callTimeoutMs: 2000 });
    expect(r.tests).toHaveLength(8);
    const statuses = new Set(r.tests.map((t) => t.status));
    expect(statuses.has('error')).toBe(true);
    const stopped = r.tests.filter((t) => t.status === 'error');
    for (const t of stopped) expect(t.message).toMatch(/did not finish|no result for this test/);
    expect(r.score).toBeLessThan(10);
  });
});
