/** `gradlab diff OLD NEW`: what changed between two class results folders (see class/diff.ts). */
import { renderDiff } from '../class/diff.js';
import { exercisesOf, readAllRecords } from '../class/record.js';
import { CliError } from '../errors.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: gradlab diff OLD NEW

Compares two class results folders (written by \`gradlab class --results DIR\` or \`gradlab merge\`):
who changed, by how much, and which tests (status before → after, points), who was added or
removed. Timings never count as a change. Folders graded on different exercises are flagged as
not comparable on the first line.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('diff', argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 2) throw new CliError('E_USAGE', `diff takes two class results folders, OLD and NEW, got ${positionals.length}. See \`gradlab diff --help\`.`);
  const [before, after] = positionals.map((dir) => readAllRecords(dir));
  const [was, now] = [exercisesOf(before), exercisesOf(after)];
  // a run of other exercises is not a change of grade: say so before every score it would move
  const warning = was.join() === now.join() ? '' : `Not comparable: OLD was graded on ${was.join(', ')} and NEW on ${now.join(', ')}; each score below is out of other exercises.\n`;
  process.stdout.write(warning + renderDiff(before, after));
  return 0;
}
