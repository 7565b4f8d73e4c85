/**
 * `gradlab class <folder>`: grades a whole class in ONE vitest run (the compiled suites, the
 * loaded fixtures and the workers are shared) and writes a results folder: one record per student
 * (class/record.ts), the gradebook and the class report. Every entry of <folder> is one student
 * (class/students.ts): graded, or listed as refused with the reason.
 *
 * Incremental: a student whose submission (what the intake copies for grading) and grading key (grader
 * fingerprint, exercises, per-call limit) match their record is not graded again. `--only NAME`
 * grades exactly the students named: the others keep their record, and those without one get a
 * `not-graded` record (listed in the gradebook and the report with an empty score, never dropped
 * and never graded behind the TA's back).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderRefusedJson, toResults } from '../report/json.js';
import { renderGradebook, renderSummary } from '../class/gradebook.js';
import { exercisesOf, gradingKey, readAllRecords, readRecord, STUDENTS_DIR, submissionHash, writeRecords, type StudentRecord } from '../class/record.js';
import { writeClassReports } from '../class/report.js';
import { findStudents, type Student } from '../class/students.js';
import { terminalName } from '../class/text.js';
import { describeVersion, graderFingerprint, graderVersion } from '../class/version.js';
import { CliError } from '../errors.js';
import { loadManifest } from '../manifest.js';
import type { GradeReport } from '../results.js';
import { checkExercises, parseCommandArgs, parseTimeout, parseWorkers, WORKERS_HELP } from './args.js';
import { refuseUnconfined, reportWithoutGrading } from './grade.js';
import { interruptible, signalName, type StopSignal } from '../temp-folders.js';

export const DEFAULT_RESULTS = 'gradlab-results';
/** Written instead of grading by `--require-confinement` on a host that lacks a layer; removed by the next run that grades. */
export const REFUSED_FILE = 'refused.json';

const HELP = `Usage: gradlab class <folder> [--results DIR] [--gradebook FILE] [--shard K/N] [--only NAME]...
                     [--force] [--exercise SLUG]... [--timeout MS] [--workers N] [--require-confinement]

Grades every entry of <folder> as one student's submission, in one run. A student whose
submission and grader are unchanged since their record in DIR is not graded again.

Options:
  --results DIR         the class results folder (default: ${DEFAULT_RESULTS}): students/<name>.json
                        (one record per student), gradebook.csv, report.md and report.html
  --gradebook FILE      write the gradebook here instead of DIR/gradebook.csv
  --shard K/N           grade only the students of shard K of N (a student is in shard
                        1 + (first 8 hex digits of sha256(name)) mod N); merge the shards'
                        folders with \`gradlab merge\`
  --only NAME           grade this student and nobody else (repeatable), even if unchanged;
                        every other student keeps their record as it is, and one without a
                        record is listed as not-graded (status not-graded, empty score) until
                        a run without --only grades them
  --force               regrade every student, even unchanged ones
  --exercise, -e SLUG   grade only this exercise (repeatable); refused on a results folder that
                        holds more exercises (every student's grade would shrink to these)
  --timeout MS          CPU time one call of student code may use (default 5000)
${WORKERS_HELP}
  --require-confinement refuse to grade unless every required sandbox layer is in force here
                        (docs/security.md, "Sandbox"): nothing is graded or written but
                        DIR/refused.json, which says why, and the exit status is 3`;

/** The shard (1…n) a student belongs to: deterministic, from the name alone. */
export function shardOf(name: string, n: number): number {
  return (parseInt(createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8), 16) % n) + 1;
}

function parseShard(value: string | undefined): { k: number; n: number } | null {
  if (value === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const [k, n] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(k >= 1 && n >= 1 && k <= n)) throw new CliError('E_USAGE', `--shard must be K/N with 1 ≤ K ≤ N, e.g. --shard 2/4; got '${value}'`);
  return { k, n };
}

type Graded = Student & { dir: string };

/**
 * A results folder holds one grade per student over the exercises of its runs: a run of fewer
 * exercises (`-e 04-batchnorm` on a folder graded on all seven) would replace every student's
 * grade by that exercise's alone, and the gradebook, diff and LMS export would follow. Refused,
 * saying the two things the TA may have meant.
 */
function refuseToShrink(classDir: string, resultsDir: string, exercises: string[]): void {
  if (!existsSync(path.join(resultsDir, STUDENTS_DIR))) return;
  const held = exercisesOf(readAllRecords(resultsDir));
  const dropped = held.filter((slug) => !exercises.includes(slug));
  if (dropped.length === 0) return;
  const these = exercises.join(', ');
  const alone = `${resultsDir.replace(/\/+$/, '')}-${exercises.length === 1 ? exercises[0] : 'part'}`;
  throw new CliError('E_USAGE', `'${resultsDir}' holds grades of ${held.length} exercises (${held.join(', ')}): grading only ${these} into it would replace every student's grade ` +
    `by ${exercises.length === 1 ? 'that exercise' : 'those exercises'} alone. Grade all of them into it (\`gradlab class ${classDir} --results ${resultsDir}\` grades again only the students whose files or grader changed), ` +
    `or grade ${these} into a folder of its own (\`gradlab class ${classDir} ${exercises.map((e) => `-e ${e}`).join(' ')} --results ${alone}\`)`);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('class', argv, {
    exercise: { type: 'string', short: 'e', multiple: true },
    gradebook: { type: 'string' },
    results: { type: 'string' },
    shard: { type: 'string' },
    only: { type: 'string', multiple: true },
    force: { type: 'boolean' },
    timeout: { type: 'string' },
    workers: { type: 'string' },
    'require-confinement': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('E_USAGE', `class takes one folder (one sub-folder per student), got ${positionals.length}. See \`gradlab class --help\`.`);
  const chosen = checkExercises(values.exercise);
  const exercises = chosen.length ? chosen : loadManifest().exercises.map((e) => e.slug);
  const chosenExercises = loadManifest().exercises.filter((e) => exercises.includes(e.slug));
  const callTimeoutMs = parseTimeout(values.timeout);
  const maxWorkers = parseWorkers(values.workers);
  const shard = parseShard(values.shard);
  const only = values.only ?? [];
  if (shard && only.length) throw new CliError('E_USAGE', '--only and --shard do not go together: regrade a student in the folder of the shard that graded them');
  const resultsDir = values.results ?? DEFAULT_RESULTS;

  refuseToShrink(positionals[0], resultsDir, exercises);

  const everyone = findStudents(positionals[0]);
  for (const name of only) {
    if (!everyone.some((s) => s.name === name)) throw new CliError('E_USAGE', `--only ${terminalName(name)}: no such student in '${positionals[0]}' (names are folder names)`);
  }
  const students = shard ? everyone.filter((s) => shardOf(s.name, shard.n) === shard.k) : everyone;

  // the results folder exists, the grader's, before any student code runs (nothing can be put at its path)
  mkdirSync(path.join(resultsDir, STUDENTS_DIR), { recursive: true });
  const refusedFile = path.join(resultsDir, REFUSED_FILE);
  if (values['require-confinement']) {
    const refused = await refuseUnconfined();
    if (refused) {
      // no record, gradebook or report is touched: the last run's grades stay as they were
      writeFileSync(refusedFile, renderRefusedJson(refused.sentence, refused.confinement));
      throw new CliError('E_CONFINEMENT', `${refused.sentence} (written to ${refusedFile})`, 3);
    }
  }
  rmSync(refusedFile, { force: true });

  const grader = graderVersion();
  const key = gradingKey(graderFingerprint(), exercises, callTimeoutMs);
  const records = new Map<string, StudentRecord>();
  const toGrade: Array<{ student: Graded; hash: string }> = [];
  let reused = 0;
  /** --only: students kept on a record made for another submission or grader, and students with no record at all. */
  const keptChanged: string[] = [];
  const notYet: string[] = [];
  const gradedAt = new Date().toISOString();
  const runWithoutOnly = `gradlab class ${positionals[0]} --results ${resultsDir}`;
  for (const s of students) {
    const previous = readRecord(resultsDir, s.name);
    if (s.refused !== undefined) {
      const report = reportWithoutGrading(s.name, exercises, 'error', `not graded: the student folder ${s.refused}`);
      records.set(s.name, { student: s.name, status: 'refused', reason: s.refused, grader, gradingKey: key, submissionHash: null, gradedAt, complete: true, results: toResults(report) });
      continue;
    }
    const hash = submissionHash(s.dir, chosenExercises);
    const unchanged = previous?.status === 'graded' && previous.complete && previous.submissionHash === hash && previous.gradingKey === key;
    if (only.length ? only.includes(s.name) : values.force || !unchanged) {
      toGrade.push({ student: s, hash });
    } else if (previous && previous.status !== 'not-graded') {
      // --only keeps everyone else's last grade as it is, even one made for an older submission
      records.set(s.name, previous);
      if (unchanged) reused++;
      else keptChanged.push(s.name);
    } else {
      // --only grades only the students named: one without a grade is listed as not graded yet, never graded behind the TA's back
      const reason = `not graded yet (a --only run graded other students): grade them with \`${runWithoutOnly}\``;
      const report = reportWithoutGrading(s.name, exercises, 'error', reason);
      records.set(s.name, { student: s.name, status: 'not-graded', reason, grader, gradingKey: key, submissionHash: null, gradedAt, complete: true, results: toResults(report) });
      notYet.push(s.name);
    }
  }

  // what an interruption has recorded: nothing until the records are written, all at once, after grading
  let recorded = (signal: StopSignal) => `gradlab: grading the class was interrupted (${signalName(signal)}), so no grade was recorded (this run wrote no record, gradebook or report in ${resultsDir}) and its temporary folders are removed: run the same command again to grade.`;
  return interruptible((signal) => recorded(signal), async () => {
    if (toGrade.length > 0) {
      const { gradeSubmissions, NO_RESULT, STOPPED } = await import('../runner.js');
      const reports = await gradeSubmissions(toGrade.map((t) => t.student.dir), { exercises, callTimeoutMs, maxWorkers });
      reports.forEach((report: GradeReport, i) => {
        const { student, hash } = toGrade[i];
        // in a class, a student's duration is their own tests' time, not the whole run's
        report.durationMs = report.tests.reduce((a, t) => a + t.durationMs, 0);
        const complete = !report.tests.some((t) => t.status === 'error' && (t.message === NO_RESULT || t.message === STOPPED));
        records.set(student.name, { student: student.name, status: 'graded', grader, gradingKey: key, submissionHash: hash, gradedAt, complete, results: toResults(report) });
      });
    }

    const ordered = students.flatMap((s) => records.get(s.name) ?? []);
    writeRecords(resultsDir, ordered);
    recorded = (signal) => `gradlab: the class run was interrupted (${signalName(signal)}) after grading, while writing the gradebook and class report: the ${ordered.length} students' records are in ${path.join(resultsDir, STUDENTS_DIR)}/, but the gradebook and report may be missing or the last run's: run the same command again (students whose record is up to date are not graded again).`;

    const gradebook = values.gradebook ?? path.join(resultsDir, 'gradebook.csv');
    mkdirSync(path.dirname(path.resolve(gradebook)), { recursive: true });
    writeFileSync(gradebook, renderGradebook(ordered));
    const reports = await writeClassReports(resultsDir, ordered);

    const listed = (names: string[]) => names.slice(0, 5).map(terminalName).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
    const counts = `graded ${toGrade.length}, unchanged since their record ${reused}` +
      (keptChanged.length ? `, kept on a record of an older submission or grader ${keptChanged.length} (${listed(keptChanged)})` : '') +
      (notYet.length ? `, not graded yet ${notYet.length} (${listed(notYet)})` : '');
    process.stdout.write(`${renderSummary(ordered)}\n` +
      `${shard ? `Shard ${shard.k}/${shard.n}: ${students.length} of ${everyone.length} students; ` : ''}${counts}. ` +
      `Grader ${describeVersion(grader)}, ${gradedAt}.\n` +
      `Gradebook: ${gradebook}; records in ${path.join(resultsDir, STUDENTS_DIR)}/; ${reports.join(', ')}.\n` +
      (keptChanged.length || notYet.length ? `--only graded only ${only.map(terminalName).join(', ')}. Next: \`${runWithoutOnly}\` grades everyone else whose record is missing or out of date.\n` : ''));
    return 0;
  });
}
