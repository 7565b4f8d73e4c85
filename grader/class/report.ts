/**
 * The class report: what the class as a whole got right and wrong, as Markdown (for a terminal)
 * and as one self-contained HTML page (inline SVG plots drawn at build time, no script, no
 * network: its Content-Security-Policy forbids every fetch). Rendered from student records.
 *
 *   score histogram · pass rate per test · the most common diagnosed mistakes with their hint ·
 *   the slowest submissions · the submissions that could not be graded (fully) · the similar pairs,
 *   when `gradlab similarity` left its summary in the results folder
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { loadManifest } from '../manifest.js';
import { describeConfinement } from '../sandbox/confine.js';
import { classSectionHtml, classSectionMarkdown, type SimilaritySummary } from '../similarity/render.js';
import { inlineCode } from './comment.js';
import { problemsOf } from './gradebook.js';
import type { StudentRecord } from './record.js';
import { terminalName } from './text.js';
import { describeVersion } from './version.js';

export interface TestRate { id: string; exercise: string; points: number; passed: number; graded: number }
export interface Mistake { id: string; hint: string; students: number; tests: string[] }

export interface ClassSummary {
  course: string;
  students: number;
  graded: number;
  refused: number;
  /** Listed by a `--only` run that graded others: no score yet. */
  notGradedYet: number;
  maxScore: number;
  mean: number;
  median: number;
  /** Students per tenth of the maximum score: [0, 10%), …, [90%, 100%), and exactly 100% last. */
  histogram: Array<{ bin: string; students: number }>;
  tests: TestRate[];
  mistakes: Mistake[];
  slowest: Array<{ student: string; seconds: number }>;
  notGraded: Array<{ student: string; problems: string }>;
  /** The sandboxes the graded students' code ran in: each description (confine.ts) and how many students had it. */
  sandboxes: Array<{ students: number; sandbox: string }>;
  graders: string[];
  gradedAt: { first: string; last: string };
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The numbers of the report, from the graded (not refused) students unless said otherwise. */
export function summarize(records: StudentRecord[], top = 5): ClassSummary {
  const graded = records.filter((r) => r.status === 'graded');
  const scores = graded.map((r) => r.results.score).sort((a, b) => a - b);
  const maxScore = Math.max(0, ...records.map((r) => r.results.maxScore));
  const mid = scores.length / 2;
  const median = scores.length === 0 ? 0 : scores.length % 2 ? scores[Math.floor(mid)] : (scores[mid - 1] + scores[mid]) / 2;

  const histogram = Array.from({ length: 11 }, (_, i) => ({ bin: i === 10 ? '100%' : `${i * 10}–${i * 10 + 9}%`, students: 0 }));
  for (const s of scores) {
    const share = maxScore > 0 ? s / maxScore : 0;
    histogram[share >= 1 ? 10 : Math.floor(share * 10)].students++;
  }

  // every test the records hold, in course order (one no longer in the manifest goes last);
  // points as graded, from the records, so an old run reads as it was graded
  const order = new Map(loadManifest().exercises.flatMap((ex) => ex.tests.map((t) => t.id)).map((id, i) => [id, i]));
  const rates = new Map<string, TestRate>();
  for (const t of graded.flatMap((r) => r.results.tests)) {
    const rate = rates.get(t.id) ?? { id: t.id, exercise: t.exercise, points: t.maxScore, passed: 0, graded: 0 };
    rate.graded++;
    if (t.status === 'passed') rate.passed++;
    rates.set(t.id, rate);
  }
  const tests = [...rates.values()].sort((a, b) => (order.get(a.id) ?? order.size) - (order.get(b.id) ?? order.size));

  const byMistake = new Map<string, { hint: string; students: Set<string>; tests: Set<string> }>();
  for (const r of graded) {
    for (const t of r.results.tests) {
      if (!t.diagnosis) continue;
      const m = byMistake.get(t.diagnosis.id) ?? { hint: t.diagnosis.hint, students: new Set(), tests: new Set() };
      m.students.add(r.student);
      m.tests.add(t.id);
      byMistake.set(t.diagnosis.id, m);
    }
  }
  const mistakes = [...byMistake].map(([id, m]) => ({ id, hint: m.hint, students: m.students.size, tests: [...m.tests].sort() }))
    .sort((a, b) => b.students - a.students || (a.id < b.id ? -1 : 1));

  const slowest = [...graded].sort((a, b) => b.results.durationMs - a.results.durationMs || (a.student < b.student ? -1 : 1))
    .slice(0, top).map((r) => ({ student: r.student, seconds: round(r.results.durationMs / 1000, 1) }));
  const notGraded = records.map((r) => ({ student: r.student, problems: problemsOf(r) })).filter((x) => x.problems !== '');
  const times = records.map((r) => r.gradedAt).sort();
  return {
    course: loadManifest().course,
    students: records.length,
    graded: graded.length,
    refused: records.filter((r) => r.status === 'refused').length,
    notGradedYet: records.filter((r) => r.status === 'not-graded').length,
    maxScore,
    mean: round(scores.reduce((a, s) => a + s, 0) / Math.max(1, scores.length)),
    median: round(median),
    histogram,
    tests,
    mistakes,
    slowest,
    notGraded,
    graders: [...new Set(records.map((r) => describeVersion(r.grader)))].sort(),
    gradedAt: { first: times[0] ?? '', last: times[times.length - 1] ?? '' },
    sandboxes: sandboxesOf(graded),
  };
}

/** Graded students grouped by the sandbox their code ran in (a record without the field says so). */
function sandboxesOf(graded: StudentRecord[]): ClassSummary['sandboxes'] {
  const counts = new Map<string, number>();
  for (const r of graded) {
    const c = r.results.confinement;
    const sandbox = c ? describeConfinement(c) : 'not recorded (graded by a grader that did not report its sandbox)';
    counts.set(sandbox, (counts.get(sandbox) ?? 0) + 1);
  }
  return [...counts].map(([sandbox, students]) => ({ students, sandbox }));
}

/** The totals line: not graded yet only when someone is (a --only run). */
function totals(s: ClassSummary): string {
  return `${s.students} students: ${s.graded} graded, ${s.refused} refused${s.notGradedYet ? `, ${s.notGradedYet} not graded yet` : ''}. Mean ${s.mean}/${s.maxScore}, median ${s.median}/${s.maxScore}.`;
}

/** Text of the course's own (a hint), made inert for Markdown: no control characters, no markup. */
function md(text: string): string {
  return terminalName(text).replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`);
}

/**
 * Text a student chose (a folder name, a compile error quoting their code) as inline code: report.md
 * goes into the Actions run summary, where GitHub would turn `@name` into a mention, `#12` into a
 * link and `www.x.y` into an autolink anywhere but in code.
 */
const theirs = (text: string) => inlineCode(terminalName(text));

const percent = (passed: number, graded: number) => `${Math.round((100 * passed) / Math.max(1, graded))}%`;

function when(s: ClassSummary): string {
  return s.gradedAt.first === s.gradedAt.last ? s.gradedAt.first : `${s.gradedAt.first} to ${s.gradedAt.last}`;
}

/** The report as Markdown: readable as plain text in a terminal. */
export function renderMarkdown(s: ClassSummary, similarity?: SimilaritySummary): string {
  const widest = Math.max(1, ...s.histogram.map((h) => h.students));
  const lines = [
    `# Class report: ${s.course}`,
    '',
    `Graded by gradlab ${s.graders.join(', ')}, ${when(s)}.`,
    '',
    totals(s),
    '',
    '## Sandbox',
    '',
    ...(s.sandboxes.length === 0 ? ['No code ran.'] : s.sandboxes.map((x) => `- ${x.students} student${x.students === 1 ? '' : 's'}: ${md(x.sandbox)}`)),
    '',
    '## Scores',
    '',
    '```',
    ...s.histogram.map((h) => `${h.bin.padStart(7)} ${'█'.repeat(Math.round((20 * h.students) / widest)).padEnd(20)} ${h.students}`),
    '```',
    '',
    '## Pass rate per test',
    '',
    '| test | points | passed | rate |',
    '|---|---:|---:|---:|',
    ...s.tests.map((t) => `| ${t.id} | ${t.points} | ${t.passed}/${t.graded} | ${percent(t.passed, t.graded)} |`),
    '',
    '## Most common mistakes',
    '',
    ...(s.mistakes.length === 0 ? ['No known mistake was diagnosed.'] : [
      '| mistake | students | tests | hint |',
      '|---|---:|---|---|',
      ...s.mistakes.map((m) => `| ${m.id} | ${m.students} | ${m.tests.join(', ')} | ${md(m.hint)} |`),
    ]),
    '',
    '## Slowest submissions',
    '',
    ...(s.slowest.length === 0 ? ['None graded.'] : s.slowest.map((x) => `- ${theirs(x.student)}: ${x.seconds} s`)),
    '',
    '## Not graded, or not fully',
    '',
    ...(s.notGraded.length === 0 ? ['Every submission was graded.'] : s.notGraded.map((x) => `- ${theirs(x.student)}: ${theirs(x.problems)}`)),
    '',
    ...(similarity ? classSectionMarkdown(similarity) : []),
  ];
  return lines.join('\n');
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The report as one HTML page: inline SVG, inline CSS, nothing fetched, no script. */
export async function renderHtml(s: ClassSummary, similarity?: SimilaritySummary): Promise<string> {
  const { renderSvg } = await import('../plot/render.js');
  const histogram = await renderSvg({
    width: 420, height: 160,
    data: { values: s.histogram },
    mark: 'bar',
    encoding: {
      x: { field: 'bin', type: 'ordinal', sort: null, title: 'score (share of the maximum)' },
      y: { field: 'students', type: 'quantitative', title: 'students', axis: { tickMinStep: 1 } },
    },
  });
  const rates = s.tests.length === 0 ? '' : await renderSvg({
    width: 360, height: { step: 14 },
    data: { values: s.tests.map((t) => ({ test: t.id, rate: Math.round((100 * t.passed) / Math.max(1, t.graded)) })) },
    mark: 'bar',
    encoding: {
      y: { field: 'test', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
      x: { field: 'rate', type: 'quantitative', scale: { domain: [0, 100] }, title: 'students who pass (%)' },
    },
  });
  const rows = (cells: string[][]) => cells.map((c) => `<tr>${c.map((x) => `<td>${x}</td>`).join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Class report: ${html(s.course)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
td, th { border-bottom: 1px solid #ddd; padding: .2rem .6rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; }
code { font-size: 90%; }
</style>
</head>
<body>
<h1>Class report: ${html(s.course)}</h1>
<p>Graded by gradlab ${html(s.graders.join(', '))}, ${html(when(s))}.</p>
<p id="totals">${html(totals(s))}</p>
<h2>Sandbox</h2>
${s.sandboxes.length === 0 ? '<p>No code ran.</p>' : `<ul id="sandbox">${s.sandboxes.map((x) => `<li>${x.students} student${x.students === 1 ? '' : 's'}: ${html(x.sandbox)}</li>`).join('')}</ul>`}
<h2>Scores</h2>
<figure id="histogram">${histogram}</figure>
<h2>Pass rate per test</h2>
<figure id="pass-rates">${rates}</figure>
<table><thead><tr><th>test</th><th class="n">points</th><th class="n">passed</th><th class="n">rate</th></tr></thead>
<tbody>
${rows(s.tests.map((t) => [`<code>${html(t.id)}</code>`, String(t.points), `${t.passed}/${t.graded}`, percent(t.passed, t.graded)]))}
</tbody></table>
<h2>Most common mistakes</h2>
${s.mistakes.length === 0 ? '<p>No known mistake was diagnosed.</p>' : `<table id="mistakes"><thead><tr><th>mistake</th><th class="n">students</th><th>tests</th><th>hint</th></tr></thead>
<tbody>
${rows(s.mistakes.map((m) => [`<code>${html(m.id)}</code>`, String(m.students), m.tests.map((t) => `<code>${html(t)}</code>`).join(' '), html(m.hint)]))}
</tbody></table>`}
<h2>Slowest submissions</h2>
<ol id="slowest">${s.slowest.map((x) => `<li>${html(terminalName(x.student))}: ${x.seconds} s</li>`).join('')}</ol>
<h2>Not graded, or not fully</h2>
${s.notGraded.length === 0 ? '<p>Every submission was graded.</p>' : `<ul id="not-graded">${s.notGraded.map((x) => `<li>${html(terminalName(x.student))}: ${html(x.problems)}</li>`).join('')}</ul>`}
${similarity ? classSectionHtml(similarity) : ''}
</body>
</html>
`;
}

/** The similarity summary `gradlab similarity` left in the results folder, if any (see similarity/render.ts). */
function readSimilarity(resultsDir: string): SimilaritySummary | undefined {
  const file = path.join(resultsDir, SIMILARITY_JSON);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SimilaritySummary;
  } catch {
    throw new CliError('E_RESULTS', `${file} is not a similarity summary: remove it, or run \`gradlab similarity\` again`);
  }
}

export const SIMILARITY_JSON = 'similarity.json';

/** Writes report.md and report.html into the results folder (with its similarity section when there is one); returns their paths. */
export async function writeClassReports(resultsDir: string, records: StudentRecord[]): Promise<string[]> {
  const summary = summarize(records);
  const similarity = readSimilarity(resultsDir);
  mkdirSync(resultsDir, { recursive: true });
  const files = [path.join(resultsDir, 'report.md'), path.join(resultsDir, 'report.html')];
  writeFileSync(files[0], renderMarkdown(summary, similarity));
  writeFileSync(files[1], await renderHtml(summary, similarity));
  return files;
}
