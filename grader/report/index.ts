/**
 * The grader's reports: one function to render a GradeReport in any format, one to write several.
 *
 *   renderReport('text', report, { color: process.stdout.isTTY })
 *   writeReports(report, [{ format: 'json', file: 'results.json' }, { format: 'text' }])
 *
 * Every format lives in its own module (text, json, gradescope, classroom, junit); json, gradescope
 * and classroom are validated against grader/schemas/ before they are returned, and ajv is loaded
 * only then (validate.ts).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GradeReport } from '../results.js';
import { renderClassroom, writeClassroomOutputs } from './classroom.js';
import { renderGradescope } from './gradescope.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderText } from './text.js';

export type ReportFormat = 'text' | 'json' | 'gradescope' | 'classroom' | 'junit';

export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'json', 'gradescope', 'classroom', 'junit'];

export interface RenderOptions {
  /** ANSI colours in the text report (the CLI passes `process.stdout.isTTY`). */
  color?: boolean;
  /** Text report: leave out after-due-date tests' messages. */
  hideAfterDueDate?: boolean;
}

/** Whether a string names a format (for the CLI's argument check). */
export function isReportFormat(name: string): name is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(name);
}

/** The report in one format, as the text to print or write. Throws on an off-schema report (a grader bug). */
export function renderReport(format: ReportFormat, report: GradeReport, options: RenderOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(report, options);
    case 'json':
      return renderJson(report);
    case 'gradescope':
      return renderGradescope(report);
    case 'classroom':
      return renderClassroom(report);
    case 'junit':
      return renderJunit(report);
    default:
      throw new Error(`gradlab: unknown report format '${String(format)}': use one of ${REPORT_FORMATS.join(', ')}`);
  }
}

/** A file name that says what is in it, for a format written without --out. */
export const DEFAULT_FILE: Record<ReportFormat, string> = {
  text: 'gradlab-report.txt',
  json: 'gradlab-results.json',
  gradescope: 'results.json',
  classroom: 'gradlab-classroom.json',
  junit: 'gradlab-junit.xml',
};

export interface ReportTarget {
  format: ReportFormat;
  /** Where to write it; undefined: hand it to `print` (stdout). */
  file?: string;
}

export interface WriteOptions extends RenderOptions {
  /** Receives the reports that have no file; default: process.stdout.write. */
  print?: (text: string) => void;
  /** Environment for the classroom format's GITHUB_ENV / GITHUB_OUTPUT hand-over; default process.env. */
  env?: Record<string, string | undefined>;
}

/**
 * Renders every target, then writes them: files atomically (a temporary file renamed into place, so
 * a reader never sees half a report and a stale file is replaced whole), the rest through `print`.
 * Every format is rendered before anything is written, so a report that fails validation leaves no
 * partial set behind. The classroom format also appends the runners to $GITHUB_ENV / $GITHUB_OUTPUT
 * when those are set (see classroom.ts). Returns the files written.
 */
export function writeReports(report: GradeReport, targets: readonly ReportTarget[], options: WriteOptions = {}): string[] {
  const rendered = targets.map((t) => ({ ...t, text: renderReport(t.format, report, options) }));
  const print = options.print ?? ((text: string) => void process.stdout.write(text));
  const written: string[] = [];
  for (const r of rendered) {
    if (r.file === undefined) {
      print(r.text);
      continue;
    }
    const file = path.resolve(r.file);
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, r.text, 'utf8');
    renameSync(tmp, file);
    written.push(file);
  }
  if (targets.some((t) => t.format === 'classroom')) {
    written.push(...writeClassroomOutputs(report, options.env ?? process.env).wrote);
  }
  return written;
}
