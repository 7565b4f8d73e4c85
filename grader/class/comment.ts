/**
 * The comment that tells one student their grade, posted by the teacher workflow
 * (.github/workflows/grade-class.yml) on the commit that was graded.
 *
 * GitHub renders a comment as Markdown: a link or an image there is fetched from any server the
 * text names (`![x](https://evil/x.png)` tells that server who read the comment and when), an
 * `@name` or `@org/team` notifies people, `#12` links an issue, and some HTML passes through. A
 * failure message can carry text the student's code chose (an exception's message, a file name in a
 * compile error, a refusal's reason), so every such string goes only into a fenced code block, where
 * GitHub shows text as text: no link, image, mention, reference or HTML. The fence is a run of
 * backticks longer than any run inside the text, so no line of the text can close it; control and
 * bidi characters are shown as `\uXXXX` escapes. Test names and ids come from the manifest and are
 * shown as inline code, made the same way. Everything else in the comment is the grader's own words
 * and numbers.
 *
 * Tests that fail alike (a missing file fails every test of its exercise with one message) are
 * listed once, their names then the message. A hidden test shows its name and points only, as
 * everywhere (never a message, never a hint).
 */
import { roundScore } from '../report/round.js';
import { escapeControls, truncate } from '../report/sanitize.js';
import type { TestResult } from '../results.js';
import type { StudentRecord } from './record.js';
import { describeVersion } from './version.js';

/**
 * GitHub refuses a comment body above 65,536 characters (422 "Body is too long"); the comment stops
 * listing tests before this many characters and says how many it left out.
 */
export const COMMENT_MAX = 60_000;

/** The longest run of `char` in `text`. */
function longestRun(text: string, char: string): number {
  let longest = 0;
  for (const m of text.matchAll(new RegExp(`\\${char}+`, 'g'))) longest = Math.max(longest, m[0].length);
  return longest;
}

/** `text` as a fenced code block GitHub renders as plain text, whatever the text holds. */
export function fenced(text: string): string {
  const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  return `${fence}text\n${escapeControls(text)}\n${fence}`;
}

/** `text` (one line) as inline code: a backtick delimiter longer than any run inside, padded where the text starts or ends with one. */
export function inlineCode(text: string): string {
  const line = escapeControls(text.replace(/\r?\n/g, ' '));
  const tick = '`'.repeat(longestRun(line, '`') + 1);
  const pad = /^[` ]|[` ]$/.test(line) ? ' ' : '';
  return `${tick}${pad}${line}${pad}${tick}`;
}

/**
 * `text` (one line) as inline code in a cell of a Markdown table. GitHub splits a row at every `|`
 * not escaped as `\|`, inside code spans too, so a student's folder named `zed|![pic](…)|` made
 * cells of its own (live images, links, shifted columns): each `|` is escaped, and the cell gives
 * it back as `|`. A `\` right before a `|` would escape the escape and has no form inside code
 * that survives the table: it is shown as `\u005c`, as terminalName shows a control character.
 */
export function inlineCodeCell(text: string): string {
  return inlineCode(text.replace(/\\(?=\|)/g, '\\u005c')).replace(/\|/g, '\\|');
}

/** What a student is shown of a test beyond its name: nothing for a hidden test. */
function details(t: TestResult): string {
  if (t.visibility === 'hidden') return '';
  return [t.message.replace(/^\n+|\s+$/g, ''), t.diagnosis ? `Known mistake ${t.diagnosis.id}: ${t.diagnosis.hint}` : ''].filter(Boolean).join('\n\n');
}

/**
 * One section per run of consecutive tests with the same status, visibility and details (a missing
 * file fails every test of its exercise with one message): their names, then the details once.
 */
function sections(tests: TestResult[]): string[] {
  const runs: TestResult[][] = [];
  for (const t of tests) {
    const last = runs.at(-1)?.[0];
    if (last && last.status === t.status && (last.visibility === 'hidden') === (t.visibility === 'hidden') && details(last) === details(t)) runs.at(-1)!.push(t);
    else runs.push([t]);
  }
  return runs.map((run) => {
    const [first] = run;
    const text = details(first);
    const hidden = first.visibility === 'hidden';
    const head = run.length === 1
      ? `**${inlineCode(first.name)}**: ${first.status}, ${first.score}/${first.maxScore} points${hidden ? ' (a hidden test: its details are not shown)' : ''}`
      : `**${run.length} ${hidden ? 'hidden ' : ''}tests: ${first.status}**, ${roundScore(run.reduce((a, t) => a + t.score, 0))}/${roundScore(run.reduce((a, t) => a + t.maxScore, 0))} points` +
        `${hidden ? ' (hidden tests: their details are not shown)' : ''}\n\n${run.map((t) => `- ${inlineCode(t.name)} (${t.score}/${t.maxScore})`).join('\n')}`;
    return text ? `${head}\n\n${fenced(text)}` : head;
  });
}

/** The comment for one student's record, on the graded commit `commit` (hex, as git printed it). */
export function renderComment(record: StudentRecord, commit: string): string {
  const r = record.results;
  const short = commit.slice(0, 7);
  const graded = `Graded ${record.gradedAt} by grader ${describeVersion(record.grader)}.`;
  if (record.status !== 'graded') {
    const title = record.status === 'refused' ? 'could not be graded' : 'not graded yet';
    return `## gradlab: commit ${short} ${title}\n\n${graded}\n\n${fenced(record.reason ?? record.status)}\n\nAsk the course staff what to change.\n`;
  }
  const parts = [
    `## gradlab: ${r.score}/${r.maxScore} for commit ${short}`,
    graded,
    ['| exercise | points | status |', '|---|---:|---|', ...r.exercises.map((e) => `| ${e.slug} | ${e.score}/${e.maxScore} | ${e.status} |`)].join('\n'),
  ];
  const notPassed = r.tests.filter((t) => t.status !== 'passed');
  if (notPassed.length === 0) return `${parts.join('\n\n')}\n\nEvery test passed.\n`;
  parts.push(`### Tests not passed (${notPassed.length})`);
  let length = parts.join('\n\n').length;
  let shown = 0;
  const all = sections(notPassed);
  for (const section of all) {
    if (length + section.length + 300 > COMMENT_MAX) break;
    parts.push(section);
    length += section.length + 2;
    shown++;
  }
  if (shown < all.length) {
    parts.push(`…and ${all.length - shown} more sections not listed here (a comment holds at most ${COMMENT_MAX} characters): ask the course staff for your full report.`);
  }
  return `${truncate(parts.join('\n\n'), COMMENT_MAX)}\n`;
}
