/**
 * What changed between two class runs: who changed, by how much, and which tests made the
 * difference. Compares student records (record.ts); timings never count as a change.
 */
import type { TestStatus } from '../results.js';
import { scoreOf, type StudentRecord } from './record.js';
import { terminalName } from './text.js';
import { describeVersion } from './version.js';

export interface TestChange { id: string; from: TestStatus | 'absent'; to: TestStatus | 'absent'; delta: number }
export interface StudentChange { student: string; from: number | ''; to: number | ''; maxScore: number; statusFrom: string; statusTo: string; tests: TestChange[] }

export interface ClassDiff {
  changed: StudentChange[];
  added: StudentRecord[];
  removed: StudentRecord[];
  unchanged: number;
}

/** Score changes keep 4 decimals, as the results do. */
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export function diffRecords(before: StudentRecord[], after: StudentRecord[]): ClassDiff {
  const old = new Map(before.map((r) => [r.student, r]));
  const now = new Map(after.map((r) => [r.student, r]));
  const changed: StudentChange[] = [];
  let unchanged = 0;
  for (const r of after) {
    const o = old.get(r.student);
    if (!o) continue;
    const oldTests = new Map(o.results.tests.map((t) => [t.id, t]));
    const newTests = new Map(r.results.tests.map((t) => [t.id, t]));
    const ids = [...newTests.keys(), ...[...oldTests.keys()].filter((id) => !newTests.has(id))];
    const tests = ids.flatMap((id): TestChange[] => {
      const a = oldTests.get(id);
      const b = newTests.get(id);
      if (a && b && a.status === b.status && a.score === b.score) return [];
      return [{ id, from: a?.status ?? 'absent', to: b?.status ?? 'absent', delta: round4((b?.score ?? 0) - (a?.score ?? 0)) }];
    });
    if (tests.length === 0 && o.status === r.status && o.results.score === r.results.score) {
      unchanged++;
      continue;
    }
    changed.push({ student: r.student, from: scoreOf(o), to: scoreOf(r), maxScore: r.results.maxScore, statusFrom: o.status, statusTo: r.status, tests });
  }
  return {
    changed,
    added: after.filter((r) => !old.has(r.student)),
    removed: before.filter((r) => !now.has(r.student)),
    unchanged,
  };
}

const signed = (x: number) => (x > 0 ? `+${x}` : `${x}`);
/** A score for the terminal: – for a student not graded yet. */
const shown = (x: number | '') => (x === '' ? '–' : String(x));

function describeRun(label: string, records: StudentRecord[]): string {
  const graders = [...new Set(records.map((r) => describeVersion(r.grader)))].sort().join(', ') || 'no grader';
  const times = records.map((r) => r.gradedAt).sort();
  const when = times.length === 0 ? 'never' : times[0] === times[times.length - 1] ? times[0] : `${times[0]} to ${times[times.length - 1]}`;
  return `${label}: ${records.length} students, graded by ${graders}, ${when}`;
}

/** The diff as text for a terminal: a summary line, then one block per changed student. */
export function renderDiff(before: StudentRecord[], after: StudentRecord[], d: ClassDiff = diffRecords(before, after)): string {
  const lines = [
    describeRun('old', before),
    describeRun('new', after),
    '',
    `${d.changed.length} changed, ${d.added.length} added, ${d.removed.length} removed, ${d.unchanged} unchanged.`,
  ];
  if (d.changed.length) lines.push('');
  for (const c of d.changed) {
    const status = c.statusFrom === c.statusTo ? '' : ` [${c.statusFrom} → ${c.statusTo}]`;
    const delta = c.from === '' || c.to === '' ? '' : ` (${signed(round4(c.to - c.from))})`;
    lines.push(`${terminalName(c.student)}: ${shown(c.from)} → ${shown(c.to)}/${c.maxScore}${delta}${status}`);
    for (const t of c.tests) lines.push(`  ${t.id}: ${t.from} → ${t.to} (${signed(t.delta)})`);
  }
  if (d.added.length) lines.push('', 'Added:', ...d.added.map((r) => `  ${terminalName(r.student)}: ${shown(scoreOf(r))}/${r.results.maxScore}${r.status === 'graded' ? '' : ` (${r.status})`}`));
  if (d.removed.length) lines.push('', 'Removed:', ...d.removed.map((r) => `  ${terminalName(r.student)}: was ${shown(scoreOf(r))}/${r.results.maxScore}`));
  return `${lines.join('\n')}\n`;
}
