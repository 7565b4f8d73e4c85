/** `gradlab lms --roster FILE`: the class's grades as Canvas and Moodle import files (see class/lms.ts). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pairStudents, parseRoster, renderCanvas, renderMoodle, renderUnmatched, type CanvasId } from '../class/lms.js';
import { readAllRecords } from '../class/record.js';
import { terminalName } from '../class/text.js';
import { CliError } from '../errors.js';
import { parseCommandArgs } from './args.js';
import { DEFAULT_RESULTS } from './class.js';

const HELP = `Usage: gradlab lms --roster FILE [--results DIR] [--out DIR] [--prefix TEXT] [--assignment NAME] [--canvas-id sis-user-id|sis-login-id]

Pairs the students of a class results folder (default: ${DEFAULT_RESULTS}) with a GitHub Classroom
roster export (identifier, github_username, github_id, name) by GitHub username: a student folder
is named by the username (as grade-class.yml collects them), or by --prefix and the username. It
writes into --out (default: the results folder):
  canvas.csv      Canvas gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, NAME
  moodle.csv      Moodle grade import: identifier, name, github_username, NAME
  unmatched.csv   folders without a roster row, roster rows without a folder, students refused
                  or not graded yet (their grade cell is left empty, never 0), with the reason

Options:
  --prefix TEXT       what every folder name holds before the username: hw1- for folders named
                      hw1-alice as GitHub Classroom names repositories (default: none). A folder
                      is never paired by the end of its name alone: usernames may hold '-'
  --assignment NAME   the grade column (default: gradlab); to update an existing Canvas
                      assignment, use its column header from a Canvas export, e.g. "HW 3 (1234)"
  --canvas-id COLUMN  which Canvas column the roster's identifier fills (default: sis-user-id)`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('lms', argv, {
    roster: { type: 'string' },
    results: { type: 'string' },
    out: { type: 'string' },
    assignment: { type: 'string' },
    'canvas-id': { type: 'string' },
    prefix: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length) throw new CliError('E_USAGE', `lms takes no positional arguments, got ${positionals.join(' ')}. See \`gradlab lms --help\`.`);
  if (!values.roster) throw new CliError('E_USAGE', 'lms needs --roster FILE, the roster CSV exported from GitHub Classroom. See `gradlab lms --help`.');
  const canvasId = (values['canvas-id'] ?? 'sis-user-id') as CanvasId;
  if (canvasId !== 'sis-user-id' && canvasId !== 'sis-login-id') throw new CliError('E_USAGE', `--canvas-id must be sis-user-id or sis-login-id, got '${canvasId}'`);
  let text: string;
  try {
    text = readFileSync(values.roster, 'utf8');
  } catch {
    throw new CliError('E_ROSTER', `cannot read the roster '${values.roster}': pass the CSV exported from GitHub Classroom`);
  }
  const roster = parseRoster(text, values.roster);
  const resultsDir = values.results ?? DEFAULT_RESULTS;
  const pairing = pairStudents(readAllRecords(resultsDir), roster, values.prefix ?? '');
  const assignment = values.assignment ?? 'gradlab';
  const out = values.out ?? resultsDir;
  mkdirSync(out, { recursive: true });
  const files = { canvas: path.join(out, 'canvas.csv'), moodle: path.join(out, 'moodle.csv'), unmatched: path.join(out, 'unmatched.csv') };
  writeFileSync(files.canvas, renderCanvas(roster, pairing, assignment, canvasId));
  writeFileSync(files.moodle, renderMoodle(roster, pairing, assignment));
  writeFileSync(files.unmatched, renderUnmatched(pairing));
  const lines = [`${pairing.pairs.size} of ${roster.length} roster students paired with a folder.`];
  for (const u of pairing.unmatched) {
    const who = u.kind === 'roster' ? `unmatched roster row ${terminalName(u.entry?.github_username || u.entry?.identifier || '')}`
      : u.kind === 'folder' ? `unmatched folder ${terminalName(u.folder)}`
        : `${u.kind === 'refused' ? 'refused' : 'not graded yet'}, grade cell left empty: folder ${terminalName(u.folder)}`;
    lines.push(`  ${who}: ${terminalName(u.reason)}`);
  }
  lines.push(`Canvas: ${files.canvas}; Moodle: ${files.moodle}; unmatched: ${files.unmatched}.`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
