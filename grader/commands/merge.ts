/**
 * `gradlab merge --results OUT DIR...`: the class results folders of several runs (the shards of
 * one class, or a run and a later regrade) as one: every student's newest record, the gradebook
 * and the class report rendered from them exactly as one run would have.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderGradebook } from '../class/gradebook.js';
import { byStudent, exercisesOf, readAllRecords, writeRecords, type StudentRecord } from '../class/record.js';
import { writeClassReports } from '../class/report.js';
import { terminalName } from '../class/text.js';
import { CliError } from '../errors.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: gradlab merge --results OUT [--gradebook FILE] DIR...

Merges class results folders (written by \`gradlab class --results DIR\`, e.g. one per --shard)
into OUT: each student's record (the newest, when several folders hold one; a not-graded
placeholder of a --only run never replaces a grade), the gradebook
(OUT/gradebook.csv unless --gradebook) and the class report (OUT/report.md, OUT/report.html).`;

/** A not-graded record (a --only run's placeholder) ranks below a grade or a refusal, whatever its date. */
const rank = (r: StudentRecord) => (r.status === 'not-graded' ? 0 : 1);

/** Every student once: the newest record of the highest rank wins (ties: the later folder on the command line). */
export function mergeRecords(runs: StudentRecord[][]): { records: StudentRecord[]; replaced: string[] } {
  const newest = new Map<string, StudentRecord>();
  const replaced: string[] = [];
  for (const records of runs) {
    for (const r of records) {
      const seen = newest.get(r.student);
      if (seen) replaced.push(r.student);
      if (!seen || rank(r) > rank(seen) || (rank(r) === rank(seen) && r.gradedAt >= seen.gradedAt)) newest.set(r.student, r);
    }
  }
  return { records: [...newest.values()].sort(byStudent), replaced: [...new Set(replaced)].sort() };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('merge', argv, {
    results: { type: 'string' },
    gradebook: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (!values.results) throw new CliError('E_USAGE', 'merge needs --results OUT, the folder to write the merged results to. See `gradlab merge --help`.');
  if (positionals.length === 0) throw new CliError('E_USAGE', 'merge needs the results folders to merge (one per shard). See `gradlab merge --help`.');
  const out = values.results;
  if (positionals.some((p) => path.resolve(p) === path.resolve(out))) throw new CliError('E_USAGE', `--results ${out} is also an input: write the merge to a new folder`);
  const runs = positionals.map((dir) => readAllRecords(dir));
  // a student's newest record replaces all of their grade: folders graded on other exercises would shrink it
  const sets = runs.map((records, i) => ({ dir: positionals[i], slugs: exercisesOf(records) })).filter((x) => x.slugs.length > 0);
  const odd = sets.find((x) => x.slugs.join() !== sets[0].slugs.join());
  if (odd) {
    const says = (x: { dir: string; slugs: string[] }) => `'${x.dir}' holds ${x.slugs.length === 1 ? 'exercise' : 'exercises'} ${x.slugs.join(', ')}`;
    throw new CliError('E_USAGE', `${says(sets[0])} but ${says(odd)}: merged, a student's newest record would replace their grade by another set of exercises. ` +
      'Merge folders graded on the same exercises (the shards of one run), or grade the class again on all the exercises.');
  }
  const { records, replaced } = mergeRecords(runs);
  writeRecords(out, records);
  const gradebook = values.gradebook ?? path.join(out, 'gradebook.csv');
  mkdirSync(path.dirname(path.resolve(gradebook)), { recursive: true });
  writeFileSync(gradebook, renderGradebook(records));
  const reports = await writeClassReports(out, records);
  process.stdout.write(`Merged ${positionals.length} folder${positionals.length === 1 ? '' : 's'}: ${records.length} students.` +
    (replaced.length ? ` In several folders (the newest record kept): ${replaced.map(terminalName).join(', ')}.` : '') +
    `\nGradebook: ${gradebook}; ${reports.join(', ')}.\n`);
  return 0;
}
