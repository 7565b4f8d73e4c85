/** `gradlab grade [submission=exercises] [--exercise SLUG]... [--format F]... [--out FILE]...` */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildReport } from '../build-report.js';
import { CliError } from '../errors.js';
import { checkExercises, parseCommandArgs, parseTimeout, parseWorkers, WORKERS_HELP } from './args.js';
import { loadManifest } from '../manifest.js';
import type { GradeReport, TestStatus } from '../results.js';
import type { Confinement } from '../sandbox/confine.js';
import { interruptible, signalName } from '../temp-folders.js';

export const FORMATS = ['text', 'json', 'gradescope', 'classroom', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

const HELP = `Usage: gradlab grade [submission] [--exercise SLUG]... [--format FORMAT]... [--out FILE]...

Grades a folder shaped like exercises/ (default: exercises) with the hidden suites.

Options:
  --exercise, -e SLUG   grade only this exercise (repeatable), e.g. -e 02-backprop
  --format, -f FORMAT   text | json | gradescope | classroom | junit (repeatable);
                        default: text on a terminal, json otherwise
  --out, -o FILE        write the n-th --format to the n-th --out (formats without one go to stdout)
  --timeout MS          CPU time one call of student code may use (default 5000)
${WORKERS_HELP}
  --require-confinement refuse to grade unless every required sandbox layer is in force here
                        (docs/security.md, "Sandbox"); the results then say why, with no score

Exit status: 0 whenever grading completed, whatever the score; 2 for bad arguments or a missing
submission folder; 1 if the grader itself failed; 3 when --require-confinement refused to grade.
Results files are written in every case.`;

export interface GradeArgs {
  submission: string;
  exercises: string[];
  formats: Format[];
  outs: string[];
  timeoutMs: number;
  workers: number;
  requireConfinement: boolean;
}

export function parseGradeArgs(argv: string[], isTTY: boolean): GradeArgs | 'help' {
  const { values, positionals } = parseCommandArgs('grade', argv, {
    exercise: { type: 'string', short: 'e', multiple: true },
    format: { type: 'string', short: 'f', multiple: true },
    out: { type: 'string', short: 'o', multiple: true },
    timeout: { type: 'string' },
    workers: { type: 'string' },
    'require-confinement': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return 'help';
  if (positionals.length > 1) throw new CliError('E_USAGE', `grade takes one submission folder, got ${positionals.length} (${positionals.join(', ')})`);
  const exercises = checkExercises(values.exercise);
  const formats = (values.format ?? [isTTY ? 'text' : 'json']).map((f) => {
    if (!(FORMATS as readonly string[]).includes(f)) throw new CliError('E_USAGE', `unknown format '${f}': use one of ${FORMATS.join(', ')}`);
    return f as Format;
  });
  const outs = values.out ?? [];
  if (outs.length > formats.length) throw new CliError('E_USAGE', `${outs.length} --out files for ${formats.length} --format: give one --format per --out, in the same order`);
  return { submission: positionals[0] ?? 'exercises', exercises, formats, outs, timeoutMs: parseTimeout(values.timeout), workers: parseWorkers(values.workers), requireConfinement: values['require-confinement'] ?? false };
}

/** Every test of the chosen exercises with one status and message: for when grading could not happen. */
export function reportWithoutGrading(submission: string, exercises: string[], status: TestStatus, message: string): GradeReport {
  const chosen = loadManifest().exercises.filter((e) => exercises.length === 0 || exercises.includes(e.slug));
  return buildReport(submission, chosen, 0, () => ({ status, message, durationMs: 0 }));
}

/**
 * For `--require-confinement`: the refusal (one sentence, and the layers found) when a required
 * sandbox layer is missing here; otherwise null, and every sandbox of the run refuses to start
 * without its layers (REQUIRE_ENV, inherited by the grading workers).
 */
export async function refuseUnconfined(): Promise<{ sentence: string; confinement: Confinement } | null> {
  const { confinement, refusal, REQUIRE_ENV } = await import('../sandbox/confine.js');
  const found = confinement();
  if (found.missing.length > 0) return { sentence: refusal(found), confinement: found };
  process.env[REQUIRE_ENV] = '1';
  return null;
}

async function writeOutputs(report: GradeReport, args: GradeArgs, isTTY: boolean): Promise<void> {
  const { writeReports } = await import('../report/index.js');
  const targets = args.formats.map((format, i) => ({ format, file: args.outs[i] }));
  const textToTerminal = targets.some((t) => t.format === 'text' && t.file === undefined);
  writeReports(report, targets, { color: isTTY && textToTerminal && !process.env.NO_COLOR && targets.every((t) => t.format !== 'text' || !t.file) });
}

export async function run(argv: string[]): Promise<number> {
  const isTTY = Boolean(process.stdout.isTTY);
  const args = parseGradeArgs(argv, isTTY);
  if (args === 'help') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const dir = path.resolve(args.submission);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const message = `the submission folder '${args.submission}' does not exist: pass a folder shaped like exercises/ (01-activations/activations.ts, …)`;
    await writeOutputs(reportWithoutGrading(args.submission, args.exercises, 'missing', message), { ...args, formats: args.formats.filter((_, i) => args.outs[i]) }, false);
    throw new CliError('E_NO_SUBMISSION', message);
  }
  if (args.requireConfinement) {
    const refused = await refuseUnconfined();
    if (refused) {
      await writeOutputs({ ...reportWithoutGrading(args.submission, args.exercises, 'error', refused.sentence), refused: refused.sentence, confinement: refused.confinement }, args, isTTY);
      throw new CliError('E_CONFINEMENT', refused.sentence, 3);
    }
  }
  let report: GradeReport;
  try {
    const { gradeSubmissions } = await import('../runner.js');
    // the reports are written after grading, in one go: an interrupted run has recorded nothing
    [report] = await interruptible(
      (signal) => `gradlab: grading was interrupted (${signalName(signal)}), so nothing was recorded (this run wrote no report or results file) and its temporary folders are removed: run it again to grade '${args.submission}'.`,
      () => gradeSubmissions([dir], { exercises: args.exercises, callTimeoutMs: args.timeoutMs, maxWorkers: args.workers }));
    report.submission = args.submission;
  } catch (err) {
    const message = `the grader failed before it could grade (${(err as Error)?.message ?? String(err)}); this is not your code's fault: tell the course staff`;
    await writeOutputs(reportWithoutGrading(args.submission, args.exercises, 'error', message), args, isTTY);
    throw new CliError('E_GRADER', message, 1);
  }
  await writeOutputs(report, args, isTTY);
  return 0;
}
