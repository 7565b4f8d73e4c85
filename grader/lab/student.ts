/**
 * The student's functions, as the lab calls them: each exercise file compiled with the grader's
 * own compileExercise and run in its own Sandbox with the grading limits. Nothing of the
 * submission runs in this process; what comes back is checked for shape before it is used.
 *
 * A function that is missing, not implemented, throws, hangs or returns the wrong shape ends
 * the experiment that needed it (a Blocked error, with what to do next), not the command.
 */
import { loadManifest } from '../manifest.js';
import type { CompileResult } from '../sandbox/compile.js';
import { Sandbox, SandboxError } from '../sandbox/client.js';
import type { Matrix } from '../../exercises/lib/types.js';
import { ENTRYWISE } from './compile-own.js';

/** Why an experiment could not run, in words a student can act on ("implement mlpBackward to see this"). */
export class Blocked extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Blocked';
  }
}

/** Compiles one exercise file into one ES module (the grader's compileExercise in the course). */
export type Compile = (dir: string, folder: string, file: string) => Promise<CompileResult>;

export interface StudentOptions {
  /** A folder shaped like exercises/ (the student's exercises/, or solutions/ for the reference). */
  dir: string;
  compile: Compile;
  callTimeoutMs?: number;
}

export class StudentCode {
  private readonly sandboxes = new Map<string, Promise<Sandbox | Blocked>>();

  constructor(private readonly opts: StudentOptions) {}

  /** Calls `slug`'s `fn` in the sandbox; any failure becomes a Blocked that names the function. */
  async call<T = unknown>(slug: string, fn: string, ...args: unknown[]): Promise<T> {
    const sandbox = await this.sandbox(slug);
    try {
      return await sandbox.call(fn, ...args) as T;
    } catch (err) {
      throw blockedBy(slug, fn, err);
    }
  }

  /** `slug`'s one-argument `fn` on every entry of z, in one call (the ENTRYWISE export compile-own.ts adds). */
  async entrywise(slug: string, fn: string, z: Matrix): Promise<unknown> {
    const sandbox = await this.sandbox(slug);
    try {
      return await sandbox.call(ENTRYWISE, fn, z);
    } catch (err) {
      // the failure is the student's function's, not the helper's: say so by its name
      throw blockedBy(slug, fn, err instanceof SandboxError ? new SandboxError(err.kind, err.message.split(ENTRYWISE).join(fn), fn) : err);
    }
  }

  /** Calls `fn` once per argument list in one round trip; the first failure blocks. */
  async callMany<T = unknown>(slug: string, fn: string, argLists: unknown[][]): Promise<T[]> {
    const sandbox = await this.sandbox(slug);
    let results;
    try {
      results = await sandbox.callMany(fn, argLists);
    } catch (err) {
      throw blockedBy(slug, fn, err);
    }
    return results.map((r) => {
      if (!r.ok) throw blockedBy(slug, fn, r.error);
      return r.value as T;
    });
  }

  /** Stops every sandbox child. */
  async close(): Promise<void> {
    for (const s of this.sandboxes.values()) {
      const sb = await s;
      if (sb instanceof Sandbox) sb.close();
    }
    this.sandboxes.clear();
  }

  private async sandbox(slug: string): Promise<Sandbox> {
    let entry = this.sandboxes.get(slug);
    if (!entry) {
      entry = this.open(slug);
      this.sandboxes.set(slug, entry);
    }
    const sb = await entry;
    if (sb instanceof Blocked) throw sb;
    return sb;
  }

  private async open(slug: string): Promise<Sandbox | Blocked> {
    const ex = loadManifest().exercises.find((e) => e.slug === slug);
    if (!ex) return new Blocked(`exercise ${slug} is not part of this course yet`);
    const compiled = await this.opts.compile(this.opts.dir, ex.folder, ex.file);
    if (!compiled.ok) return new Blocked(compiled.message);
    return new Sandbox({
      code: compiled.code,
      label: `${ex.folder}/${ex.file}`,
      callTimeoutMs: this.opts.callTimeoutMs ?? 5000,
    });
  }
}

function blockedBy(slug: string, fn: string, err: unknown): Blocked {
  if (err instanceof Blocked) return err;
  if (err instanceof SandboxError) {
    if (err.kind === 'not-implemented' || err.kind === 'missing') return new Blocked(`implement ${fn} (${slug}) to see this`);
    if (err.kind === 'timeout') return new Blocked(`${fn} (${slug}) did not finish within its limits, so this experiment stopped: ${err.message}`);
    return new Blocked(`${fn} (${slug}) failed, so this experiment stopped: ${err.message}`);
  }
  return new Blocked(`${fn} (${slug}) failed: ${(err as Error)?.message ?? String(err)}`);
}

/** The value as a rows×cols matrix of numbers (NaN and ±Infinity allowed: they are the phenomenon). */
export function asMatrix(value: unknown, rows: number, cols: number, what: string): Matrix {
  const ok = Array.isArray(value) && value.length === rows &&
    value.every((r) => Array.isArray(r) && r.length === cols && r.every((v) => typeof v === 'number'));
  if (!ok) throw new Blocked(`${what} should be a ${rows}×${cols} matrix of numbers; fix it (its public tests show how) to see this`);
  return value as Matrix;
}

/** The value as a vector of n numbers. */
export function asVector(value: unknown, n: number, what: string): number[] {
  if (!Array.isArray(value) || value.length !== n || !value.every((v) => typeof v === 'number')) {
    throw new Blocked(`${what} should be a vector of ${n} numbers; fix it to see this`);
  }
  return value as number[];
}

/** The field of an object result, or a Blocked naming what is missing. */
export function field(value: unknown, key: string, what: string): unknown {
  if (!value || typeof value !== 'object' || !(key in value)) throw new Blocked(`${what} should return an object with '${key}'; fix it to see this`);
  return (value as Record<string, unknown>)[key];
}

/** An argument the sandbox replaces by the course's createRng(seed) (see child.mjs). */
export function seeded(seed: number): { __gradlabRng: number } {
  return { __gradlabRng: seed };
}
