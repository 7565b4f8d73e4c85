/**
 * The native results of one grading run: what `gradlab grade --format json` writes, and what
 * every other format (text, gradescope, classroom, junit) is rendered from.
 */
import type { Confinement } from './sandbox/confine.js';

export type TestStatus = 'passed' | 'failed' | 'error' | 'timeout' | 'not-implemented' | 'missing';
export type Visibility = 'visible' | 'after_due_date' | 'hidden';

/** A known mistake recognised from the submission's outputs, with a hint that points at the fix. */
export interface Diagnosis {
  id: string;
  hint: string;
}

export interface TestResult {
  /** Stable across runs and versions, from the manifest, e.g. 'activations.sigmoid.grid'. */
  id: string;
  /** Exercise slug, e.g. '01-activations'. */
  exercise: string;
  /** Begins with the exercise slug: '01-activations › sigmoid matches the grid'. */
  name: string;
  score: number;
  maxScore: number;
  status: TestStatus;
  visibility: Visibility;
  /** Empty when passed; otherwise what was expected, what came, where and by how much (no hidden values). */
  message: string;
  diagnosis?: Diagnosis;
}

export type ExerciseStatus = 'passed' | 'failed' | 'error' | 'not-implemented' | 'missing';

export interface ExerciseResult {
  slug: string;
  score: number;
  maxScore: number;
  status: ExerciseStatus;
}

/** Which layers of the sandbox were in force while the submission's code ran (grader/sandbox/confine.ts). */
export type ConfinementResult = Confinement;

export interface Results {
  score: number;
  maxScore: number;
  durationMs: number;
  exercises: ExerciseResult[];
  tests: TestResult[];
  /** Absent when no code of the submission ran (a refused folder, a student not graded yet). */
  confinement?: ConfinementResult;
}

/**
 * What `--require-confinement` writes instead of results on a host that lacks a layer: why, and
 * what was found. No score: nothing was graded.
 */
export interface RefusedResults {
  refused: string;
  confinement: ConfinementResult;
}

/** A test result as the runner produces it: the native fields plus its wall time. */
export interface TimedTestResult extends TestResult {
  durationMs: number;
}

/**
 * What the runner hands the reports: native results plus per-test times (the text table and the
 * Classroom `duration` show them; `--format json` strips them to the exact native fields).
 */
export interface GradeReport extends Omit<Results, 'tests'> {
  tests: TimedTestResult[];
  /** The submission folder as given on the command line, for headers. */
  submission: string;
  /** How the submission was read: what was found, what is missing, what was refused (grader/intake.ts). */
  intake?: string;
  /** Which layers of the sandbox were in force (set by the runner, which ran the code). */
  confinement?: ConfinementResult;
  /**
   * Set when `--require-confinement` refused to grade (with `confinement`): the json format then
   * writes RefusedResults (no score), gradescope a score of 0 with no test, text the sentence.
   */
  refused?: string;
}
