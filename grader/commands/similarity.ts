/**
 * `gradlab similarity <class folder>`: which submissions of each exercise are alike, and which
 * are close to the course's reference solution or to an earlier year's submission (similarity/).
 * Writes similarity.md, similarity.html and similarity.json into the results folder, and the
 * class report's section when that folder holds a class run. Never changes a score.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readAllRecords, STUDENTS_DIR } from '../class/record.js';
import { SIMILARITY_JSON, writeClassReports } from '../class/report.js';
import { terminalName } from '../class/text.js';
import { CliError } from '../errors.js';
import { loadManifest } from '../manifest.js';
import { compareClass } from '../similarity/class.js';
import { THRESHOLD } from '../similarity/compare.js';
import { NEVER_A_GRADE, renderHtml, renderMarkdown, summarize } from '../similarity/render.js';
import { parseCommandArgs } from './args.js';
import { DEFAULT_RESULTS } from './class.js';

const HELP = `Usage: gradlab similarity <class folder> [--results DIR] [--earlier FOLDER]... [--threshold X]

Compares the submissions of each exercise with each other, with the course's reference solution
(solutions/) and with earlier years' submissions, by the syntax of the code (renaming variables or
reformatting does not hide a copy; the stubs and code most of the class shares are ignored), and
writes into DIR (default: ${DEFAULT_RESULTS}):
  similarity.md     per exercise, the pairs at or above the threshold: similarity, longest shared
                    fragment, and that fragment side by side
  similarity.html   the same, each pair's two files side by side with the shared regions marked
                    (one offline page: no script, nothing fetched)
  similarity.json   the pairs, for the class report (report.md and report.html are written again
                    with a Similarity section when DIR holds a class run)
${NEVER_A_GRADE}

Options:
  --earlier FOLDER   a folder of earlier submissions, shaped like the class folder (repeatable);
                     shown as FOLDER-NAME/student
  --threshold X      list the pairs whose similarity is at least X, 0 to 1 (default ${THRESHOLD}:
                     see docs/similarity.md)`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('similarity', argv, {
    results: { type: 'string' },
    earlier: { type: 'string', multiple: true },
    threshold: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('E_USAGE', `similarity takes one class folder (one sub-folder per student), got ${positionals.length}. See \`gradlab similarity --help\`.`);
  const threshold = values.threshold === undefined ? THRESHOLD : Number(values.threshold);
  if (!(threshold >= 0 && threshold <= 1)) throw new CliError('E_USAGE', `--threshold must be a number from 0 to 1, e.g. --threshold ${THRESHOLD}; got '${values.threshold}'`);
  const resultsDir = values.results ?? DEFAULT_RESULTS;

  const cs = compareClass(positionals[0], values.earlier ?? [], threshold);
  const course = loadManifest().course;
  mkdirSync(resultsDir, { recursive: true });
  const files = ['similarity.md', 'similarity.html', SIMILARITY_JSON].map((f) => path.join(resultsDir, f));
  writeFileSync(files[0], renderMarkdown(cs, course));
  writeFileSync(files[1], renderHtml(cs, course));
  writeFileSync(files[2], `${JSON.stringify(summarize(cs, new Date().toISOString()), null, 2)}\n`);
  const reports = existsSync(path.join(resultsDir, STUDENTS_DIR)) ? await writeClassReports(resultsDir, readAllRecords(resultsDir)) : [];

  const lines = cs.exercises.map((e) => {
    const listed = e.pairs.slice(0, 3).map((p) => `${terminalName(p.left.name)} ~ ${terminalName(p.right.name)} ${p.similarity.toFixed(2)}`).join(', ');
    return `${e.slug}: ${e.students} compared, ${e.pairs.length} ${e.pairs.length === 1 ? 'pair' : 'pairs'} at or above ${threshold}${listed ? `: ${listed}${e.pairs.length > 3 ? ', …' : ''}` : ''}` +
      (e.skipped.length ? ` (${e.skipped.length} not compared: see similarity.md)` : '');
  });
  process.stdout.write(`${lines.join('\n')}\n${NEVER_A_GRADE}\n${files.join(', ')}${reports.length ? `; the class report's Similarity section in ${reports.join(', ')}` : ''}.\n`);
  return 0;
}
