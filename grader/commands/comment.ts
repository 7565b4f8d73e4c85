/**
 * `gradlab comment --results DIR --student NAME --commit SHA`: prints the Markdown comment that
 * tells one student their grade (class/comment.ts: anything their code chose is made inert), for
 * the teacher workflow to post on the graded commit.
 */
import { renderComment } from '../class/comment.js';
import { readRecord } from '../class/record.js';
import { terminalName } from '../class/text.js';
import { CliError } from '../errors.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: gradlab comment --results DIR --student NAME --commit SHA

Prints the comment that tells one student their grade, from their record in the class results
folder DIR (written by \`gradlab class\` or \`gradlab merge\`), for the commit SHA that was graded:
the score, each exercise, and each test not passed with its message. Whatever the student's code
or files chose (messages, file names) is shown in code blocks, never as links, images, mentions
or HTML; a hidden test shows its name and points only. The teacher workflow
(.github/workflows/grade-class.yml) posts it with \`gh api\`.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('comment', argv, {
    results: { type: 'string' },
    student: { type: 'string' },
    commit: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const { results, student, commit } = values;
  if (!results || !student || !commit) throw new CliError('E_USAGE', 'comment needs --results DIR, --student NAME and --commit SHA. See `gradlab comment --help`.');
  if (!/^[0-9a-f]{7,64}$/.test(commit)) throw new CliError('E_USAGE', `--commit must be a commit hash (hex, as git prints it), got '${terminalName(commit)}'`);
  // a name is a folder name of the class: never a path that could reach a file outside DIR/students/
  if (/[/\\]/.test(student) || student === '.' || student === '..' || student === '') throw new CliError('E_USAGE', `--student must be a student's folder name, got '${terminalName(student)}'`);
  const record = readRecord(results, student);
  if (!record) throw new CliError('E_RESULTS', `no record of ${terminalName(student)} in '${results}': pass the results folder that graded them, and their folder name`);
  process.stdout.write(renderComment(record, commit));
  return 0;
}
