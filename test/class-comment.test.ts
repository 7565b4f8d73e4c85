/**
 * The comment each student gets on their graded commit (grader/class/comment.ts): whatever their
 * code chose must stay text. Rendered as GitHub would (test/markdown.ts), the comment may hold a
 * link, an image or an HTML tag only if the grader wrote it (it writes none), and every hostile
 * string must come out as the exact text of a code element, never outside one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gradlab as run } from './cli-harness';
import { codeTexts, decodeHtml as decode, outsideCode, renderMarkdown as render } from './markdown';
import { COMMENT_MAX, fenced, inlineCode, renderComment } from '../grader/class/comment';
import { writeRecords, type StudentRecord } from '../grader/class/record';
import type { TestResult } from '../grader/results';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-comment-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

// what a student's exception message, file name or output can say
const HOSTILE = [
  '![x](https://evil.example/x.png)',
  '[your grade](https://evil.example/phish)',
  'see https://evil.example/bare and www.evil.example',
  '@org/team and @alice, fixes #12',
  '<img src=x onerror=alert(1)>',
  '</details><details open><summary>100/100</summary>',
  '</code></pre><a href="https://evil.example">x</a>',
  '```\n# Score: 100/100\n```',
  'a run of ten: ``````````\n``````````',
  '~~~\n<script>alert(1)</script>\n~~~',
  '<!-- hide the rest',
  '| fake | table |\n|---|---|\n| 100 | 100 |',
  '    indented\n> quoted\n---\n# heading',
  'carriage\rreturn, bidi \u202egpj.exe, ansi \u001b[31mred',
];

function test(id: string, message: string, extra: Partial<TestResult> = {}): TestResult {
  return { id, exercise: '05-residual', name: `05-residual › ${id}`, score: 0, maxScore: 2, status: 'failed', visibility: 'visible', message, ...extra };
}

function record(tests: TestResult[], o: Partial<StudentRecord> = {}): StudentRecord {
  return {
    student: 'alice', status: 'graded', grader: { version: '0.1.0', commit: 'fedcba9876543210fedcba9876543210fedcba98' }, gradingKey: 'k',
    submissionHash: 'h', gradedAt: '2026-11-29T12:00:00.000Z', complete: true,
    results: { score: 1, maxScore: 10, durationMs: 5, exercises: [{ slug: '05-residual', score: 1, maxScore: 10, status: 'failed' }], tests },
    ...o,
  };
}

describe('the comment on a student\'s graded commit', () => {
  const hostile = [
    ...HOSTILE.map((m, i) => test(`t${i}`, m)),
    test('diagnosed', 'expected 1 at [0][0]', { diagnosis: { id: 'relu-grad-at-zero', hint: 'ReLU′(0) = 0: is x > 0 strict?' } }),
    test('secret', 'expected 0.123456789 at the hidden input', { visibility: 'hidden' }),
    test('passing', '', { status: 'passed', score: 2 }),
  ];
  const markdown = renderComment(record(hostile), COMMIT);
  const html = render(markdown);

  it('starts with the score, the commit, the grader and one row per exercise', () => {
    expect(markdown.split('\n').slice(0, 7)).toEqual([
      '## gradlab: 1/10 for commit 0123456',
      '',
      'Graded 2026-11-29T12:00:00.000Z by grader 0.1.0 (commit fedcba987654).',
      '',
      '| exercise | points | status |',
      '|---|---:|---|',
      '| 05-residual | 1/10 | failed |',
    ]);
    expect(markdown).toContain(`### Tests not passed (${HOSTILE.length + 2})`);
  });

  it('renders no link, image, HTML element or heading but its own: every hostile string is the exact text of a code block', () => {
    expect(html).not.toMatch(/<(a|img|details|summary|script|blockquote|hr)\b/);
    expect(html.match(/<h\d>/g)).toEqual(['<h2>', '<h3>']);
    expect(html.match(/<table>/g)).toEqual(['<table>']); // the exercise table only
    const outside = decode(outsideCode(html));
    for (const word of ['evil', '@org', '@alice', '#12', 'onerror', '<!--', '100/100', 'fake', 'indented', 'gpj']) expect(outside, word).not.toContain(word);
    const blocks = codeTexts(html);
    // control and bidi characters are shown escaped; everything else is kept as the student wrote it
    for (const m of HOSTILE) expect(blocks).toContain(m.replace(/\r/g, '\\u000d').replace(/\u202e/g, '\\u202e').replace(/\u001b/g, '\\u001b'));
  });

  it('names each test in inline code and shows a hidden test\'s name and points only', () => {
    expect(codeTexts(html)).toContain('05-residual › t0');
    expect(markdown).toContain('**`05-residual › secret`**: failed, 0/2 points (a hidden test: its details are not shown)');
    expect(markdown).not.toContain('0.123456789');
    expect(codeTexts(html)).toContain('expected 1 at [0][0]\n\nKnown mistake relu-grad-at-zero: ReLU′(0) = 0: is x > 0 strict?');
    expect(markdown).not.toContain('passing');
  });

  it('lists tests that fail the same way once: their names, then the message (a missing file fails every test of its exercise alike)', () => {
    const missing = { status: 'missing' as const, score: 0, maxScore: 1.5 };
    const text = renderComment(record([
      test('a', 'residual.ts is missing', missing), test('b', 'residual.ts is missing', missing), test('c', 'residual.ts is missing', { ...missing, maxScore: 2 }),
      test('h1', 'x', { ...missing, visibility: 'hidden' }), test('h2', 'y', { ...missing, visibility: 'hidden' }),
      test('d', 'residual.ts is missing', missing),
    ]), COMMIT);
    expect(text.slice(text.indexOf('### '))).toBe([
      '### Tests not passed (6)', '',
      '**3 tests: missing**, 0/5 points', '', '- `05-residual › a` (0/1.5)', '- `05-residual › b` (0/1.5)', '- `05-residual › c` (0/2)', '',
      '```text', 'residual.ts is missing', '```', '',
      '**2 hidden tests: missing**, 0/3 points (hidden tests: their details are not shown)', '', '- `05-residual › h1` (0/1.5)', '- `05-residual › h2` (0/1.5)', '',
      '**`05-residual › d`**: missing, 0/1.5 points', '', '```text', 'residual.ts is missing', '```', '',
    ].join('\n'));
  });

  it('fences with one backtick more than the longest run inside, and inline code likewise', () => {
    expect(fenced('plain')).toBe('```text\nplain\n```');
    expect(fenced('a ` b `` c')).toBe('```text\na ` b `` c\n```');
    expect(fenced('``````````')).toBe('```````````text\n``````````\n```````````');
    expect(inlineCode('a `b`')).toBe('`` a `b` ``');
    expect(inlineCode('two\nlines')).toBe('`two lines`');
    expect(codeTexts(render(inlineCode('`` x ``')))).toEqual(['`` x ``']);
  });

  it('stays under GitHub\'s 65,536-character limit and says how many tests it left out', () => {
    const many = Array.from({ length: 120 }, (_, i) => test(`long${i}`, `${'x'.repeat(1990)} ${i}`));
    const text = renderComment(record(many), COMMIT);
    expect(text.length).toBeLessThanOrEqual(COMMENT_MAX);
    const listed = text.match(/^\*\*`05-residual › long\d+`\*\*/gm) ?? [];
    const left = Number(/…and (\d+) more sections not listed here/.exec(text)?.[1]);
    expect(listed.length).toBeGreaterThan(20);
    expect(listed.length + left).toBe(120);
  });

  it('shows a refusal\'s reason in a code block', () => {
    const refused = renderComment(record([], { status: 'refused', reason: 'is a symbolic link ![x](https://evil.example/x.png)' }), COMMIT);
    expect(refused.startsWith('## gradlab: commit 0123456 could not be graded\n')).toBe(true);
    expect(outsideCode(render(refused))).not.toContain('evil');
  });

  it('gradlab comment prints it from a results folder and refuses what is not a commit or a folder name', async () => {
    const dir = path.join(tmp, 'results');
    writeRecords(dir, [record(hostile)]);
    expect(await run(['comment', '--results', dir, '--student', 'alice', '--commit', COMMIT])).toEqual({ status: 0, stdout: markdown, stderr: '' });
    expect((await run(['comment', '--results', dir, '--student', 'alice', '--commit', 'HEAD; rm -rf /'])).stderr).toBe("gradlab: --commit must be a commit hash (hex, as git prints it), got 'HEAD; rm -rf /'\n");
    expect((await run(['comment', '--results', dir, '--student', '../alice', '--commit', COMMIT])).stderr).toBe("gradlab: --student must be a student's folder name, got '../alice'\n");
    expect((await run(['comment', '--results', dir, '--student', 'bob', '--commit', COMMIT])).stderr).toBe(`gradlab: no record of bob in '${dir}': pass the results folder that graded them, and their folder name\n`);
  });
});
