/**
 * What a submission case under test/submissions/ expects (its expected.json), how its patch is
 * written into the reference solution, the comparison of a grade report with it, and the scan
 * for hidden expected values in messages: shared by test/submissions.test.ts (broken and hostile
 * submissions) and test/diagnoses.test.ts (one known mistake each).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';
import type { GradeReport, TestStatus } from '../grader/results';
import { fmt } from '../grader/suites/check';

export interface TestExpectation {
  status: TestStatus;
  /** A fragment the message must contain. */
  message?: string;
  /**
   * Fragments of which the message must contain one: where which limit stops the code depends on
   * the machine's speed (a loop that allocates forever: CPU time or memory), each with its own message.
   */
  messageOneOf?: string[];
  /** A fragment the message must not contain. */
  messageNot?: string;
  /** The diagnosis the test must carry; a test without one must carry none. */
  diagnosis?: string;
  /** A fragment the diagnosis's hint must contain. */
  hint?: string;
}

export interface CaseExpectation {
  what: string;
  grader: string;
  exercises: string[];
  score: number;
  perExercise: Record<string, { score: number; status: string; everyTest?: TestExpectation }>;
  /** The tests that do not pass; every other test of a graded exercise must pass (unless everyTest says otherwise). */
  tests: Record<string, TestExpectation>;
  /** A change written into the reference solution file in the submission (applyPatch): each `find` must occur exactly once. */
  patch?: { file: string; replace: { find: string; with: string }[] };
  /** Files of the reference solutions to delete from the submission. */
  delete?: string[];
  /** Symbolic links to create in the submission: path in the submission → target relative to the course root. */
  symlinks?: Record<string, string>;
  /** Files a submission tries to plant: none may appear (checked `afterMs` after the grade at the earliest). */
  files?: { absent: string[]; afterMs?: number };
  /** false: graded only through the CLI in its own process group. */
  inProcess?: boolean;
  cli?: { exercises: string[]; scoreLine?: string; json?: boolean; withinMs?: number };
}

const manifest = loadManifest();

/**
 * Writes the case's patch into the reference solution file copied into `dir`; a `find` that is not
 * there exactly once (the reference changed) fails loudly, naming the case (`where`).
 */
export function applyPatch(dir: string, where: string, patch: NonNullable<CaseExpectation['patch']>): void {
  const file = path.join(dir, patch.file);
  let text = readFileSync(file, 'utf8');
  for (const { find, with: replacement } of patch.replace) {
    const count = text.split(find).length - 1;
    if (count !== 1) throw new Error(`${where}: the patch's text occurs ${count} times in solutions/${patch.file} (it must occur once): ${JSON.stringify(find.slice(0, 80))}`);
    text = text.replace(find, () => replacement);
  }
  writeFileSync(file, text);
}

/** The part of a report that belongs to the given exercises (a case graded in a run of more exercises than its own). */
export function onlyExercises(r: GradeReport, slugs: string[]): GradeReport {
  const exercises = r.exercises.filter((e) => slugs.includes(e.slug));
  return {
    ...r,
    exercises,
    tests: r.tests.filter((t) => slugs.includes(t.exercise)),
    score: exercises.reduce((a, e) => a + e.score, 0),
    maxScore: exercises.reduce((a, e) => a + e.maxScore, 0),
  };
}

/** Everything that differs from the expectation, in words (an empty list when the grade is exactly right). */
export function mismatches(exp: CaseExpectation, r: GradeReport): string[] {
  const out: string[] = [];
  const slugs = r.exercises.map((e) => e.slug);
  if (slugs.join() !== exp.exercises.join()) out.push(`graded exercises ${slugs.join()} instead of ${exp.exercises.join()}`);
  if (r.score !== exp.score) out.push(`total ${r.score} instead of ${exp.score}`);
  for (const e of r.exercises) {
    const want = exp.perExercise[e.slug];
    if (want && (e.score !== want.score || e.status !== want.status)) out.push(`${e.slug}: ${e.score} ${e.status} instead of ${want.score} ${want.status}`);
  }
  const ids = manifest.exercises.filter((e) => exp.exercises.includes(e.slug)).flatMap((e) => e.tests.map((t) => t.id));
  if (r.tests.map((t) => t.id).join() !== ids.join()) out.push(`the report lists tests ${r.tests.map((t) => t.id).join()} instead of ${ids.join()}`);
  for (const t of r.tests) {
    const want = exp.tests[t.id] ?? exp.perExercise[t.exercise]?.everyTest ?? { status: 'passed' };
    const where = `${t.id} (${t.status}: ${JSON.stringify(t.message.slice(0, 300))}${t.diagnosis ? `, diagnosis ${t.diagnosis.id}` : ''})`;
    if (t.status !== want.status) out.push(`${where}: status should be ${want.status}`);
    if (want.message !== undefined && !t.message.includes(want.message)) out.push(`${where}: message should contain ${JSON.stringify(want.message)}`);
    if (want.messageOneOf !== undefined && !want.messageOneOf.some((m) => t.message.includes(m))) out.push(`${where}: message should contain one of ${JSON.stringify(want.messageOneOf)}`);
    if (want.messageNot !== undefined && t.message.includes(want.messageNot)) out.push(`${where}: message should not contain ${JSON.stringify(want.messageNot)}`);
    // exactly the diagnoses a case names: a named mistake the case does not carry is a wrong verdict too
    if (t.diagnosis?.id !== want.diagnosis) out.push(`${where}: diagnosis should be ${want.diagnosis ?? 'none'}`);
    if (want.hint !== undefined && !t.diagnosis?.hint.includes(want.hint)) out.push(`${where}: the hint should contain ${JSON.stringify(want.hint)}`);
    if (t.status !== 'passed' && t.message.trim() === '') out.push(`${where}: a test that does not pass needs a message`);
  }
  return out;
}


/**
 * Every number under an `expected` key of an exercise's hidden fixtures, as the suites print numbers
 * (fmt) and as JavaScript prints them in full (String, JSON: what a student's own message would
 * carry), leaving out any that the same fixtures also give as an input (a value handed to the
 * student's code is not hidden from it).
 */
export function hiddenExpectedNumbers(slug: string): Set<string> {
  const expected = new Set<number>();
  const inputs = new Set<number>();
  const walk = (v: unknown, inExpected: boolean): void => {
    if (typeof v === 'number') {
      // distinctive values only: a short number such as 0.5 or 2 also appears as an input or a count
      const s = fmt(v);
      if (!inExpected) inputs.add(v);
      else if (Number.isFinite(v) && !Number.isInteger(v) && s.replace(/^-?[0.]*/, '').replace(/e.*$/, '').replace('.', '').length >= 4) expected.add(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, inExpected));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, inExpected || k === 'expected');
  };
  const dir = path.join(ROOT, 'fixtures', slug);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json') && !n.endsWith('-public.json'))) walk(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), false);
  const printed = new Set<string>();
  for (const v of expected) if (!inputs.has(v)) printed.add(fmt(v)).add(String(v));
  return printed;
}

/** Whether a number as a message prints it is one of `hidden`: as written, or in full (0.83308648673395580 is 0.8330864867339558). */
const isHidden = (token: string, hidden: Set<string>): boolean => hidden.has(token) || hidden.has(String(Number(token)));

/** The numbers of `text` that are in `hidden`, but for one printed right after a word of `own` (the student's own value). */
function hiddenNumbersIn(text: string, hidden: Set<string>, own: string[]): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?<![\w.])(got |yours |numeric )?(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?![\w.])/g)) {
    if (!(m[1] && own.includes(m[1])) && isHidden(m[2], hidden)) out.push(m[2]);
  }
  return out;
}

/** Numbers in a message that are hidden expected values (a student's own value, after "got"/"yours"/"numeric", is fine). */
export function leakedNumbers(text: string, hidden: Set<string>): string[] {
  const expected = /expected\s*:?\s*-?\d/.test(text) ? [text.match(/expected\s*:?\s*-?[\d.e+-]+/)?.[0] ?? 'expected <number>'] : [];
  return [...expected, ...hiddenNumbersIn(text, hidden, ['got ', 'yours ', 'numeric '])];
}

/** The failed tests of `ids` in the reports, and those whose message or hint holds a number `scan` finds (one line each). */
function scanLeaks(reports: Map<string, GradeReport>, ids: Set<string>, numbers: Map<string, Set<string>>, scan: (text: string, hidden: Set<string>) => string[]): { scanned: number; leaks: string[] } {
  let scanned = 0;
  const leaks: string[] = [];
  for (const [name, r] of reports) {
    for (const t of r.tests) {
      if (!ids.has(t.id) || t.status === 'passed') continue;
      scanned++;
      const found = scan(`${t.message}\n${t.diagnosis?.hint ?? ''}`, numbers.get(t.exercise) as Set<string>);
      if (found.length) leaks.push(`${name} ${t.id}: ${found.join(', ')} in ${JSON.stringify(t.message.slice(0, 300))}`);
    }
  }
  return { scanned, leaks };
}

/** The failed hidden tests of the reports, and those whose message or hint prints a hidden expected value (one line each). */
export function hiddenLeaks(reports: Map<string, GradeReport>): { scanned: number; leaks: string[] } {
  const hiddenIds = new Set(manifest.exercises.flatMap((e) => e.tests.filter((t) => t.visibility === 'hidden').map((t) => t.id)));
  return scanLeaks(reports, hiddenIds, new Map(manifest.exercises.map((e) => [e.slug, hiddenExpectedNumbers(e.slug)])), leakedNumbers);
}

/** The numbers of an exercise's public fixtures, as fmt prints them (a student may be shown these). */
function publicNumbers(slug: string): Set<string> {
  const printed = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'number') printed.add(fmt(v));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  const dir = path.join(ROOT, 'fixtures', slug);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('-public.json'))) walk(JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
  return printed;
}

/**
 * Numbers in a visible test's message that are hidden expected values. Unlike a hidden test's, a
 * visible test may print an expected value (of its own or public inputs) and a `numeric` value
 * (finite differences of the student's forward): on a hidden fixture's inputs that is the hidden
 * answer, so only what follows "got" or "yours" (the student's own output) is passed over.
 */
export function visibleLeakedNumbers(text: string, hidden: Set<string>): string[] {
  return hiddenNumbersIn(text, hidden, ['got ', 'yours ']);
}

/**
 * The hidden fixtures whose case labels say what the case expects ("ratio just below 1e-2 is
 * vanishing", "global norm ≈ 9.84, maxNorm 1: clipped", "a tiny positive entry keeps a unit
 * alive", "clipNorm 0.8: clipped at some steps only"); the other fixtures' labels name their
 * inputs only ("N = 5, D = 6, eval → train → …", "3 layers 3 → 5 → 4 → 2, lr 0.1").
 */
const TELLING_LABELS = ['06-dead-neurons/dead-fraction.json', '06-dead-neurons/saturated-fraction.json', '06-dead-neurons/gradient-flow.json', '07-training/clip-grad-norm.json', '07-training/train-mlp.json'];

function tellingLabels(slug: string): Set<string> {
  const labels = new Set<string>();
  for (const file of TELLING_LABELS.filter((f) => f.startsWith(`${slug}/`))) {
    const data = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', file), 'utf8')) as { visibility?: string; cases?: { label?: unknown }[] };
    if (data.visibility !== 'hidden') throw new Error(`${file} is no longer hidden: update TELLING_LABELS`);
    for (const c of data.cases ?? []) if (typeof c.label === 'string') labels.add(c.label);
  }
  return labels;
}

/** Every failed test (a hidden one's message is shown after the due date), and those whose message or hint holds a telling label of a hidden fixture. */
export function labelLeaks(reports: Map<string, GradeReport>): { scanned: number; leaks: string[] } {
  const all = new Set(manifest.exercises.flatMap((e) => e.tests.map((t) => t.id)));
  return scanLeaks(reports, all, new Map(manifest.exercises.map((e) => [e.slug, tellingLabels(e.slug)])), (text, labels) => [...labels].filter((l) => text.includes(l)));
}

/** The failed tests a student sees (visible, and after the due date), and those whose message or hint prints a hidden expected value. */
export function visibleLeaks(reports: Map<string, GradeReport>): { scanned: number; leaks: string[] } {
  const shown = new Set(manifest.exercises.flatMap((e) => e.tests.filter((t) => t.visibility !== 'hidden').map((t) => t.id)));
  const numbers = new Map(manifest.exercises.map((e) => {
    const pub = publicNumbers(e.slug);
    return [e.slug, new Set([...hiddenExpectedNumbers(e.slug)].filter((n) => !pub.has(n)))];
  }));
  return scanLeaks(reports, shown, numbers, visibleLeakedNumbers);
}
