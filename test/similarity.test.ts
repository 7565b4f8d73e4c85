/**
 * `gradlab similarity`: the separation docs/similarity.md states (measured here on the held-in
 * submissions), the pairs and non-pairs of a class built from them, the reports, and the HTML page
 * in headless Chromium. It never changes a score.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inChromium, skipWithoutChromium } from './chromium';
import { gradlab as run } from './cli-harness';
import { codeTexts, decodeHtml, outsideCode, renderMarkdown } from './markdown';
import { DERIVED, exerciseCases, reformat, renameLocals } from './similarity-cases';
import { applyPatch, type CaseExpectation } from './submission-cases';
import { writeRecords, type StudentRecord } from '../grader/class/record';
import { ROOT } from '../grader/paths';
import { comparePairs, DEFAULTS, maxSharedFor, THRESHOLD } from '../grader/similarity/compare';
import type { SimilaritySummary } from '../grader/similarity/render';
import { MAX_FILE_BYTES } from '../grader/similarity/tokens';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-similarity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const doc = readFileSync(path.join(ROOT, 'docs', 'similarity.md'), 'utf8');
/** The doc's prose with its line breaks and indents as single spaces. */
const prose = doc.replace(/\s+/g, ' ');
const f3 = (x: number) => x.toFixed(3);

/** Similarity of `text` with the reference, the stub ignored, as the class run computes it. */
function withReference(reference: string, stub: string, text: string): number {
  return comparePairs([{ name: 'solutions/', origin: 'reference', content: reference }, { name: 's', origin: 'student', content: text }], stub).pairs[0].similarity;
}

describe('the separation docs/similarity.md states', () => {
  const cases = exerciseCases();
  const measured = cases.map((c) => {
    const sim = (text: string) => withReference(c.reference, c.stub, text);
    const edits = [...c.copies].filter(([n]) => n.startsWith('edit:')).map(([, t]) => sim(t));
    const independent = [...c.independent.values()].map(sim);
    const derived = [...c.copies].filter(([n]) => n.startsWith('derived:')).map(([n, t]) => ({ name: n.slice('derived:'.length), similarity: sim(t) }));
    return { slug: c.exercise.slug, reference: sim(c.reference), renamed: sim(c.copies.get('renamed')!), reformatted: sim(c.copies.get('reformatted')!), edits, independent, derived };
  });

  it('is the table of the doc, number for number (3 decimals)', () => {
    const rows = measured.map((m) => `| ${m.slug} | ${f3(m.reference)} | ${f3(m.renamed)} | ${f3(m.reformatted)} | ${m.edits.length} | ${f3(Math.min(...m.edits))} | ${m.independent.length} | ${m.independent.length ? f3(Math.max(...m.independent)) : '–'} |`);
    const table = doc.slice(doc.indexOf('| exercise | the reference |'));
    expect(table.split('\n').slice(2, 2 + rows.length)).toEqual(rows);
    for (const m of measured) for (const d of m.derived) expect(prose).toContain(`\`${d.name}\` (${DERIVED[`${d.name}/${m.slug}`]}): ${f3(d.similarity)}`);
  });

  it('puts the threshold in the gap: above every independent implementation, below every copy of the reference', () => {
    const copies = measured.flatMap((m) => [m.reference, m.renamed, m.reformatted, ...m.edits]);
    const independent = measured.flatMap((m) => m.independent);
    expect([f3(Math.min(...copies)), f3(Math.max(...independent)), independent.length, copies.length]).toEqual(['0.896', '0.556', 52, 68]);
    expect(prose).toContain(`every copy at least **0.896**, every independent implementation at most **0.556**: the threshold is **${THRESHOLD}**`);
    expect(prose).toContain(`${f3(THRESHOLD - Math.max(...independent))} above the most similar independent pair and ${f3(Math.min(...copies) - THRESHOLD)} below the least similar copy`);
    expect(prose).toContain(`(the ${measured.find((m) => m.slug === '02-backprop')!.independent.length} of 02 share one author's structure), so they stand for a handful of independent authors, not ${independent.length}.`);
    expect(Math.max(...independent)).toBeLessThan(THRESHOLD);
    expect(Math.min(...copies)).toBeGreaterThan(THRESHOLD);
    expect([DEFAULTS.k, DEFAULTS.window]).toEqual([23, 17]);
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ')).toContain(`The threshold, ${THRESHOLD}, and how it was measured: [docs/similarity.md](docs/similarity.md)`);
  });

  it('states the parameters the code uses: dolos-core pinned, 256 KB, Dolos\'s k and window', () => {
    expect(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).dependencies['@dodona/dolos-core']).toBe('1.2.1');
    expect(prose).toContain('(`@dodona/dolos-core` 1.2.1,');
    expect(MAX_FILE_BYTES).toBe(256 * 1024);
    expect(prose).toContain('a file over 256 KB or nested too deep');
    expect(prose).toContain(`fingerprints of k-grams of ${DEFAULTS.k} tokens, at least one kept in every window of ${DEFAULTS.window} k-grams`);
  });

  it('ignores the stub: two students who both handed in the stub are 0 alike, in every exercise', () => {
    for (const c of cases) {
      const pair = comparePairs([{ name: 'a', origin: 'student', content: c.stub }, { name: 'b', origin: 'student', content: c.stub }], c.stub).pairs[0];
      expect(pair.similarity, c.exercise.slug).toBe(0);
      // without ignoring it, they would be identical
      expect(comparePairs([{ name: 'a', origin: 'student', content: c.stub }, { name: 'b', origin: 'student', content: c.stub }], null).pairs[0].similarity, c.exercise.slug).toBe(1);
    }
  });

  it('ignores code most of the class shares: a fingerprint in more than half of 10 or more files', () => {
    expect([maxSharedFor(2), maxSharedFor(20), maxSharedFor(21), maxSharedFor(100)]).toEqual([10, 10, 10, 50]);
    const c = cases.find((x) => x.exercise.slug === '02-backprop')!;
    const copies = ['a', 'b', 'c'].map((name) => ({ name, origin: 'student' as const, content: c.reference }));
    // three copies of the same file: alike, unless a fingerprint in more than 2 files is ignored
    expect(comparePairs(copies, c.stub).pairs.map((p) => p.similarity)).toEqual([1, 1, 1]);
    expect(comparePairs(copies, c.stub, { maxShared: 2 }).pairs.map((p) => p.similarity)).toEqual([0, 0, 0]);
  });
});

// a class built from the held-in submissions (02 and 04: the exercises with the most independent ones)
const cls = path.join(tmp, 'class');
const earlier = path.join(tmp, '2025');
const results = path.join(tmp, 'results');
const BACKPROP = '02-backprop/backprop.ts';
const held = (name: string, rel = BACKPROP) => readFileSync(path.join(ROOT, 'test', 'submissions', name, rel), 'utf8');
function put(student: string, rel: string, text: string, dir = cls): void {
  mkdirSync(path.dirname(path.join(dir, student, rel)), { recursive: true });
  writeFileSync(path.join(dir, student, rel), text);
}
/** A minimal graded record, to show that similarity leaves records as they are. */
const record = (student: string, score: number): StudentRecord => ({
  student, status: 'graded', grader: { version: '0.1.0', commit: 'c'.repeat(40) }, gradingKey: 'k', submissionHash: 'h', gradedAt: '2026-12-01T10:00:00.000Z', complete: true,
  results: { score, maxScore: 20, durationMs: 0, exercises: [{ slug: '02-backprop', score, maxScore: 20, status: score === 20 ? 'passed' : 'failed' }], tests: [] },
});

beforeAll(() => {
  const reference = readFileSync(path.join(ROOT, 'solutions', BACKPROP), 'utf8');
  cpSync(path.join(ROOT, 'solutions'), path.join(cls, 'whole-reference'), { recursive: true }); // the reference itself, every exercise
  put('renamed', BACKPROP, renameLocals(reference));
  put('reformatted', '04-batchnorm/batchnorm.ts', reformat(readFileSync(path.join(ROOT, 'solutions', '04-batchnorm/batchnorm.ts'), 'utf8')));
  // a one-line edit of the reference (diagnoses/mse-missing-half's patch)
  put('edited', BACKPROP, reference);
  applyPatch(path.join(cls, 'edited'), 'mse-missing-half', (JSON.parse(held('diagnoses/mse-missing-half', 'expected.json')) as CaseExpectation).patch!);
  // independent implementations: one student's 02 (db-mean), and a classmate's one-line edit of it (dw-transposed)
  put('indep', BACKPROP, held('db-mean'));
  put('indep-copier', BACKPROP, held('dw-transposed'));
  put('indep-bn', '04-batchnorm/batchnorm.ts', held('bn-unbiased-norm', '04-batchnorm/batchnorm.ts'));
  // two students who handed in the stubs; a link, never followed
  cpSync(path.join(ROOT, 'exercises'), path.join(cls, 'stub-1', 'exercises'), { recursive: true });
  cpSync(path.join(ROOT, 'exercises'), path.join(cls, 'stub-2'), { recursive: true });
  mkdirSync(path.join(cls, 'linker', '02-backprop'), { recursive: true });
  symlinkSync(path.join(ROOT, 'solutions', BACKPROP), path.join(cls, 'linker', BACKPROP));
  // the reference 01 with 3000 nested brackets appended (nested-brackets): too deep to parse, listed as not compared
  put('deep', '01-activations/activations.ts', readFileSync(path.join(ROOT, 'solutions', '01-activations/activations.ts'), 'utf8'));
  applyPatch(path.join(cls, 'deep'), 'nested-brackets', (JSON.parse(held('nested-brackets', 'expected.json')) as CaseExpectation).patch!);
  // last year's student whose 02 this year's indep resembles (act-after-last: the same student's code)
  put('old', BACKPROP, held('act-after-last'), earlier);
  writeRecords(results, [record('indep', 12), record('whole-reference', 20)]);
});

describe('gradlab similarity on a class', () => {
  let summary: SimilaritySummary;
  const pairsOf = (slug: string) => summary.exercises.find((e) => e.slug === slug)!.pairs.map((p) => `${p.left} ~ ${p.right} ${p.rightOrigin}`).sort();

  it('lists exactly the copies: of the reference (edited, renamed, reformatted, itself), of a classmate, of an earlier year; never the stubs or independent work', async () => {
    const before = readdirSync(path.join(results, 'students')).map((f) => readFileSync(path.join(results, 'students', f), 'utf8'));
    const r = await run(['similarity', cls, '--results', results, '--earlier', earlier]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    summary = JSON.parse(readFileSync(path.join(results, 'similarity.json'), 'utf8')) as SimilaritySummary;
    expect(pairsOf('02-backprop')).toEqual([
      'edited ~ renamed student', 'edited ~ solutions/ reference', 'edited ~ whole-reference student',
      'indep ~ 2025/old earlier', 'indep ~ indep-copier student', 'indep-copier ~ 2025/old earlier',
      'renamed ~ solutions/ reference', 'renamed ~ whole-reference student', 'whole-reference ~ solutions/ reference',
    ]);
    expect(pairsOf('04-batchnorm')).toEqual(['reformatted ~ solutions/ reference', 'reformatted ~ whole-reference student', 'whole-reference ~ solutions/ reference']);
    for (const slug of ['01-activations', '03-initialization', '05-residual', '06-dead-neurons', '07-training']) expect(pairsOf(slug), slug).toEqual(['whole-reference ~ solutions/ reference']);
    const backprop = summary.exercises.find((e) => e.slug === '02-backprop')!;
    // students with a 02 of their own: 7 (the stubs' count too), plus the one earlier submission; the link is not read
    expect([backprop.students, backprop.earlier, backprop.maxShared]).toEqual([7, 1, 10]);
    expect(backprop.skipped).toEqual([{ name: 'linker', reason: '02-backprop/backprop.ts is a symbolic link (never followed)' }]);
    expect(summary.exercises[0].skipped).toEqual([{ name: 'deep', reason: 'nested too deep to be read as code' }]);
    const exact = backprop.pairs.find((p) => p.left === 'whole-reference' && p.right === 'solutions/')!;
    expect(exact.similarity).toBe(1);
    const edited = backprop.pairs.find((p) => p.left === 'edited' && p.right === 'solutions/')!;
    expect(edited.similarity).toBeGreaterThan(0.95);
    // the longest shared fragment is a stretch of lines on each side
    expect(edited.longest.kgrams).toBeGreaterThan(10);
    expect(edited.longest.left[1]).toBeGreaterThan(edited.longest.left[0]);
    expect(r.stdout).toContain('02-backprop: 7 compared, 9 pairs at or above 0.65: ');
    expect(r.stdout).toContain('\nEvidence for a person to read, never a grade: it changes no score.\n');
    // it changes no score: the records are byte for byte as they were, and no gradebook is written
    expect(readdirSync(path.join(results, 'students')).map((f) => readFileSync(path.join(results, 'students', f), 'utf8'))).toEqual(before);
    expect(readdirSync(results).sort()).toEqual(['report.html', 'report.md', 'similarity.html', 'similarity.json', 'similarity.md', 'students']);
  });

  it('writes the Markdown report: a table per exercise, the longest fragment side by side, names and code as text only', () => {
    const md = readFileSync(path.join(results, 'similarity.md'), 'utf8');
    expect(md).toContain('**Evidence for a person to read, never a grade: it changes no score.**');
    expect(md).toContain('| `edited` | `solutions/` (the reference solution) | ');
    expect(md).toContain('| `indep` | `2025/old` (an earlier year\'s submission) | ');
    expect(md).toContain('### `indep` ↔ `indep-copier`: ');
    const page = renderMarkdown(md);
    // code reaches the page only inside code blocks
    expect(decodeHtml(outsideCode(page))).not.toContain('export function');
    expect(codeTexts(page).filter((t) => /^ +\d+ ▌export function \w+.*│ +\d+ ▌export function \w+/m.test(t)).length).toBeGreaterThan(5);
  });

  it('adds a Similarity section to the class report of the results folder', () => {
    const md = readFileSync(path.join(results, 'report.md'), 'utf8');
    const section = md.slice(md.indexOf('## Similarity'));
    expect(section.split('\n').slice(0, 6)).toEqual([
      '## Similarity', '', expect.stringMatching(/^Evidence for a person to read, never a grade: it changes no score\. Computed \d{4}-\d\d-\d\dT[\d:.]+Z; the files side by side are in similarity\.html\.$/), '',
      '| exercise | student | similar to | similarity |', '|---|---|---|---:|',
    ]);
    expect(section).toContain('| 02-backprop | `whole-reference` | `solutions/` (the reference solution) | 1.00 |');
    expect(readFileSync(path.join(results, 'report.html'), 'utf8')).toContain('<td>02-backprop</td><td>whole-reference</td><td>solutions/ (the reference solution)</td><td class="n">1.00</td>');
  });

  it('renders the HTML report in headless Chromium: each pair side by side, shared regions marked on both sides, no script, nothing fetched', async (ctx) => {
    const file = path.join(results, 'similarity.html');
    const html = readFileSync(file, 'utf8');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|https?:\/\/(?!www\.w3\.org)/i);
    skipWithoutChromium(ctx);
    await inChromium(file, async (tab, { fetched, errors }) => {
      const pairs = await tab.$$eval('section.pair', (sections) => sections.map((s) => {
        const [left, right] = [...s.querySelectorAll('pre')].map((p) => p.getBoundingClientRect());
        return { title: s.querySelector('h3')?.textContent ?? '', marks: [...s.querySelectorAll('pre')].map((p) => p.querySelectorAll('mark').length), sideBySide: !!left && !!right && right.left >= left.right && Math.abs(right.top - left.top) < 1 };
      }));
      // 9 pairs in 02, 3 in 04, 1 in each of the other five exercises
      expect(pairs).toHaveLength(17);
      for (const p of pairs) {
        expect(p.sideBySide, p.title).toBe(true);
        expect(p.marks[0], p.title).toBeGreaterThan(0);
        expect(p.marks[1], p.title).toBeGreaterThan(0);
      }
      expect(pairs.map((p) => p.title)).toContain('edited ↔ solutions/ (the reference solution): 0.98');
      expect(await tab.locator('#never').textContent()).toBe('Evidence for a person to read, never a grade: it changes no score.');
      expect(fetched).toEqual([]);
      expect(errors).toEqual([]);
    });
  });

  it('keeps a hostile folder name inside its table cell: no cell, link, image or mention of its own, in similarity.md and the class report', async () => {
    // a `|` split a row even inside inline code (GitHub's tables): this name made 28 live images in
    // report.md and 42 in similarity.md, and pushed the real values out of their columns
    const names = ['zed|![pic](https:evil.example)|@octocat www.evil.example <img src=https:evil.example>', 'back\\|slash|`|'];
    const hostile = path.join(tmp, 'hostile-class');
    const hostileResults = path.join(tmp, 'hostile-results');
    for (const name of names) cpSync(path.join(ROOT, 'solutions', '02-backprop'), path.join(hostile, name, '02-backprop'), { recursive: true });
    writeRecords(hostileResults, [record('alice', 20)]);
    const r = await run(['similarity', hostile, '--results', hostileResults]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    // how each name reads in its cell: a backslash before a pipe has no form there and is shown as \u005c
    const shown = ['zed|![pic](https:evil.example)|@octocat www.evil.example <img src=https:evil.example>', 'back\\u005c|slash|`|'];
    for (const file of ['similarity.md', 'report.md']) {
      const page = renderMarkdown(readFileSync(path.join(hostileResults, file), 'utf8'));
      const rows = [...page.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => c[1]));
      // every table of both files has four columns
      for (const row of rows) expect(row.length, `${file}: ${row.join(' | ')}`).toBe(4);
      // the two names, each other's pair and each the reference's: in code, never as markup
      const cells = rows.slice(1).flatMap((row) => row).filter((c) => c.startsWith('<code>')).map((c) => decodeHtml(c.replace(/^<code>|<\/code>[^]*$/g, '')));
      expect(new Set(cells), file).toEqual(new Set([...shown, 'solutions/']));
      expect(decodeHtml(outsideCode(page)), file).not.toMatch(/<img|<a |evil\.example|octocat/);
    }
  });

  it('says what to do with bad arguments', async () => {
    expect((await run(['similarity'])).stderr).toBe('gradlab: similarity takes one class folder (one sub-folder per student), got 0. See `gradlab similarity --help`.\n');
    expect((await run(['similarity', cls, '--threshold', '2'])).stderr).toBe("gradlab: --threshold must be a number from 0 to 1, e.g. --threshold 0.65; got '2'\n");
    expect((await run(['similarity', path.join(tmp, 'nope')])).stderr).toBe(`gradlab: the class folder '${path.join(tmp, 'nope')}' does not exist or is not a readable folder: pass a folder with one sub-folder per student\n`);
    expect((await run(['similarity', '--help'])).stdout).toMatch(/^Usage: gradlab similarity <class folder>/);
  });
});
