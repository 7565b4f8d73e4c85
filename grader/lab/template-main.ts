/**
 * `npm run lab` in the student template: the lab command with the template's compiler and the
 * reference curves saved at export (lab/reference.json), bundled by `gradlab export` into
 * lab/lab.mjs. No grader, hidden suite or fixture is in the template, nor needed here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { labMain } from '../commands/lab.js';
import { CliError } from '../errors.js';
import { compileOwn } from './compile-own.js';
import { decodeFindings } from './saved.js';

const saved = new URL('./reference.json', import.meta.url);
const findings = existsSync(saved) ? decodeFindings(readFileSync(saved, 'utf8')) : null;

try {
  process.exitCode = await labMain(process.argv.slice(2), { compile: compileOwn, reference: () => (findings ? { findings } : null), command: 'npm run lab --' });
} catch (err) {
  process.stderr.write(err instanceof CliError ? `lab: ${err.message}\n` : `lab: internal error: ${(err as Error)?.message ?? String(err)}\nThis is a bug in the lab, not in your code: tell the course staff.\n`);
  process.exitCode = err instanceof CliError ? err.exitCode : 1;
}
