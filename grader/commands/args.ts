/** Argument handling shared by the commands: node's parseArgs with messages that say what to do. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from '../errors.js';
import { loadManifest } from '../manifest.js';

/**
 * parseArgs, with its errors cut to their first sentence and pointed at `<usage> --help`
 * (`gradlab <command>` unless the command runs another way, as the template's `npm run lab --`).
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: O, usage = `gradlab ${command}`) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options });
  } catch (err) {
    // node's own advice about '--' positionals only confuses here: keep its first sentence
    const first = (err as Error).message.split(/\.\s/)[0].replace(/\.$/, '');
    throw new CliError('E_USAGE', `${first}. See \`${usage} --help\`.`);
  }
}

/** The --exercise values, each checked against the manifest. */
export function checkExercises(wanted: string[] | undefined): string[] {
  const slugs = loadManifest().exercises.map((e) => e.slug);
  for (const e of wanted ?? []) {
    if (!slugs.includes(e)) throw new CliError('E_UNKNOWN_EXERCISE', `unknown exercise '${e}': use one of ${slugs.join(', ')}`);
  }
  return wanted ?? [];
}

/** --workers in `grade --help` and `class --help`. */
export const WORKERS_HELP = `  --workers N           how many exercises are graded at once (default 2), each in a process
                        with its own sandbox: up to the machine's cores, more is faster; no
                        grade depends on it`;

/** The most --workers may ask for: each is a vitest worker with its sandbox, in memory at once. */
export const MAX_WORKERS = 64;

/**
 * The --workers value (default 2): how many exercises are graded at once, each in a vitest worker
 * with its own sandbox. No verdict depends on it (every limit is per call or per (student, exercise),
 * in CPU time); more than the machine's cores only costs memory.
 */
export function parseWorkers(value: string | undefined): number {
  const n = value === undefined ? 2 : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new CliError('E_USAGE', `--workers must be a whole number from 1 to ${MAX_WORKERS} (how many exercises are graded at once; at most the machine's cores is useful), got '${value}'`);
  }
  return n;
}

/** The --timeout value in ms (default 5000), at least 100. */
export function parseTimeout(value: string | undefined): number {
  const ms = value === undefined ? 5000 : Number(value);
  if (!Number.isFinite(ms) || ms < 100) throw new CliError('E_USAGE', `--timeout must be a number of milliseconds ≥ 100, got '${value}'`);
  return ms;
}
