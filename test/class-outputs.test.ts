/**
 * What TAs do with class results, from hand-made student records (no grading): the diff of two
 * runs, the class report, the LMS export and merge, each against a hand-checked expected file in
 * test/class-fixtures/.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inChromium, skipWithoutChromium } from './chromium';
import { gradlab as run } from './cli-harness';
import { parse } from 'csv-parse/sync';
import { writeRecords, readAllRecords, type StudentRecord } from '../grader/class/record';
import { csv } from '../grader/class/text';
import { loadManifest } from '../grader/manifest';
import type { TestResult, TestStatus } from '../grader/results';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-class-outputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const expected = (name: string) => readFileSync(path.join(import.meta.dirname, 'class-fixtures', name), 'utf8');

const RELU = 'activations.reluGrad.grid'; // 2 points, exercise 01
const FORWARD = 'residual.forward.values'; // 2.5 points, exercise 05
const DIAGNOSIS = { id: 'relu-grad-at-zero', hint: 'ReLU′(0) = 0: is x > 0 strict?' };

/** A record with the two tests above; the statuses decide the scores, as the grader would. */
function record(student: string, relu: TestStatus, forward: TestStatus, o: { commit: string; gradedAt: string; ms: number; diagnosed?: boolean; refused?: string }): StudentRecord {
  const test = (id: string, exercise: string, points: number, status: TestStatus): TestResult => ({
    id, exercise, name: `${exercise} › ${id}`, score: status === 'passed' ? points : 0, maxScore: points, status, visibility: 'visible',
    message: status === 'passed' ? '' : `${id} ${status}`,
    ...(o.diagnosed && id === RELU ? { diagnosis: DIAGNOSIS } : {}),
  });
  const tests = [test(RELU, '01-activations', 2, relu), test(FORWARD, '05-residual', 2.5, forward)];
  const exStatus = (t: TestResult) => (t.status === 'passed' ? 'passed' : t.status === 'timeout' ? 'error' : t.status === 'error' ? 'error' : 'failed');
  return {
    student, status: o.refused ? 'refused' : 'graded', ...(o.refused ? { reason: o.refused } : {}),
    grader: { version: '0.1.0', commit: o.commit.padEnd(40, '0') }, gradingKey: 'k', submissionHash: o.refused ? null : 'h',
    gradedAt: o.gradedAt, complete: true,
    results: {
      score: tests.reduce((a, t) => a + t.score, 0), maxScore: 4.5, durationMs: o.ms,
      exercises: tests.map((t) => ({ slug: t.exercise, score: t.score, maxScore: t.maxScore, status: exStatus(t) })),
      tests,
    },
  };
}

const OLD = { commit: '0123456789ab', gradedAt: '2026-11-28T10:00:00.000Z' };
const NEW = { commit: 'fedcba987654', gradedAt: '2026-11-29T11:00:00.000Z' };
const oldRun = [
  record('=carol', 'failed', 'error', { ...OLD, ms: 3000, diagnosed: true }),
  record('alice', 'passed', 'passed', { ...OLD, ms: 1000 }),
  record('dave', 'error', 'error', { ...OLD, ms: 0, refused: 'is a symbolic link' }),
  record('hw1-bob', 'failed', 'passed', { ...OLD, ms: 1000, diagnosed: true }),
];
const newRun = [
  record('=carol', 'failed', 'passed', { ...NEW, ms: 3400, diagnosed: true }),
  record('alice', 'passed', 'passed', { ...NEW, ms: 1200 }), // only its timings differ
  record('erin', 'passed', 'timeout', { ...NEW, ms: 9000 }),
  record('hw1-bob', 'passed', 'passed', { ...NEW, ms: 1500 }),
];
const oldDir = path.join(tmp, 'old');
const newDir = path.join(tmp, 'new');
writeRecords(oldDir, oldRun);
writeRecords(newDir, newRun);

describe('class results: diff, report, LMS export, merge', () => {
  it('gradlab diff: who changed, by how much, which tests; timings are not changes', async () => {
    const r = await run(['diff', oldDir, newDir]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expected('diff.txt'));
  });

  it('the class report in Markdown: histogram, pass rate per test, common mistakes with their hint, slowest, not graded', async () => {
    const out = path.join(tmp, 'merged');
    const r = await run(['merge', '--results', out, newDir]);
    expect(r.stderr).toBe('');
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toBe(expected('report.md').replace('COURSE', loadManifest().course));
  });

  it('the class report as one self-contained HTML page: inline SVG plots, no script, nothing fetched', async () => {
    const page = readFileSync(path.join(tmp, 'merged', 'report.html'), 'utf8');
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(page).not.toMatch(/<script|<link|<img|<iframe|src=|https?:\/\/(?!www\.w3\.org)/i);
    const svgs = page.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(2);
    // the histogram has one bar per bin (11), the pass-rate plot one per test (2)
    const bars = (svg: string) => [...svg.matchAll(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="bar"/g)].map((m) => m[1]);
    expect(bars(svgs[0] ?? "")).toEqual(['0–9%', '10–19%', '20–29%', '30–39%', '40–49%', '50–59%', '60–69%', '70–79%', '80–89%', '90–99%', '100%']
      .map((bin, i) => `score (share of the maximum): ${bin}; students: ${[0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 2][i]}`));
    expect(bars(svgs[1] ?? "")).toEqual(['students who pass (%): 75; test: activations.reluGrad.grid', 'students who pass (%): 75; test: residual.forward.values']);
    expect(page).toContain('<td><code>relu-grad-at-zero</code></td><td>1</td><td><code>activations.reluGrad.grid</code></td><td>ReLU′(0) = 0: is x &#62; 0 strict?</td>');
    expect(page).toContain('<li>erin: 05-residual: error (residual.forward.values timeout)</li>');
  });

  it('the class report page renders in headless Chromium: both plots sized, with axes and bars, the tables, nothing fetched', async (ctx) => {
    skipWithoutChromium(ctx);
    await inChromium(path.join(tmp, 'merged', 'report.html'), async (tab, { fetched, errors }) => {
      const plots = await tab.$$eval('figure', (figures) => figures.map((f) => {
        const box = f.querySelector('svg')?.getBoundingClientRect();
        const bars = [...f.querySelectorAll('.role-mark path')].filter((p) => p.getBoundingClientRect().width > 0 && p.getBoundingClientRect().height > 0);
        return { id: f.id, width: box?.width ?? 0, height: box?.height ?? 0, axes: f.querySelectorAll('g.role-axis[aria-roledescription="axis"]').length, bars: bars.length };
      }));
      // histogram: 3 of its 11 bins hold students (40–49%, 50–59%, 100%); pass rates: 2 tests
      expect(plots.map(({ id, axes, bars }) => ({ id, axes, bars }))).toEqual([{ id: 'histogram', axes: 2, bars: 3 }, { id: 'pass-rates', axes: 2, bars: 2 }]);
      for (const p of plots) {
        expect(p.width, p.id).toBeGreaterThan(200);
        expect(p.height, p.id).toBeGreaterThan(50); // the pass-rate plot is 14 px a test plus its axis
      }
      expect(await tab.locator('#mistakes td').allTextContents()).toEqual(['relu-grad-at-zero', '1', 'activations.reluGrad.grid', 'ReLU′(0) = 0: is x > 0 strict?']);
      expect(await tab.locator('#totals').textContent()).toBe('4 students: 4 graded, 0 refused. Mean 3.38/4.5, median 3.5/4.5.');
      expect(fetched).toEqual([]);
      expect(errors).toEqual([]);
    });
  });

  it('gradlab lms: Canvas and Moodle import files through a Classroom roster; unmatched folders and roster rows listed, never dropped', async () => {
    const out = path.join(tmp, 'lms');
    const r = await run(['lms', '--roster', path.join(import.meta.dirname, 'class-fixtures', 'roster.csv'), '--results', newDir, '--out', out, '--assignment', 'HW 1 (123)']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe([
      '1 of 4 roster students paired with a folder.',
      '  unmatched folder =carol: no roster row has this GitHub username',
      '  unmatched folder erin: no roster row has this GitHub username',
      '  unmatched folder hw1-bob: no roster row has this GitHub username (if the folders are named <assignment>-<username>, pass --prefix hw1-; a name is never paired by its ending alone)',
      '  unmatched roster row Bob: no submission folder',
      '  unmatched roster row s003: no GitHub account linked in the roster',
      '  unmatched roster row frank: no submission folder',
      `Canvas: ${path.join(out, 'canvas.csv')}; Moodle: ${path.join(out, 'moodle.csv')}; unmatched: ${path.join(out, 'unmatched.csv')}.`,
      '',
    ].join('\n'));
    for (const f of ['canvas.csv', 'moodle.csv', 'unmatched.csv']) expect(readFileSync(path.join(out, f), 'utf8'), f).toBe(expected(f));
    const login = await run(['lms', '--roster', path.join(import.meta.dirname, 'class-fixtures', 'roster.csv'), '--results', newDir, '--out', out, '--canvas-id', 'sis-login-id']);
    expect(login.status).toBe(0);
    expect(readFileSync(path.join(out, 'canvas.csv'), 'utf8').split('\n').slice(0, 2)).toEqual(['Student,ID,SIS User ID,SIS Login ID,Section,gradlab', '"Liddell, Alice",,,s001,,4.5']);
  });

  it('gradlab lms pairs a folder with the roster row of exactly its username, or its username after --prefix; never by the end of its name', async () => {
    // GitHub usernames may hold '-': evil-bob, an account anyone can register and not link to the
    // roster, was paired with bob by its ending ('-bob'), took bob's row while bob had no folder,
    // and made bob's own folder one of two claims (his cell left empty) once he had one
    const roster = path.join(tmp, 'roster-dash.csv');
    writeFileSync(roster, 'identifier,github_username,github_id,name\ns1,alice,1,Alice\ns2,bob,2,Bob\n');
    const lms = async (folders: Array<[string, TestStatus]>, ...args: string[]) => {
      const dir = mkdtempSync(path.join(tmp, 'dash-'));
      writeRecords(dir, folders.map(([name, relu]) => record(name, relu, 'passed', { ...NEW, ms: 1000 })));
      const r = await run(['lms', '--roster', roster, '--results', dir, ...args]);
      expect(r.stderr).toBe('');
      return { stdout: r.stdout.split('\n').slice(0, -2), canvas: readFileSync(path.join(dir, 'canvas.csv'), 'utf8') };
    };
    const evilOnly = await lms([['alice', 'passed'], ['evil-bob', 'passed']]);
    expect(evilOnly.canvas).toBe('Student,ID,SIS User ID,SIS Login ID,Section,gradlab\nAlice,,s1,,,4.5\nBob,,s2,,,\n');
    expect(evilOnly.stdout).toEqual([
      '1 of 2 roster students paired with a folder.',
      '  unmatched folder evil-bob: no roster row has this GitHub username (if the folders are named <assignment>-<username>, pass --prefix evil-; a name is never paired by its ending alone)',
      '  unmatched roster row bob: no submission folder',
    ]);
    // bob's own folder (his 01 failed: 2.5 of 4.5) pairs with him; evil-bob's full marks do not
    const both = await lms([['alice', 'passed'], ['bob', 'failed'], ['evil-bob', 'passed']]);
    expect(both.canvas).toBe('Student,ID,SIS User ID,SIS Login ID,Section,gradlab\nAlice,,s1,,,4.5\nBob,,s2,,,2.5\n');
    // folders named as Classroom names repositories: the prefix is said, and only that prefix counts
    const prefixed = await lms([['hw1-alice', 'passed'], ['hw1-Bob', 'failed'], ['hw1-evil-bob', 'passed'], ['alice', 'passed']], '--prefix', 'hw1-');
    expect(prefixed.canvas).toBe('Student,ID,SIS User ID,SIS Login ID,Section,gradlab\nAlice,,s1,,,4.5\nBob,,s2,,,2.5\n');
    expect(prefixed.stdout).toEqual([
      '2 of 2 roster students paired with a folder.',
      '  unmatched folder alice: the name does not start with --prefix hw1-',
      '  unmatched folder hw1-evil-bob: no roster row has this GitHub username',
    ]);
  });

  it('writes CSV cells no spreadsheet splits into a formula, whether it separates by comma, semicolon or tab, honouring quotes or not', () => {
    // a student controls a gradebook's name and problems cells (the first line of an error their
    // code throws); Excel in a locale that separates by ';' split an unquoted cell there
    const hostile = ["x;=1+1;=cmd|' /C calc'!A0;", 'bob; "@SUM(1)', 'a\t=2+2', "01-activations: error (Error: ;-3); 05-residual: failed; ok;'=4", '=carol', 'plain', "x,=cmd|' /C calc'!A0", 'y\n=2+2'];
    const text = csv([hostile, [1, 2.5, 0, 4.5, -1, 7, 0, 3]]);
    expect(text).toBe(`"x;'=1+1;'=cmd|' /C calc'!A0;","bob; ""'@SUM(1)","a\t'=2+2","01-activations: error (Error: ;'-3); 05-residual: failed; ok;'=4",'=carol,plain,"x,'=cmd|' /C calc'!A0","y\n'=2+2"\n1,2.5,0,4.5,-1,7,0,3\n`);
    const formulas = (cells: string[]) => cells.filter((c) => /^[\s"]*[=+\-@]/.test(c) && !/^-?\d+(\.\d+)?$/.test(c)); // a number cell is no formula
    for (const delimiter of [',', ';', '\t']) {
      const quoted = (parse(text, { delimiter, relax_quotes: true, relax_column_count: true }) as string[][]).flat();
      const naive = text.split(/\n/).flatMap((line) => line.split(delimiter));
      expect([formulas(quoted), formulas(naive)], JSON.stringify(delimiter)).toEqual([[], []]);
    }
    // read back as CSV, each cell is what was written, a ' before what would start a formula
    expect(parse(text, { delimiter: ',' })[0]).toEqual(["x;'=1+1;'=cmd|' /C calc'!A0;", 'bob; "\'@SUM(1)', "a\t'=2+2", "01-activations: error (Error: ;'-3); 05-residual: failed; ok;'=4", "'=carol", 'plain', "x,'=cmd|' /C calc'!A0", "y\n'=2+2"]);
  });

  it('gradlab lms says what is wrong with a roster that is not one', async () => {
    const bad = path.join(tmp, 'bad-roster.csv');
    writeFileSync(bad, 'login,score\nalice,3\n');
    expect(await run(['lms', '--roster', bad, '--results', newDir])).toEqual({
      status: 2, stdout: '', stderr: `gradlab: ${bad} is not a GitHub Classroom roster: it needs the columns identifier, github_username, github_id, name (missing: identifier, github_username, github_id, name)\n`,
    });
    expect((await run(['lms', '--results', newDir])).stderr).toBe('gradlab: lms needs --roster FILE, the roster CSV exported from GitHub Classroom. See `gradlab lms --help`.\n');
    expect((await run(['diff', oldDir])).stderr).toBe('gradlab: diff takes two class results folders, OLD and NEW, got 1. See `gradlab diff --help`.\n');
    expect((await run(['diff', oldDir, tmp])).stderr).toBe(`gradlab: '${tmp}' is not a gradlab class results folder (it has no students/): pass the folder given to \`gradlab class --results\`\n`);
  });

  it('gradlab merge keeps each student once, the newest record, and lists who was in several folders', async () => {
    const out = path.join(tmp, 'both');
    const r = await run(['merge', '--results', out, oldDir, newDir]);
    expect(r.stdout).toBe(`Merged 2 folders: 5 students. In several folders (the newest record kept): =carol, alice, hw1-bob.\nGradebook: ${path.join(out, 'gradebook.csv')}; ${path.join(out, 'report.md')}, ${path.join(out, 'report.html')}.\n`);
    expect(readAllRecords(out).map((x) => [x.student, x.gradedAt])).toEqual([
      ['=carol', NEW.gradedAt], ['alice', NEW.gradedAt], ['dave', OLD.gradedAt], ['erin', NEW.gradedAt], ['hw1-bob', NEW.gradedAt],
    ]);
    expect(readFileSync(path.join(out, 'gradebook.csv'), 'utf8')).toBe([
      'student,status,score,max_score,01-activations,05-residual,problems,sandbox,graded_at,grader',
      "'=carol,graded,2.5,4.5,0,2.5,,,2026-11-29T11:00:00.000Z,0.1.0 (commit fedcba987654)",
      'alice,graded,4.5,4.5,2,2.5,,,2026-11-29T11:00:00.000Z,0.1.0 (commit fedcba987654)',
      'dave,refused,0,4.5,0,0,is a symbolic link,,2026-11-28T10:00:00.000Z,0.1.0 (commit 0123456789ab)',
      'erin,graded,2,4.5,2,0,05-residual: error (residual.forward.values timeout),,2026-11-29T11:00:00.000Z,0.1.0 (commit fedcba987654)',
      'hw1-bob,graded,4.5,4.5,2,2.5,,,2026-11-29T11:00:00.000Z,0.1.0 (commit fedcba987654)',
      '',
    ].join('\n'));
    expect((await run(['merge', '--results', out, out])).stderr).toBe(`gradlab: --results ${out} is also an input: write the merge to a new folder\n`);
  });
});
