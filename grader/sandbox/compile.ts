/**
 * Compiles the exercise files of submissions (their intake copies, see grader/intake.ts) into one ES
 * module string each, so the sandbox can load them from a `data:` URL without touching the file
 * system.
 *
 * The compiler is an attack surface (a few thousand nested brackets overflow rolldown's parser
 * stack and kill its process; a 10 KB sum `1+1+…+1` keeps it busy for minutes), so it never runs
 * in the grader's own process: each submission is compiled by a child (compile-child.mjs) under
 * Node's permission model (read access to the copy, the grader's exercises/lib and solutions/ and
 * rolldown's own package; no writes, no child processes), with a capped V8 heap, a capped address
 * space (`prlimit --as`, where util-linux has it), rolldown's threads pinned to one and a wall-clock
 * limit per exercise. A crash, a timeout or an exhausted memory is a compile error of the exercise
 * being compiled; the child is restarted for the submission's next exercise. At most
 * `concurrency` children run at once (2: the machines that grade have two cores).
 *
 * Import resolution (the course contract) lives in compile-child.mjs; this module turns its
 * answers into messages that name the student's file and line, never a grader path, in a few lines.
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { intakeSubmission, refusalsFor, type Intake } from '../intake.js';
import { loadManifest, type ManifestExercise } from '../manifest.js';
import { LIB_DIR, ROOT, SOLUTIONS_DIR } from '../paths.js';
import { OWN_EXERCISES, servedFunctions } from './oracle-access.js';

export type CompileResult =
  /**
   * `own`: for an exercise another may use the student's own functions of (01, 02: OWN_EXERCISES),
   * the same module as a plain script, which another exercise's sandbox runs in a realm of its own
   * (child.mjs) to use the student's own functions where they pass their checks (harness.ts).
   * `uses`: the contract functions of other exercises the module imports, by exercise folder.
   */
  | { ok: true; code: string; own?: string; uses?: Record<string, string[]> }
  | { ok: false; kind: 'missing' | 'compile'; message: string };

export interface CompileOptions {
  /** Wall-clock limit for one exercise (default 30 s; a normal file takes about 10 ms). */
  timeoutMs?: number;
  /** Address-space limit of a compiler process in MB (default 2048; Node and rolldown start in ~1.2 GB of it). */
  addressSpaceMb?: number;
  /** V8 heap of a compiler process in MB (default 256). */
  heapMb?: number;
  /** Compiler processes at once (default 2). */
  concurrency?: number;
  /**
   * How another exercise's contract functions are compiled (see compile-child.mjs): 'oracle'
   * (default; grading) as stubs answered by the reference outside the student's process,
   * 'reference' (the lab, in the course) with the reference bundled in.
   */
  crossImports?: 'oracle' | 'reference';
}

export const COMPILE_CHILD = path.join(ROOT, 'grader', 'sandbox', 'compile-child.mjs');
/** A longer compiler message is cut: the first lines say where the problem is. */
export const COMPILE_MESSAGE_MAX = 1500;
const STDOUT_MAX = 64 * 1024 * 1024;

const permissionFlag = Number(process.versions.node.split('.')[0]) >= 22 ? '--permission' : '--experimental-permission';

/** rolldown's package and its native binding's scope folder: the compiler may read these. */
function rolldownPaths(): { dir: string; scope: string; main: string; experimental: string } {
  const require = createRequire(path.join(ROOT, 'package.json'));
  const pkgFile = require.resolve('rolldown/package.json');
  const dir = realpathSync(path.dirname(pkgFile));
  const exportsMap = (require(pkgFile) as { exports: Record<string, string | { import?: string }> }).exports;
  const entry = (key: string): string => {
    const e = exportsMap[key];
    return pathToFileURL(path.join(dir, typeof e === 'string' ? e : e.import ?? '')).href;
  };
  return { dir, scope: realpathSync(path.join(path.dirname(path.dirname(pkgFile)), '@rolldown')), main: entry('.'), experimental: entry('./experimental') };
}

/** `prlimit` (util-linux) where it exists: the address-space cap; elsewhere only the heap cap applies. */
function findPrlimit(): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter).concat(['/usr/bin', '/bin'])) {
    const candidate = path.join(dir, 'prlimit');
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

/** Runs `jobs` with at most `limit` at once, keeping their order in the results. */
async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  return results;
}

/**
 * Compiles the chosen exercises of every submission; results[s][e] for intakes[s] and exercises[e].
 * The intakes hold every exercise of the course (an exercise may import another's helpers).
 */
export async function compileSubmissions(intakes: Intake[], exercises: ManifestExercise[], opts: CompileOptions = {}): Promise<CompileResult[][]> {
  const rolldown = rolldownPaths();
  const prlimit = findPrlimit();
  return pool(intakes.map((intake) => () => compileSubmission(intake, exercises, opts, rolldown, prlimit)), opts.concurrency ?? 2);
}

/**
 * One exercise of one submission folder: intake, compile in a child, remove the copy. For callers
 * that want a single module (the lab); grading compiles whole classes with compileSubmissions.
 */
export async function compileExercise(dir: string, folder: string, file: string, opts: CompileOptions = {}): Promise<CompileResult> {
  const ex = loadManifest().exercises.find((e) => e.folder === folder && e.file === file);
  if (!ex) return { ok: false, kind: 'missing', message: `${folder}/${file} is not an exercise of this course` };
  const intake = intakeSubmission(dir);
  try {
    const [[result]] = await compileSubmissions([intake], [ex], { crossImports: 'reference', ...opts });
    return result;
  } finally {
    intake.cleanup();
  }
}

async function compileSubmission(
  intake: Intake, exercises: ManifestExercise[], opts: CompileOptions,
  rolldown: ReturnType<typeof rolldownPaths>, prlimit: string | null,
): Promise<CompileResult[]> {
  const results = new Map<string, CompileResult>();
  const jobs: string[] = [];
  for (const ex of exercises) {
    const decided = decideWithoutCompiling(intake, ex);
    if (decided) results.set(ex.folder, decided);
    else jobs.push(ex.folder);
  }
  // one child compiles the submission's exercises one after another; after a crash or a timeout
  // the exercise it was on gets the error and a new child takes the rest
  while (jobs.length > 0) {
    const outcome = await runChild(intake.root, jobs, opts, rolldown, prlimit, crossImportRequest(opts.crossImports ?? 'oracle'));
    for (const [folder, line] of outcome.answered) {
      const ex = exercises.find((e) => e.folder === folder) as ManifestExercise;
      results.set(folder, fromChild(intake, ex, line));
      jobs.splice(jobs.indexOf(folder), 1);
    }
    if (outcome.failure && jobs.length > 0) {
      const folder = jobs.shift() as string;
      const ex = exercises.find((e) => e.folder === folder) as ManifestExercise;
      results.set(folder, { ok: false, kind: 'compile', message: capMessage(withRefusals(intake, ex, failureMessage(ex, outcome.failure))) });
    }
  }
  return exercises.map((ex) => results.get(ex.folder) as CompileResult);
}

/** A missing or refused exercise file is decided without starting the compiler. */
function decideWithoutCompiling(intake: Intake, ex: ManifestExercise): CompileResult | null {
  const own = `${ex.folder}/${ex.file}`;
  const refused = refusalsFor(intake, ex.folder).find((r) => r.path === '.' || r.path === ex.folder || r.path === own);
  if (refused) return { ok: false, kind: 'compile', message: capMessage(`${refused.reason}.`) };
  if (intake.found.some((f) => f.folder === ex.folder)) return null;
  const where = intake.layout === 'by-name'
    ? ` No file named ${ex.file} was found anywhere in the submission (files are matched by name: ${intake.found.map((f) => f.file).join(', ') || 'none'} found).`
    : '';
  return { ok: false, kind: 'missing', message: capMessage(`${own} is missing from the submission: create it from the exercise's stub (exercises/${own}).${where}`) };
}

interface ChildLine { folder: string; ok: boolean; code?: string; own?: string; uses?: Record<string, string[]>; kind?: 'syntax' | 'imports'; message?: string }
interface ChildFailure { kind: 'crash' | 'timeout' | 'memory' | 'protocol'; detail: string }

function fromChild(intake: Intake, ex: ManifestExercise, line: ChildLine): CompileResult {
  if (line.ok && typeof line.code === 'string') {
    return { ok: true, code: line.code, ...(typeof line.own === 'string' ? { own: line.own } : {}), ...(line.uses ? { uses: line.uses } : {}) };
  }
  const text = cleanCompilerText(String(line.message ?? ''), intake.root);
  const own = `${ex.folder}/${ex.file}`;
  const message = line.kind === 'imports'
    ? `${own} cannot be compiled: ${text}. Import only ../lib/<module>, another exercise's file (../01-activations/activations) or files in the exercise's own folder.`
    : `${own} does not compile: ${text}\nFix the line shown; \`npx vitest run exercises/${ex.folder}\` shows the same error.`;
  return { ok: false, kind: 'compile', message: capMessage(withRefusals(intake, ex, message)) };
}

function failureMessage(ex: ManifestExercise, failure: ChildFailure): string {
  const own = `${ex.folder}/${ex.file}`;
  switch (failure.kind) {
    case 'timeout': return `${own} does not compile: compiling it took longer than ${failure.detail}, so it was stopped. A normal file compiles in a fraction of a second: look for a huge generated expression (thousands of terms) and write it as a loop.`;
    case 'memory': return `${own} does not compile: the compiler ran out of memory on it. Look for a huge generated expression or literal and write it as a loop.`;
    case 'crash': return `${own} does not compile: the compiler crashed on it (${failure.detail}). This happens with code nested thousands of levels deep (brackets, parentheses): flatten it.`;
    default: return `${own} could not be compiled (${failure.detail}); grade again, and tell the course staff if it persists.`;
  }
}

/** Adds what the intake refused in this exercise's folder: a missing import is often a refused link. */
function withRefusals(intake: Intake, ex: ManifestExercise, message: string): string {
  const refused = refusalsFor(intake, ex.folder);
  if (refused.length === 0) return message;
  return `${message}\nNot copied from the submission: ${refused.slice(0, 3).map((r) => r.reason).join('; ')}${refused.length > 3 ? `; and ${refused.length - 3} more` : ''}.`;
}

/**
 * A compiler message as a student may read it: paths relative to the submission, no grader path
 * (the copy, the course folder), no escape codes, a few lines.
 */
export function cleanCompilerText(text: string, copyRoot: string): string {
  let out = text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
  // the grader's virtual modules, as rolldown prints them (a NUL, or the two characters \0, in front)
  out = out.replace(/(?:\\0|\0)?gradlab-cross:([0-9A-Za-z_-]+):\w+/g, (_m, folder: string) => `../${folder}`).replace(/(?:\\0|\0)?gradlab-entry/g, 'the exercise');
  for (const [dir, shown] of [[copyRoot, ''], [path.join(SOLUTIONS_DIR), 'the course\'s '], [LIB_DIR, 'exercises/lib'], [ROOT, 'the course']] as const) {
    out = out.split(dir + path.sep).join(shown).split(dir).join(shown);
  }
  // any other absolute path (a temporary folder, a home directory) is not the student's business
  out = out.replace(/(^|[\s'"`([])(\/[^\s'"`:()[\]]+)/gm, (m, before: string, p: string) => (p.split('/').length > 2 ? `${before}<path>` : m));
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
  return out.split('\n').map((l) => l.trimEnd()).filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== '')).slice(0, 12).join('\n').trim();
}

/** Every compile message is capped: a few lines say where; 20,000 of the same say nothing more. */
export function capMessage(message: string): string {
  return message.length <= COMPILE_MESSAGE_MAX ? message : `${message.slice(0, COMPILE_MESSAGE_MAX - 1)}…`;
}

/** What the compiler child needs to know to write cross-exercise imports in `mode`. */
function crossImportRequest(mode: 'oracle' | 'reference' | 'bundle'): Record<string, unknown> {
  const exercises = loadManifest().exercises;
  if (mode === 'reference') return { mode };
  if (mode === 'bundle') return { mode, bundle: exercises.filter((e) => servedFunctions(e, '').length > 0).map((e) => ({ folder: e.folder, file: e.file, functions: e.functions })) };
  const served = Object.fromEntries(exercises.map((graded) => [graded.folder,
    Object.fromEntries(exercises.map((target) => [target.folder, servedFunctions(target, graded.folder)]))]));
  return { mode, served, own: OWN_EXERCISES };
}

/**
 * The module the oracle runs (client.ts, Oracle): every served exercise's reference solution in
 * one ES module, compiled by a compiler child like a submission. Only the trusted side holds it.
 */
export async function compileReference(opts: CompileOptions = {}): Promise<string> {
  const outcome = await runChild(SOLUTIONS_DIR, ['reference'], opts, rolldownPaths(), findPrlimit(), crossImportRequest('bundle'));
  const line = outcome.answered[0]?.[1];
  if (!line?.ok || typeof line.code !== 'string') {
    throw new Error(`the course's reference solutions do not compile (${line?.message ?? outcome.failure?.detail ?? 'no answer'}); run \`npm test\` in the course`);
  }
  return line.code;
}

function runChild(
  root: string, jobs: string[], opts: CompileOptions,
  rolldown: ReturnType<typeof rolldownPaths>, prlimit: string | null, extra: Record<string, unknown>,
): Promise<{ answered: Array<[string, ChildLine]>; failure?: ChildFailure }> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const nodeArgs = [
    permissionFlag, '--allow-addons',
    // each path once: Node 20's permission model aborts on a path given twice
    ...[...new Set([root, LIB_DIR, SOLUTIONS_DIR, rolldown.dir, rolldown.scope, COMPILE_CHILD])].map((p) => `--allow-fs-read=${p}`),
    `--max-old-space-size=${opts.heapMb ?? 256}`, '--no-warnings', COMPILE_CHILD,
  ];
  const [command, args] = prlimit
    ? [prlimit, [`--as=${(opts.addressSpaceMb ?? 2048) * 1024 * 1024}`, '--', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const child = spawn(command, args, {
    cwd: root,
    // one thread for rolldown (the address space stays the same on a 64-core machine), nothing else
    env: { RAYON_NUM_THREADS: '1', ROLLDOWN_WORKER_THREADS: '1', TOKIO_WORKER_THREADS: '1', MALLOC_ARENA_MAX: '2' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const answered: Array<[string, ChildLine]> = [];
  let failure: ChildFailure | undefined;
  let buffered = '';
  let received = 0;
  let stderr = '';
  let timer: NodeJS.Timeout;
  const armTimer = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      failure ??= { kind: 'timeout', detail: `${Math.round(timeoutMs / 1000)} s` };
      child.kill('SIGKILL');
    }, timeoutMs);
  };
  armTimer();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    received += chunk.length;
    if (received > STDOUT_MAX) {
      failure ??= { kind: 'protocol', detail: 'the compiled module is too large' };
      child.kill('SIGKILL');
      return;
    }
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let line: ChildLine | null = null;
      try { line = JSON.parse(text) as ChildLine; } catch { /* not ours */ }
      const expected = jobs[answered.length];
      if (!line || line.folder !== expected) {
        failure ??= { kind: 'protocol', detail: 'the compiler answered out of turn' };
        child.kill('SIGKILL');
        return;
      }
      answered.push([expected, line]);
      armTimer();
      // every answer is in: end the child now. Left alone it takes ≈ 1 s more to exit (rolldown's
      // threads wind down), and grading waits for it: a third of the wall time of `gradlab grade`
      if (answered.length === jobs.length) child.kill('SIGKILL');
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4096); });
  child.stdin.on('error', () => { /* the child died before reading: its exit says why */ });
  child.stdin.end(JSON.stringify({
    root, libDir: LIB_DIR, solutionsDir: SOLUTIONS_DIR, rolldown: rolldown.main, experimental: rolldown.experimental,
    // every exercise of the course: the contract's names of each, for imports between exercises
    exercises: loadManifest().exercises.map((e) => ({ folder: e.folder, file: e.file, functions: e.functions })), jobs, ...extra,
  }));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!failure && answered.length < jobs.length) {
        const memory = /out of memory|\bOOM\b|memory allocation of|Allocation failed|Cannot allocate memory|std::bad_alloc/i.test(stderr);
        failure = memory ? { kind: 'memory', detail: '' } : { kind: 'crash', detail: signal ? `signal ${signal}` : `exit code ${code}` };
        if (process.env.GRADLAB_DEBUG) process.stderr.write(`gradlab: compiler stderr: ${stderr}\n`);
      }
      resolve({ answered, failure });
    });
    child.on('error', (err) => {
      failure ??= { kind: 'protocol', detail: `the compiler did not start: ${err.message}` };
    });
  });
}
