/**
 * The similarity report: per exercise, the pairs at or above the threshold with their similarity
 * and longest shared fragment, and each pair's two files side by side with the shared regions
 * marked. As Markdown (the longest fragment of each pair, in code blocks: whatever the code says
 * stays text) and as one offline HTML page (whole files, no script, nothing fetched: the same
 * Content-Security-Policy as the class report). Plus the summary the class report shows
 * (similarity.json). Evidence for a person to read: every output says it changes no score.
 */
import { fenced, inlineCode, inlineCodeCell } from '../class/comment.js';
import { terminalName } from '../class/text.js';
import type { ClassSimilarity } from './class.js';
import type { Origin, SimilarPair, Span } from './compare.js';

export const NEVER_A_GRADE = 'Evidence for a person to read, never a grade: it changes no score.';

/** What similarity.json holds: the pairs without the files' text. */
export interface SimilaritySummary {
  computedAt: string;
  threshold: number;
  k: number;
  window: number;
  exercises: Array<{
    slug: string; file: string; students: number; earlier: number; maxShared: number;
    skipped: Array<{ name: string; reason: string }>;
    pairs: Array<{ left: string; right: string; rightOrigin: Origin; similarity: number; longest: { kgrams: number; left: [number, number]; right: [number, number] } }>;
  }>;
}

/** Lines from 1, as an editor shows them. */
const lines = (s: Span): [number, number] => [s.startLine + 1, s.endLine + 1];
const range = ([a, b]: [number, number]) => (a === b ? `line ${a}` : `lines ${a}–${b}`);
const fixed = (x: number) => x.toFixed(2);

export function summarize(cs: ClassSimilarity, computedAt: string): SimilaritySummary {
  return {
    computedAt, threshold: cs.threshold, k: cs.k, window: cs.window,
    exercises: cs.exercises.map((e) => ({
      slug: e.slug, file: e.file, students: e.students, earlier: e.earlier, maxShared: e.maxShared, skipped: e.skipped,
      pairs: e.pairs.map((p) => ({
        left: p.left.name, right: p.right.name, rightOrigin: p.right.origin, similarity: Math.round(p.similarity * 1e4) / 1e4,
        longest: { kgrams: p.longest.kgrams, left: lines(p.longest.left), right: lines(p.longest.right) },
      })),
    })),
  };
}

/** Who the right side is: the reference and earlier years said so. */
function whom(name: string, origin: Origin): string {
  return origin === 'reference' ? 'the reference solution' : origin === 'earlier' ? 'an earlier year\'s submission' : name;
}

function method(s: { threshold: number; k: number; window: number }): string {
  return `Pairs of submissions of one exercise whose similarity is at least ${fixed(s.threshold)}: the share of their ` +
    `fingerprints they have in common (Dolos's winnowing, k-grams of ${s.k} syntax tokens from TypeScript's parser, ` +
    `windows of ${s.window}; names, literals, comments and layout are not tokens). The exercise's stub is ignored, and so is ` +
    'a fingerprint found in more files than the limit given per exercise (code most of the class shares). ' +
    '`solutions/` is the course\'s reference solution; `YEAR/name` a submission of an earlier year. See docs/similarity.md.';
}

/** Markdown cells: a student's name (their folder name) as inline code, never markup. */
const theirs = (text: string) => inlineCode(terminalName(text));
/** A student's name in a table's cell (see inlineCodeCell). */
const theirsCell = (text: string) => inlineCodeCell(terminalName(text));

/** The rows of `text` from `from` to `to` (1-based, inclusive), numbered, cut at `width` characters. */
function numbered(text: string, [from, to]: [number, number], marked: Set<number>, width: number): string[] {
  const all = text.split('\n');
  const out: string[] = [];
  for (let n = from; n <= Math.min(to, all.length); n++) {
    const line = (all[n - 1] ?? '').replace(/\t/g, '  ');
    const cut = line.length > width ? `${line.slice(0, width - 1)}…` : line;
    out.push(`${String(n).padStart(4)} ${marked.has(n) ? '▌' : ' '}${cut.padEnd(width)}`);
  }
  return out;
}

/** Every line a fragment touches on one side (1-based). */
function markedLines(pair: SimilarPair, side: 'left' | 'right'): Set<number> {
  const set = new Set<number>();
  for (const f of pair.fragments) for (let n = f[side].startLine + 1; n <= f[side].endLine + 1; n++) set.add(n);
  return set;
}

/** The longest fragment of a pair side by side, two lines of context around it, at most 40 rows. */
function sideBySide(pair: SimilarPair): string {
  const around = ([a, b]: [number, number]): [number, number] => [Math.max(1, a - 2), Math.min(b + 2, a - 2 + 39)];
  const left = numbered(pair.left.content, around(lines(pair.longest.left)), markedLines(pair, 'left'), 56);
  const right = numbered(pair.right.content, around(lines(pair.longest.right)), markedLines(pair, 'right'), 56);
  const rows = Array.from({ length: Math.max(left.length, right.length) }, (_, i) => `${left[i] ?? ' '.repeat(62)} │ ${right[i] ?? ''}`.trimEnd());
  return fenced(rows.join('\n'));
}

export function renderMarkdown(cs: ClassSimilarity, course: string): string {
  const out = [`# Similarity: ${course}`, '', `**${NEVER_A_GRADE}**`, '', method(cs), ''];
  for (const e of cs.exercises) {
    out.push(`## ${e.slug}`, '', `${e.students} submissions of \`${e.file}\` compared with each other, with \`solutions/\` and with ${e.earlier} of earlier years; ` +
      `a fingerprint in more than ${e.maxShared} files ignored.`, '');
    for (const s of e.skipped) out.push(`- not compared: ${theirs(s.name)}: ${theirs(s.reason)}`);
    if (e.skipped.length) out.push('');
    if (e.pairs.length === 0) {
      out.push(`No pair reaches ${fixed(cs.threshold)}.`, '');
      continue;
    }
    out.push('| student | similar to | similarity | longest shared fragment |', '|---|---|---:|---|');
    for (const p of e.pairs) {
      out.push(`| ${theirsCell(p.left.name)} | ${p.right.origin === 'student' ? theirsCell(p.right.name) : `${theirsCell(p.right.name)} (${whom(p.right.name, p.right.origin)})`} | ${fixed(p.similarity)} | ` +
        `${range(lines(p.longest.left))} ↔ ${range(lines(p.longest.right))} (${p.longest.kgrams} k-grams) |`);
    }
    out.push('');
    for (const p of e.pairs) {
      out.push(`### ${theirs(p.left.name)} ↔ ${theirs(p.right.name)}: ${fixed(p.similarity)}`, '', 'The longest shared fragment, left and right; ▌ marks a line in a shared fragment.', '', sideBySide(p), '');
    }
  }
  return out.join('\n');
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One file as numbered rows, the shared regions in <mark>. */
function markedFile(text: string, spans: Span[]): string {
  const rows = text.split('\n');
  const marks = rows.map(() => [] as Array<[number, number]>);
  for (const s of spans) {
    for (let n = s.startLine; n <= Math.min(s.endLine, rows.length - 1); n++) {
      marks[n].push([n === s.startLine ? s.startCol : 0, n === s.endLine ? s.endCol : rows[n].length]);
    }
  }
  return rows.map((row, n) => {
    const inside = new Array<boolean>(row.length).fill(false);
    for (const [a, b] of marks[n]) for (let c = a; c < Math.min(b, row.length); c++) inside[c] = true;
    let cells = '';
    for (let c = 0; c < row.length;) {
      let d = c;
      while (d < row.length && inside[d] === inside[c]) d++;
      cells += inside[c] ? `<mark>${html(row.slice(c, d))}</mark>` : html(row.slice(c, d));
      c = d;
    }
    return `<span class="n">${n + 1}</span>${cells}`;
  }).join('\n');
}

export function renderHtml(cs: ClassSimilarity, course: string): string {
  const sections = cs.exercises.map((e) => {
    const skipped = e.skipped.length ? `<ul class="skipped">${e.skipped.map((s) => `<li>not compared: ${html(terminalName(s.name))}: ${html(s.reason)}</li>`).join('')}</ul>` : '';
    const head = `<h2 id="${e.slug}">${html(e.slug)}</h2>\n<p>${e.students} submissions of <code>${html(e.file)}</code> compared with each other, with <code>solutions/</code> and with ${e.earlier} of earlier years; a fingerprint in more than ${e.maxShared} files ignored.</p>${skipped}`;
    if (e.pairs.length === 0) return `${head}\n<p>No pair reaches ${fixed(cs.threshold)}.</p>`;
    const table = `<table class="pairs"><thead><tr><th>student</th><th>similar to</th><th class="n">similarity</th><th>longest shared fragment</th></tr></thead><tbody>\n${e.pairs.map((p) =>
      `<tr><td>${html(terminalName(p.left.name))}</td><td class="${p.right.origin}">${html(p.right.origin === 'student' ? terminalName(p.right.name) : `${terminalName(p.right.name)} (${whom(p.right.name, p.right.origin)})`)}</td>` +
      `<td class="n">${fixed(p.similarity)}</td><td>${range(lines(p.longest.left))} ↔ ${range(lines(p.longest.right))} (${p.longest.kgrams} k-grams)</td></tr>`).join('\n')}\n</tbody></table>`;
    const pairs = e.pairs.map((p) => `<section class="pair">
<h3>${html(terminalName(p.left.name))} ↔ ${html(terminalName(p.right.name))}${p.right.origin === 'student' ? '' : ` (${html(whom(p.right.name, p.right.origin))})`}: ${fixed(p.similarity)}</h3>
<div class="sides"><pre class="left">${markedFile(p.left.content, p.fragments.map((f) => f.left))}</pre><pre class="right">${markedFile(p.right.content, p.fragments.map((f) => f.right))}</pre></div>
</section>`).join('\n');
    return `${head}\n${table}\n${pairs}`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Similarity: ${html(course)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 90rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
td, th { border-bottom: 1px solid #ddd; padding: .2rem .6rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; }
td.reference, td.earlier { font-weight: bold; color: #a00; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
pre { font-size: 12px; line-height: 1.35; overflow-x: auto; background: #fafafa; border: 1px solid #ddd; padding: .4rem; margin: 0; }
pre .n { display: inline-block; width: 3.5em; color: #999; user-select: none; }
mark { background: #ffe08a; }
#never { font-weight: bold; }
</style>
</head>
<body>
<h1>Similarity: ${html(course)}</h1>
<p id="never">${html(NEVER_A_GRADE)}</p>
<p>${html(method(cs))}</p>
${sections.join('\n')}
</body>
</html>
`;
}

/** The class report's section (Markdown): every pair at or above the threshold, one line each. */
export function classSectionMarkdown(s: SimilaritySummary): string[] {
  const pairs = s.exercises.flatMap((e) => e.pairs.map((p) => ({ slug: e.slug, ...p })));
  return [
    '## Similarity',
    '',
    `${NEVER_A_GRADE} Computed ${s.computedAt}; the files side by side are in similarity.html.`,
    '',
    ...(pairs.length === 0 ? [`No pair of submissions reaches ${fixed(s.threshold)}.`] : [
      '| exercise | student | similar to | similarity |',
      '|---|---|---|---:|',
      ...pairs.map((p) => `| ${p.slug} | ${theirsCell(p.left)} | ${p.rightOrigin === 'student' ? theirsCell(p.right) : `${theirsCell(p.right)} (${whom(p.right, p.rightOrigin)})`} | ${fixed(p.similarity)} |`),
    ]),
    '',
  ];
}

/** The class report's section (HTML). */
export function classSectionHtml(s: SimilaritySummary): string {
  const pairs = s.exercises.flatMap((e) => e.pairs.map((p) => ({ slug: e.slug, ...p })));
  const body = pairs.length === 0 ? `<p>No pair of submissions reaches ${fixed(s.threshold)}.</p>` : `<table id="similarity"><thead><tr><th>exercise</th><th>student</th><th>similar to</th><th class="n">similarity</th></tr></thead><tbody>
${pairs.map((p) => `<tr><td>${html(p.slug)}</td><td>${html(terminalName(p.left))}</td><td>${html(p.rightOrigin === 'student' ? terminalName(p.right) : `${terminalName(p.right)} (${whom(p.right, p.rightOrigin)})`)}</td><td class="n">${fixed(p.similarity)}</td></tr>`).join('\n')}
</tbody></table>`;
  return `<h2>Similarity</h2>\n<p>${html(NEVER_A_GRADE)} Computed ${html(s.computedAt)}; the files side by side are in similarity.html.</p>\n${body}`;
}
