/**
 * `gradlab collect <repository> --student NAME --into DIR`: one student's repository into a class
 * folder, within intake's limits (class/collect.ts), for the teacher workflow's collect job. It
 * prints the graded commit (or `none`) for the roster; a repository over a limit is recorded as a
 * refusal and the exit status is still 0, so the job goes on with the next student.
 */
import { collectSubmission, COLLECT_REFUSALS, COLLECT_TIMEOUT_MS } from '../class/collect.js';
import { terminalName } from '../class/text.js';
import { CliError } from '../errors.js';
import { SAFE_NAME } from '../intake.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: gradlab collect <repository> --student NAME --into DIR [--before TIME] [--timeout S]

Clones <repository> (a URL or a local path, read with git: no hook, filter, submodule or
prompt) and writes into DIR/NAME/exercises/ only the source files grading reads from the
exercise folders, after checking their sizes and count in the tree against the intake's limits.
A repository over a limit, or not cloned and read within the timeout, gets nothing written and
a refusal in DIR/${COLLECT_REFUSALS}: \`gradlab class DIR\` lists the student as refused, with why.
Prints the graded commit, or 'none' when there is no commit to grade.

Options:
  --student NAME   the student's folder name (letters, digits, '.', '_', '-')
  --into DIR       the class folder (one sub-folder per student)
  --before TIME    grade the last commit before TIME (e.g. 2026-12-01T23:59:00Z); default the newest
  --timeout S      seconds one student's clone and reads may take (default ${COLLECT_TIMEOUT_MS / 1000})`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('collect', argv, {
    student: { type: 'string' },
    into: { type: 'string' },
    before: { type: 'string' },
    timeout: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const { student, into, before, timeout } = values;
  if (positionals.length !== 1 || !student || !into) throw new CliError('E_USAGE', 'collect needs one repository, --student NAME and --into DIR. See `gradlab collect --help`.');
  // the name becomes a folder of the class: never a path, a hidden entry or a name intake would refuse
  if (!SAFE_NAME.test(student)) throw new CliError('E_USAGE', `--student must be a folder name of letters, digits, '.', '_' or '-' (not starting with '.' or '-'), got '${terminalName(student)}'`);
  const seconds = timeout === undefined ? COLLECT_TIMEOUT_MS / 1000 : Number(timeout);
  if (!(seconds >= 1)) throw new CliError('E_USAGE', `--timeout must be a number of seconds ≥ 1, got '${terminalName(timeout ?? '')}'`);
  const result = await collectSubmission({ source: positionals[0], student, into, before: before || undefined, timeoutMs: seconds * 1000 });
  const at = result.commit ? ` at ${result.commit.slice(0, 7)}` : '';
  if (result.refused !== undefined) {
    process.stderr.write(`${terminalName(student)}${at}: refused, ${terminalName(result.refused)}\n`);
  } else {
    process.stderr.write(`${terminalName(student)}${at}: ${result.commit ? `${result.files.length} file${result.files.length === 1 ? '' : 's'}, ${result.bytes} bytes` : 'no commit to grade'}\n`);
  }
  process.stdout.write(`${result.commit ?? 'none'}\n`);
  return 0;
}
