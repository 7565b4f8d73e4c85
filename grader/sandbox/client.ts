/**
 * The trusted side of the sandbox: spawns the child (child.mjs) under Node's permission model,
 * loads a compiled student module into it and calls its exports over IPC with structured clone.
 *
 * Every call has a limit on the CPU time the child spends on it (read from /proc by this process,
 * see cpu-time.ts), so a busy machine never turns a correct call into a timeout; a backstop on the
 * wall time the child spends waiting (not runnable: sleeping or stopped, never waiting for a core),
 * ten times longer, stops a child that waits forever without computing. Past either the child is
 * killed and the next call respawns it. Without /proc (macOS, Windows) the limit is wall
 * time. A module that cannot load (throws, exits, hangs at import) is remembered, so later calls
 * fail at once instead of paying the limit again (one killed by a signal is retried once in a fresh
 * child and not remembered: see spawnAndLoad); a function that timed out once is not called again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { CHILD_SCRIPT } from '../paths.js';
import { addressSpaceMb, confinedNode } from './confine.js';
import { CpuClock } from './cpu-time.js';
import { makeTempFolder, removeTempFolder } from '../temp-folders.js';

export type FailureKind = 'missing' | 'not-implemented' | 'error' | 'timeout' | 'crash';

/** A call that did not return a value: why, in words a student can act on. */
export class SandboxError extends Error {
  constructor(readonly kind: FailureKind, message: string, readonly fn?: string) {
    super(message);
    this.name = 'SandboxError';
  }
}

export interface SandboxOptions {
  /** The compiled ES module (one piece, see compile.ts). */
  code: string;
  /** Names the module in messages, e.g. '01-activations/activations.ts'. */
  label: string;
  /** CPU time one call (or one batch of callMany) may use, in ms (default 5000); wall time where there is no /proc. */
  callTimeoutMs?: number;
  /** CPU time spawning the child and importing the module may use, in ms (default 5000). */
  loadTimeoutMs?: number;
  /**
   * How long a call may wait without computing (the child seen sleeping or stopped, not waiting
   * for a core, so load does not count), in ms (default: 10 × the CPU limit, at least 10 s).
   */
  callIdleLimitMs?: number;
  heapMb?: number;
}

/** One call as it happened: kept so known mistakes can be diagnosed from the same outputs. */
export interface CallRecord {
  fn: string;
  args: unknown[];
  ok: boolean;
  value?: unknown;
  error?: { name: string; message: string };
  /** The arguments as they were after the call (to see whether the student mutated an input). */
  argsAfter?: unknown[] | null;
  /** For a call of callVariants: the change made to `args` for this call. */
  edit?: ArgEdit;
}

/** What one call of a batch gave: its value, or why it did not return one. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: SandboxError };

/** Add `delta` to the entry at `index` ([i] or [i, j]) of the vector or matrix found at `path` in the arguments. */
export interface ArgEdit { path: (string | number)[]; index: number[]; delta: number }

interface ErrorInfo { name: string; message: string }
type CallReply = { ok: true; value: unknown; argsAfter: unknown[] | null } | { ok: false; error: ErrorInfo };
type Reply = { ok: true; exports?: Record<string, string>; results?: CallReply[] } & Partial<CallReply> | { ok: false; error: ErrorInfo };

interface Pending { resolve: (r: Reply) => void; reject: (e: SandboxError) => void; timer: NodeJS.Timeout; clock: CpuClock; what: string; child: ChildProcess }

/** What a request may spend: CPU time, and time waiting without computing as a backstop. */
interface Limit { cpuMs: number; idleMs: number }

/** The default idle backstop for a CPU limit. */
export function idleBackstopMs(cpuMs: number): number {
  return Math.max(10 * cpuMs, 10_000);
}

/** 1500 → '1.5 s' */
const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** A reply that does not have the shape it claims (the child is hostile: check, never trust). */
class MalformedReply extends Error {}

/**
 * How deep a reply may nest: the child packs at depth ≤ 6 (child.mjs, packLarge) and no exercise
 * returns anything near this; deeper is refused rather than left for the suites to walk.
 */
const MAX_REPLY_DEPTH = 32;

/**
 * How many entries (array slots, object keys, numbers of a packed matrix) one reply may hold,
 * counted each time a value is reached, so that a shared reference counts every time it is used.
 * Structured clone keeps shared references and sparse arrays, so a reply of a few bytes can stand
 * for a tree of 16⁸ arrays or an array of length 2³² − 1: walking it (here, in JSON.stringify or in
 * a suite's loop) would hold the grading worker, and every classmate it grades, for hours. The
 * largest honest reply is 03's 20 layers of 256×256 (1.3 M numbers, packed); a 4 M-entry array
 * still arrives, for the suite to refuse by its length.
 */
export const MAX_REPLY_ENTRIES = 10_000_000;

/** What is left of a reply's MAX_REPLY_ENTRIES (one budget for a whole batch of callMany or callVariants). */
export interface ReplyBudget { left: number }
export const replyBudget = (): ReplyBudget => ({ left: MAX_REPLY_ENTRIES });

function spend(budget: ReplyBudget, entries: number): void {
  budget.left -= entries;
  if (budget.left < 0) throw new MalformedReply(`a value of more than ${MAX_REPLY_ENTRIES} entries in all (a shared reference counts each time it is used, an array by its length)`);
}

/**
 * A matrix as the child packed it (see child.mjs, packLarge): `rows` × `cols` entries, row by row,
 * in one Float64Array. What `callPacked` returns in place of number[][] for a caller that computes
 * on the numbers directly (building thousands of arrays cost more than the computation).
 */
export class PackedMatrix {
  constructor(readonly rows: number, readonly cols: number, readonly data: Float64Array) {}
}

/**
 * Rebuilds the number[][] matrices the child packed into Float64Arrays (see child.mjs, packLarge),
 * or with `keepPacked` hands them over as PackedMatrix.
 * A packed matrix must be exactly what the child makes: a Float64Array of rows × cols entries,
 * both whole numbers ≥ 1, so what is built here is never larger than the bytes that arrived.
 * The whole value is walked and must fit MAX_REPLY_DEPTH and `budget` (see MAX_REPLY_ENTRIES), so
 * nothing that walks it later can be made to loop for long. Throws MalformedReply otherwise (a
 * forged `{ rows: 2e7, cols: 0 }` would build 2e7 arrays).
 */
export function unpackLarge(value: unknown, depth = 0, keepPacked = false, budget: ReplyBudget = replyBudget()): unknown {
  if (!value || typeof value !== 'object') return value;
  if (depth > MAX_REPLY_DEPTH) throw new MalformedReply(`a value nested more than ${MAX_REPLY_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    spend(budget, value.length); // before the walk: a sparse array's length costs the walk, not its bytes
    return value.map((v) => unpackLarge(v, depth + 1, keepPacked, budget));
  }
  const v = value as Record<string, unknown>;
  if (Object.getPrototypeOf(v) !== Object.prototype) return value;
  if (Object.hasOwn(v, PACKED)) {
    const { [PACKED]: data, rows, cols } = v;
    if (!(data instanceof Float64Array) || !Number.isInteger(rows) || !Number.isInteger(cols)
      || (rows as number) < 1 || (cols as number) < 1 || (rows as number) * (cols as number) !== data.length) {
      throw new MalformedReply(`a packed matrix whose shape does not match its data (rows ${String(rows).slice(0, 20)}, cols ${String(cols).slice(0, 20)})`);
    }
    spend(budget, data.length);
    if (keepPacked) return new PackedMatrix(rows as number, cols as number, data);
    const out: number[][] = new Array(rows as number);
    for (let i = 0; i < (rows as number); i++) out[i] = Array.from(data.subarray(i * (cols as number), (i + 1) * (cols as number)));
    return out;
  }
  const keys = Object.keys(v);
  spend(budget, keys.length);
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = unpackLarge(v[k], depth + 1, keepPacked, budget);
  return out;
}
const PACKED = '__gradlabF64';

/**
 * Unpacks one call's value and checks its arguments after the call against the same budget (they
 * are walked later too); a malformed or oversized reply makes that call an error.
 */
function unpackCall(r: CallReply, keepPacked = false, budget: ReplyBudget = replyBudget()): CallReply {
  if (!r.ok) return r;
  try {
    return { ...r, value: unpackLarge(r.value, 0, keepPacked, budget), argsAfter: unpackLarge(r.argsAfter, 0, false, budget) as unknown[] | null };
  } catch (err) {
    if (!(err instanceof MalformedReply)) throw err;
    return { ok: false, error: { name: 'ResultError', message: `returned a value the grader refuses: ${err.message}; return plain numbers, arrays and objects` } };
  }
}

const SAME = '__gradlabSame';

/**
 * The arguments after a call as the child reported them, with each `{ __gradlabSame: 1 }` (an
 * argument the call left unchanged, see child.mjs) read as the argument that was sent. Anything
 * but an array of the arguments' length is no report (null), as the child may be hostile.
 */
export function argsAfterOf(reported: unknown, args: unknown[] | undefined): unknown[] | null {
  if (!Array.isArray(reported) || !Array.isArray(args) || reported.length !== args.length) return null;
  return reported.map((a, i) => (a && typeof a === 'object' && !Array.isArray(a) && Object.keys(a).length === 1 && Object.hasOwn(a, SAME) ? args[i] : a));
}

/** Caps on what the child's words may add to a report (the child caps them too; it may lie). */
const MAX_NAME = 200;
const MAX_MESSAGE = 2000;
const MAX_EXPORTS = 1000;

/**
 * A reply has the shape the protocol code sends; anything else is noise from student code.
 * Cuts error names and messages and the list of exports to their caps on the way.
 */
function isReply(r: unknown): r is Reply {
  if (!r || typeof r !== 'object') return false;
  const reply = r as { ok?: unknown; error?: { name?: unknown; message?: unknown }; exports?: unknown; results?: unknown };
  if (reply.ok === true) {
    if (reply.exports !== undefined) {
      if (!reply.exports || typeof reply.exports !== 'object') return false;
      const entries = Object.entries(reply.exports).filter(([k, t]) => k.length <= MAX_NAME && typeof t === 'string').slice(0, MAX_EXPORTS);
      reply.exports = Object.fromEntries(entries.map(([k, t]) => [k, (t as string).slice(0, 20)]));
    }
    if (reply.results !== undefined && !Array.isArray(reply.results)) return false;
    for (const c of (reply.results ?? []) as unknown[]) if (!isCallReply(c)) return false;
    return true;
  }
  return isCallReply(reply);
}

function isCallReply(c: unknown): boolean {
  if (!c || typeof c !== 'object') return false;
  const r = c as { ok?: unknown; error?: { name?: unknown; message?: unknown } };
  if (r.ok === true) return true;
  if (r.ok !== false || !r.error || typeof r.error.name !== 'string' || typeof r.error.message !== 'string') return false;
  r.error = { name: r.error.name.slice(0, MAX_NAME), message: r.error.message.slice(0, MAX_MESSAGE) };
  return true;
}

/**
 * What V8 and Node say when memory runs out: on stderr at a crash, or in a RangeError. Node ≥ 24's
 * Buffer says "Failed to allocate memory" where Node 20's said "Array buffer allocation failed".
 */
const OUT_OF_MEMORY = /heap out of memory|allocation failed|could not allocate memory|Failed to allocate memory|Fatal process OOM|Failed to reserve|Cannot allocate memory/i;

const permissionFlag = Number(process.versions.node.split('.')[0]) >= 22 ? '--permission' : '--experimental-permission';

/**
 * How much more buffer memory (process.memoryUsage().arrayBuffers) this process may hold while a
 * request is pending. Node's IPC keeps every byte of a message until its announced length (up to
 * 2 GB) has arrived, and student code can reach the raw channel: 64 MB written over and over made
 * this process hold 1 GB in about a second with 0.35 s of the child's CPU. The largest honest reply
 * (03's 20 layers of 256×256, 10.5 MB; weird-returns' 4 M-entry array, ≈ 40 MB) is far below.
 */
export const MAX_INCOMING_BYTES = 512 * 2 ** 20;

interface ExitInfo { bySignal: NodeJS.Signals | null; outOfMemory: boolean }

/**
 * How a child ended. bwrap exits with 128 + N when the process it runs is killed by signal N, so
 * such a code is read as that signal (a student's `process.exit(137)` looks the same: it is then
 * retried once, see spawnAndLoad, and costs only its own time).
 */
function exitOf(code: number | null, signal: NodeJS.Signals | null, stderrTail: string): ExitInfo {
  let bySignal = signal;
  if (!bySignal && code !== null && code > 128) {
    bySignal = (Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0] as NodeJS.Signals | undefined) ?? null;
  }
  return { bySignal, outOfMemory: OUT_OF_MEMORY.test(stderrTail) };
}

/** A handle the child stands for an opaque value (such as a cache) that stays in the sandbox. */
export interface Handle { __gradlabHandle: number }

export class Sandbox {
  readonly records: CallRecord[] = [];
  private child: ChildProcess | null = null;
  private ready: Promise<Record<string, string>> | null = null;
  private loadError: SandboxError | null = null;
  private readonly timedOut = new Set<string>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail = '';
  /** How the last child ended: a signal (bwrap reports its child's as exit code 128 + N) and whether memory ran out. */
  private lastExit: ExitInfo = { bySignal: null, outOfMemory: false };
  private token = '';
  private readonly callLimit: Limit;
  private readonly loadLimit: Limit;
  private readonly heapMb: number;
  private cpuSpentMs = 0;
  /** Removes the working directories of children that have not reported their exit yet. */
  private readonly cleanups = new Set<() => void>();

  constructor(private readonly opts: SandboxOptions) {
    const callCpuMs = opts.callTimeoutMs ?? 5000;
    const loadCpuMs = opts.loadTimeoutMs ?? 5000;
    this.callLimit = { cpuMs: callCpuMs, idleMs: opts.callIdleLimitMs ?? idleBackstopMs(callCpuMs) };
    this.loadLimit = { cpuMs: loadCpuMs, idleMs: idleBackstopMs(loadCpuMs) };
    this.heapMb = opts.heapMb ?? 256;
  }

  /** The module's exports and their `typeof`, loading it if needed. */
  async exports(): Promise<Record<string, string>> {
    if (this.loadError) throw this.loadError;
    if (!this.ready) this.ready = this.spawnAndLoad();
    return this.ready;
  }

  /** Calls `fn(...args)` in the sandbox and returns its (cloned) result. */
  async call(fn: string, ...args: unknown[]): Promise<unknown> {
    return this.callOne(fn, args, false);
  }

  /**
   * As `call`, but a large matrix in the result (one the child packs, see child.mjs) comes as a
   * PackedMatrix instead of number[][]; a matrix the child did not pack (small, ragged, not all
   * numbers) stays as it came. The call's record holds the same value.
   */
  async callPacked(fn: string, ...args: unknown[]): Promise<unknown> {
    return this.callOne(fn, args, true);
  }

  private async callOne(fn: string, args: unknown[], keepPacked: boolean): Promise<unknown> {
    const reply = unpackCall(await this.request(fn, { type: 'call', fn, args }) as CallReply, keepPacked);
    this.records.push({ fn, args, ...this.recordOf(reply, args) });
    if (!reply.ok) throw this.callError(fn, reply.error);
    return reply.value;
  }

  /**
   * Calls `fn` once per argument list in one round trip (a whole grid per message). Returns each
   * call's value or error; the batch fails as a whole only if the sandbox itself fails.
   */
  async callMany(fn: string, argLists: unknown[][]): Promise<CallOutcome[]> {
    return this.batch(fn, { type: 'call', fn, batch: argLists }, argLists.length,
      (r, i) => ({ fn, args: argLists[i], ...this.recordOf(r, argLists[i]) }));
  }

  /**
   * Calls `fn` once per edit, each on a fresh copy of `base` with one entry moved (finite
   * differences), in one round trip: the arguments are sent once, not once per variant. Each
   * call's record holds `base` and its `edit`, and no arguments after the call (the copies are
   * the sandbox's own).
   */
  async callVariants(fn: string, base: unknown[], edits: ArgEdit[]): Promise<CallOutcome[]> {
    return this.batch(fn, { type: 'call', fn, base, edits }, edits.length,
      (r, i) => ({ fn, args: base, edit: edits[i], ...(r.ok ? { ok: true, value: r.value, argsAfter: null } : { ok: false, error: r.error }) }));
  }

  /**
   * One round trip of `count` calls: the replies walked within one budget (see MAX_REPLY_ENTRIES),
   * exactly `count` of them or the batch fails, each recorded as `record` says.
   */
  private async batch(fn: string, msg: Record<string, unknown>, count: number, record: (r: CallReply, i: number) => CallRecord): Promise<CallOutcome[]> {
    const reply = await this.request(fn, msg);
    if (!reply.ok) throw this.callError(fn, reply.error);
    const budget = replyBudget();
    const results = (reply.results ?? []).slice(0, count).map((r) => unpackCall(r, false, budget));
    if (results.length !== count) throw new SandboxError('error', `the sandbox answered ${results.length} of the ${count} calls of ${fn}`, fn);
    return results.map((r, i) => {
      this.records.push(record(r, i));
      return r.ok ? { ok: true as const, value: r.value } : { ok: false as const, error: this.callError(fn, r.error) };
    });
  }

  /**
   * The CPU time this sandbox's children have spent on requests so far (every load and call,
   * across respawns), in ms: what a budget over many calls should count, since load does not
   * change it. Wall time where /proc is missing (see cpu-time.ts).
   */
  get cpuMs(): number {
    let ms = this.cpuSpentMs;
    for (const p of this.pending.values()) ms += p.clock.usedMs();
    return ms;
  }

  /** Kills the child; safe to call twice. */
  close(): void {
    this.kill();
    this.ready = null;
    for (const cleanup of this.cleanups) cleanup();
    this.cleanups.clear();
  }

  private recordOf(r: CallReply, args: unknown[]): Omit<CallRecord, 'fn' | 'args'> {
    return r.ok ? { ok: true, value: r.value, argsAfter: argsAfterOf(r.argsAfter, args) } : { ok: false, error: r.error };
  }

  private callError(fn: string, error: ErrorInfo): SandboxError {
    if (error.name === 'NotImplementedError') return new SandboxError('not-implemented', `${fn} is not implemented yet (it still throws NotImplementedError)`, fn);
    if (error.name === 'MissingExport') return new SandboxError('missing', `${this.opts.label} does not export a function '${fn}': check its name and that it is exported`, fn);
    if (error.name === 'ResultError') return new SandboxError('error', `${fn} ${error.message}`, fn);
    if (OUT_OF_MEMORY.test(error.message)) {
      return new SandboxError('error', `${fn} ran out of memory (the sandbox allows ${addressSpaceMb(this.heapMb)} MB in all: a runaway allocation?): ${error.name}: ${error.message}`, fn);
    }
    return new SandboxError('error', `${fn} threw ${error.name}: ${error.message}`, fn);
  }

  private async request(fn: string, msg: Record<string, unknown>): Promise<Reply> {
    if (this.timedOut.has(fn)) {
      throw new SandboxError('timeout', `${fn} is not called again: it did not finish within its limit earlier in this run (an infinite loop?)`, fn);
    }
    await this.exports();
    try {
      return await this.send(msg, this.callLimit, fn);
    } catch (err) {
      if (err instanceof SandboxError && err.kind === 'timeout') this.timedOut.add(fn);
      throw err;
    }
  }

  /**
   * Spawns a child and imports the module. A child killed by a signal while importing (not out of
   * memory: a crash of the sandbox, or a signal from outside) is retried once in a fresh child,
   * and if that fails too the failure is this call's only: it is not remembered as the student's.
   */
  private spawnAndLoad(retry = true): Promise<Record<string, string>> {
    try {
      this.spawn();
    } catch (err) {
      return Promise.reject(this.remember(new SandboxError('error', `the sandbox could not start: ${(err as Error).message}`)));
    }
    const code = Buffer.from(this.opts.code, 'utf8').toString('base64');
    return this.send({ type: 'load', code, token: this.token }, this.loadLimit, 'import').then(
      (reply) => {
        if (!reply.ok) throw this.remember(new SandboxError('error', `${this.opts.label} throws when it is imported: ${reply.error.name}: ${reply.error.message}`));
        return reply.exports ?? {};
      },
      (err: SandboxError) => {
        const kind = err.kind === 'timeout' ? 'timeout' : 'error';
        const failure = new SandboxError(kind, `${this.opts.label} could not be imported: ${err.message}${retry ? '' : ' (twice: it was retried once in a fresh sandbox)'}`);
        if (err.kind !== 'crash' || !this.lastExit.bySignal || this.lastExit.outOfMemory) throw this.remember(failure);
        this.kill();
        if (!retry) throw failure;
        // the retry is what later requests wait for (the first child's exit cleared `ready`)
        this.ready = this.spawnAndLoad(false);
        return this.ready;
      },
    );
  }

  private remember(err: SandboxError): SandboxError {
    this.loadError = err;
    this.kill();
    return err;
  }

  private spawn(): void {
    this.stderrTail = '';
    this.token = randomUUID();
    // bound read-only into the child's mount namespace where bwrap works (see confine.ts); throws
    // when --require-confinement is in force and a layer is missing
    const confined = confinedNode([permissionFlag, `--allow-fs-read=${CHILD_SCRIPT}`, `--max-old-space-size=${this.heapMb}`, '--no-warnings'], this.heapMb, [CHILD_SCRIPT]);
    // a fresh empty working directory (where bwrap does not give the child a tmpfs of its own):
    // whatever file the child manages to create lands there, empty (see confine.ts), and goes with it
    // (in the vitest worker's process: removed when the child exits, or when the worker is interrupted)
    const cwd = makeTempFolder('gradlab-sandbox-');
    const child = fork(CHILD_SCRIPT, [], {
      ...confined,
      cwd,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: {},
    });
    const removeCwd = () => removeTempFolder(cwd);
    this.cleanups.add(removeCwd);
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-4000);
    });
    const token = this.token;
    child.on('message', (m: { id?: number; token?: string; reply?: Reply }) => {
      if (!m || m.token !== token) return; // not from the protocol code of this child
      const p = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
      if (!p || !isReply(m.reply)) return; // not an answer to a question we asked: ignore it
      this.settle(m.id as number);
      p.resolve(m.reply);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child || this.child === null) this.lastExit = exitOf(code, signal, this.stderrTail);
      removeCwd();
      this.cleanups.delete(removeCwd);
      if (this.child === child) {
        this.child = null;
        this.ready = null;
      }
      const why = this.describeExit(code, signal);
      for (const [id, p] of this.pending) {
        if (p.child !== child) continue;
        this.settle(id);
        p.reject(new SandboxError('crash', `the sandbox stopped while running ${p.what}: ${why}`));
      }
    });
    child.on('error', () => { /* reported through 'exit' */ });
    this.child = child;
  }

  private describeExit(code: number | null, signal: NodeJS.Signals | null): string {
    if (OUT_OF_MEMORY.test(this.stderrTail)) return `it ran out of memory (the sandbox allows a ${this.heapMb} MB heap and ${addressSpaceMb(this.heapMb)} MB in all: a runaway allocation?)`;
    signal ??= exitOf(code, null, '').bySignal;
    if (signal) return `it was killed by ${signal}${signal === 'SIGABRT' ? ' (out of memory?)' : ''}`;
    return `it exited with code ${code} (does the code call process.exit?)`;
  }

  private send(msg: Record<string, unknown>, limit: Limit, what: string): Promise<Reply> {
    const child = this.child;
    if (!child || !child.connected) return Promise.reject(new SandboxError('crash', `the sandbox is not running (${what})`));
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const clock = new CpuClock(child.pid);
      const stop = (message: string) => {
        if (!this.settle(id)) return;
        if (this.child === child) this.kill();
        else child.kill('SIGKILL');
        reject(new SandboxError('timeout', message, what));
      };
      const timer = this.watch(clock, limit, what, stop);
      this.pending.set(id, { resolve, reject, timer, clock, what, child });
      try {
        child.send({ id, ...msg });
      } catch (err) {
        this.settle(id);
        reject(new SandboxError('error', `could not send the arguments of ${what} to the sandbox: ${(err as Error).message}`));
      }
    });
  }

  /** Ends request `id`: stops watching it and adds what it used to cpuMs. False if it had ended already. */
  private settle(id: number): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    clearInterval(p.timer);
    this.cpuSpentMs += p.clock.usedMs();
    return true;
  }

  /**
   * Polls the request's clock (every 5% of its limit, between 10 and 100 ms) and calls `stop`
   * with the message once it has used up its CPU limit or its idle backstop, or once this process
   * holds MAX_INCOMING_BYTES more of buffers than when the request began. Where /proc is
   * missing, the clock counts wall time and the CPU limit is a wall-clock limit.
   */
  private watch(clock: CpuClock, limit: Limit, what: string, stop: (message: string) => void): NodeJS.Timeout {
    const pollMs = Math.min(100, Math.max(10, Math.round(limit.cpuMs / 20)));
    const buffersAtStart = process.memoryUsage().arrayBuffers;
    return setInterval(() => {
      const used = clock.usedMs();
      if (process.memoryUsage().arrayBuffers - buffersAtStart > MAX_INCOMING_BYTES) {
        stop(`${what} was stopped: the sandbox sent more than ${MAX_INCOMING_BYTES / 2 ** 20} MB without finishing a reply`);
      } else if (!clock.measuresCpu) {
        if (used >= limit.cpuMs) stop(`${what} did not finish within ${limit.cpuMs} ms (an infinite loop?)`);
      } else if (used >= limit.cpuMs) {
        stop(`${what} used ${seconds(limit.cpuMs)} of CPU without finishing (an infinite loop?)`);
      } else if (clock.waitedMs() >= limit.idleMs) {
        // a reply may be waiting to be read if this process was itself busy: let I/O run first
        setImmediate(() => stop(`${what} did not finish: it waited ${seconds(limit.idleMs)} without computing, using ${seconds(used)} of CPU (does it wait for something that never comes?)`));
      }
    }, pollMs);
  }

  private kill(): void {
    const child = this.child;
    this.child = null;
    this.ready = null;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
