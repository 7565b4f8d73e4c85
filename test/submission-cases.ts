/**
 * What a submission case under test/submissions/ expects (its expected.json), and the comparison
 * of a grade report with it, shared by test/submissions.test.ts (broken and hostile submissions)
 * and test/diagnoses.test.ts (one known mistake each).
 */
import { loadManifest } from '../grader/manifest';
import type { GradeReport, TestStatus } from '../grader/results';

export interface TestExpectation {
  status: TestStatus;
  /** A fragment the message must contain. */
  message?: string;
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
  /** One mistake written into a reference solution file: each `find` must occur exactly once (test/diagnoses.test.ts). */
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
    if (want.messageNot !== undefined && t.message.includes(want.messageNot)) out.push(`${where}: message should not contain ${JSON.stringify(want.messageNot)}`);
    // exactly the diagnoses a case names: a named mistake the case does not carry is a wrong verdict too
    if (t.diagnosis?.id !== want.diagnosis) out.push(`${where}: diagnosis should be ${want.diagnosis ?? 'none'}`);
    if (want.hint !== undefined && !t.diagnosis?.hint.includes(want.hint)) out.push(`${where}: the hint should contain ${JSON.stringify(want.hint)}`);
    if (t.status !== 'passed' && t.message.trim() === '') out.push(`${where}: a test that does not pass needs a message`);
  }
  return out;
}

