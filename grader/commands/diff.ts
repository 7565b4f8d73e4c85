/** `gradlab diff OLD NEW`: what changed between two class results folders (see class/diff.ts). */
import { renderDiff } from '../class/diff.js';
import { readAllRecords } from '../class/record.js';
import { CliError } from '../errors.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: gradlab diff OLD NEW

Compares two class results folders (written by \`gradlab class --results DIR\` or \`gradlab merge\`):
who changed, by how much, and which tests (status before → after, points), who was added or
removed. Timings never count as a change.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('diff', argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 2) throw new CliError('E_USAGE', `diff takes two class results folders, OLD and NEW, got ${positionals.length}. See \`gradlab diff --help\`.`);
  process.stdout.write(renderDiff(readAllRecords(positionals[0]), readAllRecords(positionals[1])));
  return 0;
}
