/**
 * A class run never misreports a student (issue 19): a refusal is never a 0 in the LMS files, the
 * report says why an exercise is `error` and which exercises were not started, a name in report.md
 * cannot mention anyone, and the terminal table stays aligned whatever the scores. From hand-made
 * records of seven exercises, as a real run writes them (no grading).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gradlab as run } from './cli-harness';
import { codeTexts, decodeHtml, outsideCode, renderMarkdown } from './markdown';
import { renderSummary } from '../grader/class/gradebook';
import { writeRecords, type StudentRecord } from '../grader/class/record';
import { loadManifest } from '../grader/manifest';
import type { ExerciseStatus, TestResult, TestStatus } from '../grader/results';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-class-misreports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const COMPILE = '03-initialization/init.ts does not compile: [PARSE_ERROR] Expected `)` but found `;` at 03-initialization/init.ts:14:7\n  14 │   return x;\nFix the line shown; `npx vitest run exercises/03-initialization` shows the same error.';

/**
 * A student's record over every exercise of the course: each exercise's tests all get the status
 * `status(slug)` (passed ones their points), with `message(slug)` when not passed.
 */
function student(name: string, status: (slug: string) => TestStatus, message: (slug: string) => string = () => 'wrong', refused?: string): StudentRecord {
  const exercises = loadManifest().exercises;
  const tests: TestResult[] = exercises.flatMap((ex) => ex.tests.map((t) => {
    const s = refused ? 'error' : status(ex.slug);
    return { id: t.id, exercise: ex.slug, name: `${ex.slug} › ${t.name}`, score: s === 'passed' ? t.points : 0, maxScore: t.points, status: s, visibility: t.visibility, message: s === 'passed' ? '' : refused ? `not graded: the student folder ${refused}` : message(ex.slug) };
  }));
  const exStatus = (s: TestStatus): ExerciseStatus => (s === 'timeout' ? 'error' : s);
  const results = {
    score: tests.reduce((a, t) => a + t.score, 0), maxScore: exercises.reduce((a, e) => a + e.points, 0), durationMs: 1000,
    exercises: exercises.map((ex) => ({ slug: ex.slug, score: tests.filter((t) => t.exercise === ex.slug).reduce((a, t) => a + t.score, 0), maxScore: ex.points, status: exStatus(refused ? 'error' : status(ex.slug)) })),
    tests,
  };
  return {
    student: name, status: refused ? 'refused' : 'graded', ...(refused ? { reason: refused } : {}),
    grader: { version: '0.1.0', commit: 'ab'.repeat(20) }, gradingKey: 'k', submissionHash: refused ? null : 'h',
    gradedAt: '2026-12-01T10:00:00.000Z', complete: true, results,
  };
}

const records = [
  student('alice', () => 'passed'),
  student('bob', () => 'passed', undefined, 'is empty: the student submitted nothing'),
  student('carol', (slug) => (slug === '03-initialization' ? 'error' : 'passed'), () => COMPILE),
  student('dan', (slug) => (slug === '01-activations' ? 'passed' : 'not-implemented'), () => 'not implemented yet: read the README'),
  student('@octocat', () => 'passed'),
  student('www.evil.example', () => 'passed'),
];
const dir = path.join(tmp, 'results');
writeRecords(dir, records);

describe('a class run never misreports a student', () => {
  it('lms leaves a refused student\'s cell empty (not 0) and lists them with the reason in unmatched.csv and on screen', async () => {
    const roster = path.join(tmp, 'roster.csv');
    writeFileSync(roster, 'identifier,github_username,github_id,name\ns1,alice,1,Alice\ns2,bob,2,Bob\n');
    const out = path.join(tmp, 'lms');
    const r = await run(['lms', '--roster', roster, '--results', dir, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe([
      '2 of 2 roster students paired with a folder.',
      ...['@octocat', 'carol', 'dan', 'www.evil.example'].map((f) => `  unmatched folder ${f}: no roster row has this GitHub username`),
      '  refused, grade cell left empty: folder bob: is empty: the student submitted nothing',
      `Canvas: ${path.join(out, 'canvas.csv')}; Moodle: ${path.join(out, 'moodle.csv')}; unmatched: ${path.join(out, 'unmatched.csv')}.`,
      '',
    ].join('\n'));
    expect(readFileSync(path.join(out, 'canvas.csv'), 'utf8')).toBe('Student,ID,SIS User ID,SIS Login ID,Section,gradlab\nAlice,,s1,,,100\nBob,,s2,,,\n');
    expect(readFileSync(path.join(out, 'moodle.csv'), 'utf8')).toBe('identifier,name,github_username,gradlab\ns1,Alice,alice,100\ns2,Bob,bob,\n');
    expect(readFileSync(path.join(out, 'unmatched.csv'), 'utf8').split('\n').filter((l) => !l.includes('no roster row'))).toEqual([
      'kind,student_folder,github_username,identifier,name,score,max_score,reason',
      'refused,bob,bob,s2,Bob,,100,is empty: the student submitted nothing',
      '',
    ]);
  });

  it('says why an exercise is error (the first line of its compile error) and which exercises were not started', async () => {
    const merged = path.join(tmp, 'merged');
    const r = await run(['merge', '--results', merged, dir]);
    expect(r.stdout.startsWith('Merged 1 folder: 6 students.\n')).toBe(true);
    const problems = Object.fromEntries(readFileSync(path.join(merged, 'gradebook.csv'), 'utf8').trim().split('\n').slice(1).map((l) => [l.split(',')[0], l]));
    // quoted: a cell holding ';' (a spreadsheet in a ';' locale would split it there)
    expect(problems.carol).toContain(',"03-initialization: error (03-initialization/init.ts does not compile: [PARSE_ERROR] Expected `)` but found `;` at 03-initialization/init.ts:14:7)",');
    expect(problems.dan).toContain(',"not started: 02, 03, 04, 05, 06, 07 (6 of 7 exercises)",');
    expect(problems.alice).toMatch(/,100,100,15,20,15,15,10,10,15,,,2026/); // no problems; a record from before the sandbox column has it empty
    const md = readFileSync(path.join(merged, 'report.md'), 'utf8');
    expect(md.slice(md.indexOf('## Not graded, or not fully'))).toBe([
      '## Not graded, or not fully',
      '',
      '- `bob`: `is empty: the student submitted nothing`',
      '- `carol`: ``03-initialization: error (03-initialization/init.ts does not compile: [PARSE_ERROR] Expected `)` but found `;` at 03-initialization/init.ts:14:7)``',
      '- `dan`: `not started: 02, 03, 04, 05, 06, 07 (6 of 7 exercises)`',
      '',
    ].join('\n'));
    const html = readFileSync(path.join(merged, 'report.html'), 'utf8');
    expect(html).toContain('<li>dan: not started: 02, 03, 04, 05, 06, 07 (6 of 7 exercises)</li>');
  });

  it('names in report.md cannot mention anyone, link an issue or autolink: GitHub renders them as code', () => {
    const page = renderMarkdown(readFileSync(path.join(tmp, 'merged', 'report.md'), 'utf8'));
    const outside = decodeHtml(outsideCode(page));
    expect(outside).not.toMatch(/@octocat|www\.evil/);
    expect(page).not.toMatch(/<a\b/);
    expect(codeTexts(page)).toEqual(expect.arrayContaining(['@octocat', 'www.evil.example']));
  });

  it('keeps the terminal table aligned when a score is wider than its heading', () => {
    // erin fails one 1.875-point test of 04: 13.125/15 there, 98.125/100 in all
    const erin = student('erin', () => 'passed');
    const failed = erin.results.tests.find((x) => x.exercise === '04-batchnorm')!;
    Object.assign(failed, { status: 'failed', score: 0, message: 'wrong' });
    erin.results.exercises.find((e) => e.slug === '04-batchnorm')!.score = 13.125;
    erin.results.score = 98.125;
    const lines = renderSummary([records[0], erin]).split('\n').slice(0, 3);
    expect(lines[2]).toMatch(/^erin +98\.125\/100 +15 +20 +15 13\.125 +10 +10 +15$/);
    // every column ends where its heading ends
    const ends = (line: string) => [...line.matchAll(/\S+(?= |$)/g)].slice(1).map((m) => m.index + m[0].length);
    expect(ends(lines[1])).toEqual(ends(lines[0]));
    expect(ends(lines[2])).toEqual(ends(lines[0]));
  });
});
