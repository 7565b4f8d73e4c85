/**
 * Runs the public tests of some exercises in one vitest run (the student's own files, as
 * `npx vitest run exercises/…` does) for `gradlab check`, and says what happened to each test.
 * Every test file runs in its own worker under watchdog.ts, which kills the worker when a test
 * (or the import of the student's module) uses more CPU time than grading allows one call;
 * what the worker finished before it died is read back from its journal.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import type { ManifestExercise } from '../manifest.js';
import { quietStreams } from '../quiet.js';
import { adoptTempFolder, makeTempFolder, removeTempFolder } from '../temp-folders.js';

/** The CPU time a single public test may use: the same as one graded call (the sandbox's default limit). */
export const TEST_CPU_MS = 5000;
/** A wall-clock backstop for a test that waits instead of computing; far above what load alone causes. */
export const TEST_WALL_MS = 10 * TEST_CPU_MS;

export interface PublicTest { name: string; state: 'passed' | 'failed' | 'not-run'; message?: string }

export type Problem =
  | { kind: 'no-tests'; message: string }
  | { kind: 'compile'; message: string }
  | { kind: 'load'; message: string }
  | { kind: 'stopped'; message: string };

export interface ExerciseOutcome {
  exercise: ManifestExercise;
  tests: PublicTest[];
  /** Why some or all of the exercise's tests did not give a result. */
  problem?: Problem;
}

interface Journal { file: string; running: string; done: { name: string; state: 'passed' | 'failed'; message?: string }[] }

/** The setup file that bounds each test: the compiled .js next to this module, or the .ts source under vitest. */
function watchdogFile(): string {
  const js = fileURLToPath(new URL('./watchdog.js', import.meta.url));
  return existsSync(js) ? js : js.replace(/\.js$/, '.ts');
}

export function publicTestFile(root: string, ex: ManifestExercise): string {
  return path.join(root, 'exercises', ex.folder, ex.file.replace(/\.ts$/, '.test.ts'));
}

/** 'Transform failed … [PARSE_ERROR] Unexpected token … ╭─[ exercises/01-activations/activations.ts:3:19 ]' → 'exercises/…/activations.ts:3:19: Unexpected token' */
export function describeModuleError(raw: string, root: string): Problem {
  const text = stripVTControlCharacters(raw).split(root + path.sep).join('');
  const parse = /\[([A-Z_]+_ERROR)\]\s*(.+)/.exec(text);
  const where = /\[\s*([^\]\s]+:\d+:\d+)\s*\]/.exec(text);
  if (/^Transform failed|\[PARSE_ERROR\]|SyntaxError/.test(text)) {
    const what = parse?.[2].trim() ?? text.split('\n').find((l) => l.trim())?.trim() ?? 'syntax error';
    return { kind: 'compile', message: where ? `${where[1]}: ${what}` : what };
  }
  return { kind: 'load', message: text.split('\n').find((l) => l.trim())?.trim() ?? 'the test file could not be loaded' };
}

function readJournals(dir: string): { journals: Journal[]; killed: Map<string, number> } {
  const journals: Journal[] = [];
  const killed = new Map<string, number>();
  for (const name of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, name), 'utf8');
    if (name.endsWith('.json')) journals.push(JSON.parse(text) as Journal);
  }
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.killed')) continue;
    const journal = JSON.parse(readFileSync(path.join(dir, name.replace(/\.killed$/, '.json')), 'utf8')) as Journal;
    killed.set(path.resolve(journal.file), (JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { cpuMs: number }).cpuMs);
  }
  return { journals, killed };
}

/** What a dead worker had finished, plus the test it was running and those it never reached. */
function fromJournal(journal: Journal | undefined, allNames: string[], cpuMs: number | undefined): { tests: PublicTest[]; problem: Problem } {
  const done = journal?.done ?? [];
  const running = journal?.running ?? '';
  const step = running ? `the test '${running}'` : 'importing your module';
  const problem: Problem = cpuMs !== undefined
    ? { kind: 'stopped', message: `${step} was stopped after ${(cpuMs / 1000).toFixed(1)} s of CPU time (the limit is ${TEST_CPU_MS / 1000} s, as in grading): an infinite loop?` }
    : { kind: 'stopped', message: `the test process died during ${step} (out of memory, or process.exit in your code?)` };
  const seen = new Set(done.map((t) => t.name));
  const rest = allNames.filter((n) => !seen.has(n)).map((name): PublicTest => ({ name, state: 'not-run', message: name === running ? problem.message : undefined }));
  return { tests: [...done.map((t): PublicTest => ({ ...t })), ...rest], problem };
}

/** Runs the public tests of `exercises` found under `root`/exercises; never throws for student code. */
export async function runPublicTests(root: string, exercises: ManifestExercise[]): Promise<ExerciseOutcome[]> {
  const files = exercises.map((ex) => publicTestFile(root, ex));
  const journalDir = makeTempFolder('gradlab-check-');
  const { createVitest } = await import('vitest/node');
  const exitCode = process.exitCode;
  const vitest = await createVitest('test', {
    root, config: false, watch: false, reporters: [{}], pool: 'forks', coverage: { enabled: false },
    setupFiles: [watchdogFile()], testTimeout: TEST_WALL_MS, hookTimeout: TEST_WALL_MS,
    env: { GRADLAB_CHECK_DIR: journalDir, GRADLAB_CHECK_CPU_MS: String(TEST_CPU_MS) },
  }, {}, quietStreams());
  const project = vitest.getRootProject();
  adoptTempFolder(project.tmpDir); // vitest's transformed modules: removed by close(), or by us if interrupted first
  try {
    await vitest.runTestSpecifications(files.filter((f) => existsSync(f)).map((f) => project.createSpecification(f)));
    const modules = vitest.state.getTestModules();
    const { journals, killed } = readJournals(journalDir);
    return exercises.map((exercise, i): ExerciseOutcome => {
      const file = files[i];
      if (!existsSync(file)) return { exercise, tests: [], problem: { kind: 'no-tests', message: `no public tests: ${path.relative(root, file)} is missing` } };
      const mod = modules.find((m) => path.resolve(m.moduleId) === file);
      const tests = mod ? [...mod.children.allTests()] : [];
      const journal = journals.find((j) => path.resolve(j.file) === file);
      const moduleError = mod?.errors()[0]?.message;
      if (killed.has(file) || (journal && tests.some((t) => t.result().state === 'pending'))) {
        return { exercise, ...fromJournal(journal, tests.map((t) => t.fullName), killed.get(file)) };
      }
      if (moduleError !== undefined && tests.length === 0) return { exercise, tests: [], problem: describeModuleError(moduleError, root) };
      return {
        exercise,
        tests: tests.map((t): PublicTest => {
          const r = t.result();
          return { name: t.fullName, state: r.state === 'passed' ? 'passed' : r.state === 'failed' ? 'failed' : 'not-run', message: r.errors?.[0]?.message };
        }),
      };
    });
  } finally {
    await vitest.close();
    process.exitCode = exitCode;
    removeTempFolder(journalDir);
    removeTempFolder(project.tmpDir);
  }
}
