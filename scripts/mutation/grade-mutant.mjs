#!/usr/bin/env node
// Stryker's test command (`npm run mutation`): grades one mutant of solutions/ with the hidden
// suites and exits 1 (killed) when it loses any point, 0 (survived) at full marks.
//
// Stryker instruments every mutant into one copy of solutions/ (in its sandbox, this process's
// cwd) and picks the active one with the __STRYKER_ACTIVE_MUTANT__ variable. The grader runs
// student code in a child with an empty environment, so the variable never arrives there and
// every mutant would "survive". Instead this script copies the one mutated exercise file into a
// fresh submission folder with the active mutant written into its first line, and grades only
// that exercise (another exercise's functions come from the reference anyway): isolated, exact.
//
// Without a mutant (Stryker's dry run) it grades every instrumented exercise unmutated; the run
// only starts when that earns full marks. A grader that fails to grade is not a kill: it is
// logged to reports/mutation/grader-errors.log, which `npm run mutation` refuses.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sandboxSolutions = path.join(process.cwd(), 'solutions');
const { exercises } = JSON.parse(readFileSync(path.join(root, 'exercises', 'exercises.json'), 'utf8'));
const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;

/** The exercises whose file Stryker instrumented, with the instrumented source. */
function instrumented() {
  const found = [];
  for (const e of exercises) {
    let source;
    try {
      source = readFileSync(path.join(sandboxSolutions, e.folder, e.file), 'utf8');
    } catch {
      continue; // not copied into the sandbox
    }
    if (source.includes('stryMutAct_9fa48(')) found.push({ ...e, source });
  }
  return found;
}

let submission;

function fail(message) {
  if (submission) rmSync(submission, { recursive: true, force: true });
  mkdirSync(path.join(root, 'reports', 'mutation'), { recursive: true });
  appendFileSync(path.join(root, 'reports', 'mutation', 'grader-errors.log'), `mutant ${mutant ?? '(dry run)'}: ${message}\n`);
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const targets = instrumented().filter((e) => mutant === undefined || e.source.includes(`stryMutAct_9fa48("${mutant}")`));
if (targets.length === 0) fail(`no instrumented exercise file in ${sandboxSolutions} holds this mutant`);

submission = mkdtempSync(path.join(os.tmpdir(), 'gradlab-mutant-'));
try {
  for (const e of targets) {
    mkdirSync(path.join(submission, e.folder));
    // Stryker's header reads the active mutant from globalThis.__stryker__ before the environment
    const activate = mutant === undefined ? '' : `globalThis.__stryker__ = { activeMutant: ${JSON.stringify(mutant)} };\n`;
    writeFileSync(path.join(submission, e.folder, e.file), activate + e.source);
  }
  const args = [path.join(root, 'bin', 'gradlab.mjs'), 'grade', submission, '--format', 'json'];
  for (const e of targets) args.push('-e', e.slug);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  let result;
  try {
    result = JSON.parse(r.stdout);
  } catch {
    fail(`gradlab grade exited ${r.status} without JSON results: ${r.stderr.slice(-400)}`);
  }
  if (r.status !== 0) fail(`gradlab grade exited ${r.status}: ${r.stderr.slice(-400)}`);
  const lost = result.tests.filter((t) => t.score < t.maxScore);
  for (const t of lost) process.stdout.write(`${t.status}: ${t.name}\n`);
  process.exitCode = result.score < result.maxScore ? 1 : 0;
} finally {
  rmSync(submission, { recursive: true, force: true });
}
