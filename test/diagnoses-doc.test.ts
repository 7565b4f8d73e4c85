/**
 * docs/diagnoses.md against the suites: one row per diagnosis id a hidden suite can give, with
 * the exercise it belongs to, the hint exactly as the suite words it (or a note where the hint is
 * built from the input), and the test submissions (test/submissions/diagnoses/<case>/ and
 * test/submissions/<case>/, by their expected.json) that carry exactly that mistake and expect exactly that diagnosis. The meaning column is the doc's
 * own words. A diagnosis added to a suite without a row, a reworded hint, or a submission case
 * added or removed without its row fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../grader/paths';

interface Found { exercises: Set<string>; hints: Set<string | null> }

/** Every `id: '…'` in grader/suites/*.ts with the hint literal that follows it (null where the hint is built). */
function suiteDiagnoses(): Map<string, Found> {
  const dir = path.join(ROOT, 'grader', 'suites');
  const found = new Map<string, Found>();
  const add = (id: string, exercise: string, hint: string | null) => {
    const f = found.get(id) ?? { exercises: new Set<string>(), hints: new Set<string | null>() };
    f.exercises.add(exercise);
    f.hints.add(hint);
    found.set(id, f);
  };
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const src = readFileSync(path.join(dir, file), 'utf8');
    const exercise = /^(\d\d-[a-z-]+)\.suite\.ts$/.exec(file)?.[1] ?? 'any';
    for (const m of src.matchAll(/id: '([a-z0-9-]+)'(, hint: '((?:[^'\\]|\\.)*)')?/g)) add(m[1], exercise, m[3] === undefined ? null : m[3].replace(/\\'/g, "'"));
    for (const m of src.matchAll(/id: [a-z]+ === '[^']+' \? '([a-z0-9-]+)' : '([a-z0-9-]+)'/g)) { add(m[1], exercise, null); add(m[2], exercise, null); }
  }
  return found;
}

/** Diagnosis id → the submission cases (test/submissions/<case>, test/submissions/diagnoses/<case>) whose expected.json names it. */
function casesByDiagnosis(): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const sub of ['diagnoses', '.']) {
    const dir = path.join(ROOT, 'test', 'submissions', sub);
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name, 'expected.json');
      if (!existsSync(file)) continue;
      const exp = JSON.parse(readFileSync(file, 'utf8')) as { tests?: Record<string, { diagnosis?: string }> };
      const ids = new Set(Object.values(exp.tests ?? {}).flatMap((t) => (t.diagnosis ? [t.diagnosis] : [])));
      for (const id of ids) by.set(id, [...(by.get(id) ?? []), sub === '.' ? name : `${sub}/${name}`]);
    }
  }
  return by;
}

interface Row { id: string; exercise: string; meaning: string; hint: string; cases: string }

function docRows(): Row[] {
  const md = readFileSync(path.join(ROOT, 'docs', 'diagnoses.md'), 'utf8');
  return md.split('\n').filter((l) => l.startsWith('| `')).map((l) => {
    const cells = l.slice(1, -1).split(' | ').map((c) => c.trim());
    expect(cells.length, `a row of docs/diagnoses.md has 5 cells: ${l}`).toBe(5);
    const [id, exercise, meaning, hint, cases] = cells;
    return { id: id.replace(/`/g, ''), exercise, meaning, hint, cases };
  });
}

/** The hint cell a diagnosis must have: its literal hints joined by “ / ”, or a note where one is built from the input. */
function hintCell(f: Found): string {
  const literal = [...f.hints].filter((h): h is string => h !== null).sort();
  return f.hints.has(null) ? '(built from the input)' + (literal.length ? ` / ${literal.join(' / ')}` : '') : literal.join(' / ');
}

describe('docs/diagnoses.md', () => {
  const suites = suiteDiagnoses();
  const cases = casesByDiagnosis();
  const rows = docRows();

  it('has one row per diagnosis the suites can give, and no other', () => {
    expect(rows.map((r) => r.id).sort()).toEqual([...suites.keys()].sort());
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });

  it('names each diagnosis\'s exercise and its hint as the suite words it', () => {
    for (const r of rows) {
      const f = suites.get(r.id);
      if (!f) continue;
      expect(r.exercise, r.id).toBe([...f.exercises].sort().join(', '));
      expect(r.hint, r.id).toBe(hintCell(f).replace(/\|/g, '\\|'));
      expect(r.meaning.length, `${r.id} needs a meaning`).toBeGreaterThan(10);
    }
  });

  it('lists the test submissions that carry exactly each mistake (— where none does yet)', () => {
    for (const r of rows) expect(r.cases, r.id).toBe((cases.get(r.id) ?? []).map((c) => `\`${c}\``).join(', ') || '—');
    // every case names a diagnosis the suites know
    for (const id of cases.keys()) expect(suites.has(id), `a submission expects unknown diagnosis ${id}`).toBe(true);
  });

  it('says how many ids have a case, as the table counts them', () => {
    const md = readFileSync(path.join(ROOT, 'docs', 'diagnoses.md'), 'utf8').replace(/\s+/g, ' ');
    const withCase = rows.filter((r) => r.cases !== '—').length;
    expect(md).toContain(`${withCase} of the ${rows.length} ids have a case`);
  });
});
