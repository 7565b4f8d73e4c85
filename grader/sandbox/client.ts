/**
 * The trusted side of the sandbox: spawns the child (child.mjs) under Node's permission model,
 * loads a compiled student module into it and calls its exports, in frames on one plain pipe
 * (fd 3, see codec.mjs): every frame's length is checked against a cap before any of its bytes is
 * kept, and its value is decoded within caps on depth, entries and containers, so nothing the
 * child writes (student code can write to the pipe) costs this process more than its cap.
 *
 * While a call runs, the student's code may call another exercise's contract functions: the child
 * asks here (ORACLE_CALL), and the answer comes from the reference solution running in a sandbox
 * of its own (an Oracle), never from code in the student's process. The CPU time the reference
 * spends counts against the student's call, and a value it keeps (a cache) travels as a token.
 *
 * Every call has a limit on the CPU time the child spends on it (read from /proc by this process,
 * see cpu-time.ts), so a busy machine never turns a correct call into a timeout; a backstop on the
 * wall time the child spends waiting (no thread of it runnable: sleeping or stopped, never waiting
 * for a core), and a budget of such waiting shared by all of a student's sandboxes, stop a child
 * that waits without computing. Past either the child is killed and the next call respawns it.
 * Without /proc (macOS, Windows) the limit is wall time. A module that cannot load (throws,
 * exits, hangs at import) is remembered, so later calls fail at once instead of paying the limit
 * again (one killed by a signal is retried once in a fresh child and not remembered: see
 * spawnAndLoad); a function that timed out once is not called again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Socket } from 'node:net';
import { CHILD_SCRIPT, CODEC_SCRIPT } from '../paths.js';
import type * as CodecModule from './codec.mjs';
import { addressSpaceMb, confinedNode } from './confine.js';
import { CpuClock } from './cpu-time.js';
import { IN_PROCESS_ENTRIES, IN_PROCESS_EXERCISES, SCALAR_EXERCISES } from './oracle-access.js';
import { makeTempFolder, removeTempFolder, trackSandbox } from '../temp-folders.js';

const codec = await import(pathToFileURL(CODEC_SCRIPT).href) as typeof CodecModule;
export const { PackedMatrix } = codec;
export type PackedMatrix = CodecModule.PackedMatrix;

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
  /** Where another exercise's contract functions, called by the student's code, are computed (see Oracle). */
  oracle?: OracleAccess;
  /**
   * Waiting without computing that this sandbox (one student's exercise) may spend in all, in ms:
   * each call's idle backstop is at most what is left, and once it is used up every call fails at
   * once as 'timeout'. Honest code in this course never waits. Default: no budget of its own.
   */
  waitBudgetMs?: number;
  /** Keep a record of every call (default true; the oracle's own sandbox keeps none). */
  keepRecords?: boolean;
  /**
   * The student's own modules of other exercises whose functions are functions of numbers (01), as
   * plain scripts (compile.ts, CompileResult.own), by exercise folder: the child runs each in a
   * realm of its own and exports its functions as `__gradlabOwn$<exercise>$<fn>` (child.mjs), for
   * the trusted side to check and choose (useOwn). A load that fails while they are there is tried
   * again without them: the student's other file can never cost this exercise its import.
   */
  own?: Record<string, string>;
  /**
   * CPU time each of those modules' import may take before its realm is dropped (default 2000 ms,
   * child.mjs): CPU, not wall time, since keeping or dropping the student's own functions can
   * change a verdict and a busy machine must not.
   */
  ownImportCpuMs?: number;
}


/**
 * The reference functions a sandbox's code may call: `allowed` says which (never the graded
 * exercise's own, nor one whose reference is built on it), `oracle` computes them.
 */
export interface OracleAccess { oracle: Oracle; allowed: (exercise: string, fn: string) => boolean }

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

/** What a request may spend: CPU time, and time waiting without computing as a backstop. */
interface Limit { cpuMs: number; idleMs: number }

/** The default idle backstop for a CPU limit. */
export function idleBackstopMs(cpuMs: number): number {
  return Math.max(10 * cpuMs, 10_000);
}

/** The CPU time a realm's import of the student's own 01 or 02 may take by default (see SandboxOptions.ownImportCpuMs). */
export const OWN_IMPORT_CPU_MS = 2000;

/** 1500 → '1.5 s' */
const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/**
 * The largest frame this side reads from a child, checked on the length it announces before any
 * of its bytes is kept. The largest honest reply is 03's 20 layers of 256×256 (10.5 MB);
 * weird-returns' 4 M-entry array is 32 MB. A frame past it stops the call and the child: nothing
 * more is read.
 */
export const MAX_REPLY_BYTES = 48 * 2 ** 20;
/** The largest call of another exercise's function a child may send (see Oracle). */
export const MAX_ORACLE_BYTES = 16 * 2 ** 20;

/** How deep a reply may nest (no exercise returns anything near this). */
export const MAX_REPLY_DEPTH = 32;

/**
 * How many entries (array slots, object keys, numbers) one reply may hold in all, and how many
 * arrays, objects and strings (containers: what costs the heap most). Every entry takes at least
 * a byte of the frame, so these bound what decoding builds beyond the frame's own cap; the largest
 * honest reply holds 1.3 M numbers (03) in a few hundred containers.
 */
export const MAX_REPLY_ENTRIES = 10_000_000;
export const MAX_REPLY_CONTAINERS = 1_000_000;

const replyBudget = (): CodecModule.DecodeBudget => codec.decodeBudget(MAX_REPLY_ENTRIES, MAX_REPLY_CONTAINERS);

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
 * A reply has the shape the protocol code sends; anything else is the student's own bytes.
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

/** A value as number[][] wherever it holds a PackedMatrix (the arguments after a callPacked). */
function unpacked(v: unknown): unknown {
  if (v instanceof codec.PackedMatrix) {
    return Array.from({ length: v.rows }, (_, i) => Array.from(v.data.subarray(i * v.cols, (i + 1) * v.cols)));
  }
  if (Array.isArray(v)) return v.map(unpacked);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unpacked(x)]));
  return v;
}

/**
 * Splits what a child writes into frames. The length a frame announces is checked against `cap`
 * before anything of it is kept, and against `capOf(kind)` once its first body byte (the kind)
 * is there; past either, `onOversize` is called and nothing more is read. Counts the bytes taken
 * in (progress: a child still writing is not waiting) and the most it ever held of one frame.
 */
export class FrameReader {
  private readonly header = Buffer.alloc(codec.HEADER_BYTES);
  private headerGot = 0;
  /** The length of the frame whose header is in, before its body is started. */
  private announced = 0;
  private body: Buffer | null = null;
  private bodyGot = 0;
  private stopped = false;
  /** Bytes taken in so far. */
  progress = 0;
  /** The most bytes of one frame this reader has held at once. */
  maxHeld = 0;

  constructor(
    private readonly cap: number,
    private readonly capOf: (kind: number) => number,
    private readonly onFrame: (body: Buffer) => void,
    private readonly onOversize: (announced: number, cap: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.stopped) {
      if (this.headerGot < codec.HEADER_BYTES) {
        const n = Math.min(codec.HEADER_BYTES - this.headerGot, chunk.length - at);
        chunk.copy(this.header, this.headerGot, at, at + n);
        this.headerGot += n;
        at += n;
        this.progress += n;
        if (this.headerGot < codec.HEADER_BYTES) return;
        this.announced = codec.announcedLength(this.header);
        if (this.announced > this.cap || this.announced < codec.BODY_PREFIX) return this.refuse(this.announced, this.cap);
        continue;
      }
      if (!this.body) {
        // the kind is the body's first byte: its own cap is checked before the body is kept
        const cap = Math.min(this.cap, this.capOf(chunk[at]));
        if (this.announced > cap) return this.refuse(this.announced, cap);
        this.body = Buffer.allocUnsafe(this.announced);
        this.bodyGot = 0;
        this.maxHeld = Math.max(this.maxHeld, this.announced);
      }
      const body = this.body;
      const n = Math.min(body.length - this.bodyGot, chunk.length - at);
      chunk.copy(body, this.bodyGot, at, at + n);
      this.bodyGot += n;
      at += n;
      this.progress += n;
      if (this.bodyGot === body.length) {
        this.body = null;
        this.headerGot = 0;
        this.onFrame(body);
      }
    }
  }

  private refuse(length: number, cap: number): void {
    this.stopped = true;
    this.body = null;
    this.onOversize(length, cap);
  }
}

/**
 * Whether arguments hold an object with a `length` key (an array-like that could size an
 * allocation) or a handle of the reference's sandbox (a cache kept there): either way they are
 * not for the trusted process.
 */
function notForHere(v: unknown): boolean {
  if (!v || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(notForHere);
  return Object.hasOwn(v, 'length') || Object.hasOwn(v, HANDLE) || Object.values(v).some(notForHere);
}

/**
 * What V8 and Node say when memory runs out: on stderr at a crash, or in a RangeError. Node ≥ 24's
 * Buffer says "Failed to allocate memory" where Node 20's said "Array buffer allocation failed".
 */
const OUT_OF_MEMORY = /heap out of memory|allocation failed|could not allocate memory|Failed to allocate memory|Fatal process OOM|Failed to reserve|Cannot allocate memory/i;

/**
 * What V8 prints when it ends the process for want of memory ("FATAL ERROR: … JavaScript heap out
 * of memory", "Fatal process out of memory: …"; Node 20: "Fatal process OOM"): narrower than
 * OUT_OF_MEMORY, which also matches the RangeErrors code can catch and print itself.
 */
const V8_DIED_OUT_OF_MEMORY = /JavaScript heap out of memory|Fatal process out of memory|Fatal process OOM|Fatal JavaScript out of memory/i;

const permissionFlag = Number(process.versions.node.split('.')[0]) >= 22 ? '--permission' : '--experimental-permission';

/**
 * WebAssembly with inline bounds checks instead of guard regions. With the trap handler, Node 22's
 * V8 reserves about 10 GB of address space for every WebAssembly memory and fails outright under
 * the sandbox's cap (`prlimit --as`, see confine.ts): a 1-page memory needs an --as above 10 GB.
 * Importing node:http as a module reads its lazy `WebSocket`, which loads Node's fetch/HTTP client
 * (undici), whose HTTP parser (llhttp) is WebAssembly instantiated at once: on Node 22 a module that
 * merely imported node:http crashed the child soon after (an unhandled rejection), erroring whatever
 * call was running. Node 24 and 26 fall back to bounds checks by themselves; the flag (Node ≥ 22.2)
 * makes every supported line behave the same.
 */
const WASM_WITHIN_CAP = '--disable-wasm-trap-handler';

interface ExitInfo { bySignal: NodeJS.Signals | null; outOfMemory: boolean }

/**
 * What a child wrote to stderr: the end of it (V8's report of running out of memory is a line
 * followed by up to ≈ 2.7 kB of native stack, each frame naming the node binary's path), and how
 * much in all, so a request reads only what came while it ran.
 */
interface Stderr { tail: string; total: number }
const STDERR_TAIL_CHARS = 16_000;

/** What `stderr` received since it held `from` characters in all (as much of it as the tail keeps). */
const stderrSince = (stderr: Stderr, from: number): string => stderr.tail.slice(-Math.max(1, stderr.total - from));

/**
 * How a child ended. bwrap exits with 128 + N when the process it runs is killed by signal N, so
 * such a code is read as that signal (a student's `process.exit(137)` looks the same: it is then
 * retried once, see spawnAndLoad, and costs only its own time). Out of memory: V8 said so on
 * stderr (`said`: what came since the request that ended was sent — as read by then: the child's
 * stderr and its replies are two pipes, read in either order) and the process died of a signal
 * (V8 aborts): an exit code after text that merely reads so is not, nor a caught RangeError printed.
 */
function exitOf(code: number | null, signal: NodeJS.Signals | null, said: string): ExitInfo {
  let bySignal = signal;
  if (!bySignal && code !== null && code > 128) {
    bySignal = (Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0] as NodeJS.Signals | undefined) ?? null;
  }
  return { bySignal, outOfMemory: bySignal !== null && V8_DIED_OUT_OF_MEMORY.test(said) };
}

/** How a child that did not run out of memory ended, for a message. */
function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  signal ??= exitOf(code, null, '').bySignal;
  if (signal) return `it was killed by ${signal}${signal === 'SIGABRT' ? ' (out of memory?)' : ''}`;
  return `it exited with code ${code} (does the code call process.exit?)`;
}

/**
 * Runs `then` once the child's stderr has closed (at once if it has), or after 5 s if something
 * else holds it open: the child's own end of it goes with the child.
 */
function afterStderr(child: ChildProcess, then: () => void): void {
  const stderr = child.stderr;
  if (!stderr || stderr.closed || stderr.destroyed) return then();
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    clearTimeout(backstop);
    then();
  };
  const backstop = setTimeout(once, 5000);
  stderr.once('close', once);
}

/** A handle the child stands for an opaque value (such as a cache) that stays in the sandbox. */
export interface Handle { __gradlabHandle: number }
const HANDLE = '__gradlabHandle';

/** CPU ms this process has used since `start` (process.cpuUsage), for work done on a child's behalf. */
const cpuSince = (start: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
};

/**
 * What one call of another exercise's function costs the child beyond its own work (encoding the
 * arguments, two system calls, decoding the answer), in CPU ms: measured at 0.1–0.27 ms a round trip
 * on a quiet 2-core machine, and more on a busy one (more context switches, colder caches), so
 * counted at 1 ms: a verdict must not depend on the load. A hostile child gains nothing by it: what
 * a call is excused stays under ALLOWANCE_LIMITS call limits, and all of it counts against the
 * exercise's budget.
 */
const ROUND_TRIP_ALLOWANCE_MS = 1;

/** The most a call may be excused for the reference's work and the round trips, in call limits. */
const ALLOWANCE_LIMITS = 4;

/**
 * The CPU time a call is charged against its limit: the child's own and the reference's, less what
 * answering the child's calls of other exercises cost (the reference's CPU, and an allowance per
 * round trip for the child's side of it), up to ALLOWANCE_LIMITS call limits. A correct 02 built on
 * a student's broken 01 asks the reference for thousands of 01 values in one network pass: the
 * student's own code must still get the whole limit, or one mistake in 01 would cost 02's points
 * too (test/submissions/cross-import). A hostile child can make the reference work for at most
 * that allowance per call, and all of it counts against the exercise's budget (cpuMs).
 */
function chargedMs(a: { limit: Limit; extraCpuMs: number; oracleEvents: number }, childMs: number): number {
  const excused = Math.min(ALLOWANCE_LIMITS * a.limit.cpuMs, a.extraCpuMs + (a.oracleEvents / 2) * ROUND_TRIP_ALLOWANCE_MS);
  return Math.max(0, childMs + a.extraCpuMs - excused);
}

/**
 * A request's id: random, so that only the child's own protocol code, which read it from the
 * request before any student code ran and keeps it where no student code can reach, can answer it.
 * Student code can write frames to the pipe too (fd 3 is open in its process): a reply it forges,
 * say one that reports its arguments unchanged after a call that changed them, has to guess the id
 * (one chance in 2³² − 1) and costs it the call otherwise (a protocol violation, the child killed).
 */
function requestId(): number {
  return randomInt(1, 2 ** 32);
}

/** The request in flight in a sandbox: one at a time. */
interface Active {
  id: number;
  what: string;
  child: ChildProcess;
  clock: CpuClock;
  limit: Limit;
  timer: NodeJS.Timeout | null;
  keepPacked: boolean;
  resolve: (r: Reply) => void;
  reject: (e: SandboxError) => void;
  /** CPU ms spent on this request's behalf outside the child: the reference's, and this side's decoding. */
  extraCpuMs: number;
  /** Written to the child in full (before that, a child that waits is waiting for us). */
  flushed: boolean;
  /** An ORACLE_CALL is being answered (the child waits for us). */
  serving: boolean;
  /** Stands for this request's call of the oracle while it is answered: the oracle drops that work if the request ends first (Oracle.abandon). */
  ticket: object;
  /** ORACLE_CALLs begun and answered so far: with the bytes read, what changes while the child is busy with us. */
  oracleEvents: number;
  lastActivity: number;
  /** How much the child had written to stderr when this request was sent (see Stderr). */
  stderrFrom: number;
  /** Values the oracle keeps for this request (a reference's cache), by the token the child holds. */
  kept: Map<number, unknown>;
  /** Entries of the kept values computed in this process (KEPT_ENTRIES). */
  keptEntries: number;
  keptTokens: Map<unknown, number>;
}

/**
 * The most entries (numbers, array slots, keys) of the reference's caches computed in the trusted
 * process that one graded call may have kept at once: they stay until the call ends. A student's
 * 05 calling 02's mlpForward in a loop on 600 × 600 matrices made a vitest worker hold 4.4 GB and
 * die, taking the classmates it was grading with it (an attacker's report). The most an honest
 * submission keeps: 320,580 (59 caches of mlpForward in one call of 05, its own 02 wrong, db-mean).
 */
export const KEPT_ENTRIES = 4_000_000;

/** The entries of a value built by the reference (plain arrays and objects). */
function entriesOf(v: unknown): number {
  if (Array.isArray(v)) {
    let n = v.length;
    for (const x of v) if (x && typeof x === 'object') n += entriesOf(x);
    return n;
  }
  if (!v || typeof v !== 'object') return 0;
  let n = 0;
  for (const x of Object.values(v)) n += 1 + (x && typeof x === 'object' ? entriesOf(x) : 0);
  return n;
}

/** Why the oracle refuses a function: the child may ask for anything; only the contract's are served. */
const NOT_SERVED = 'the grader computes another exercise\'s contract functions only where the course contract says so (never the exercise being graded, nor one whose reference is built on it)';

export class Sandbox {
  readonly records: CallRecord[] = [];
  private child: ChildProcess | null = null;
  private ready: Promise<Record<string, string>> | null = null;
  private loadError: SandboxError | null = null;
  private readonly timedOut = new Set<string>();
  private active: Active | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** How the last child ended: a signal (bwrap reports its child's as exit code 128 + N) and whether memory ran out. */
  private lastExit: ExitInfo = { bySignal: null, outOfMemory: false };
  private readonly stderrs = new WeakMap<ChildProcess, Stderr>();
  private readonly callLimit: Limit;
  private readonly loadLimit: Limit;
  private readonly heapMb: number;
  private cpuSpentMs = 0;
  /** What is left of SandboxOptions.waitBudgetMs. */
  private waitLeftMs: number;
  /** The frame reader of the current child (tests read what it held). */
  reader: FrameReader | null = null;
  /** What decoding the last reply built (tests read it). */
  lastDecode: CodecModule.DecodeBudget | null = null;
  /** Calls of another exercise's functions answered for this sandbox's code, and the CPU ms they took outside the child. */
  oracleCalls = 0;
  oracleCpuMs = 0;
  /** Removes the working directories of children that have not reported their exit yet. */
  private readonly cleanups = new Set<() => void>();

  constructor(private readonly opts: SandboxOptions) {
    this.waitLeftMs = opts.waitBudgetMs ?? Infinity;
    const callCpuMs = opts.callTimeoutMs ?? 5000;
    const loadCpuMs = opts.loadTimeoutMs ?? 5000;
    this.callLimit = { cpuMs: callCpuMs, idleMs: opts.callIdleLimitMs ?? idleBackstopMs(callCpuMs) };
    this.loadLimit = { cpuMs: loadCpuMs, idleMs: idleBackstopMs(loadCpuMs) };
    this.heapMb = opts.heapMb ?? 256;
    this.ownScripts = opts.own && Object.keys(opts.own).length > 0 ? opts.own : null;
  }

  /** The module's exports and their `typeof`, loading it if needed. */
  async exports(): Promise<Record<string, string>> {
    if (this.loadError) throw this.loadError;
    if (!this.ready) this.ready = this.spawnAndLoad();
    return this.ready;
  }

  /** Calls `fn(...args)` in the sandbox and returns its (copied) result. */
  async call(fn: string, ...args: unknown[]): Promise<unknown> {
    return this.callOne(fn, args, false);
  }

  /**
   * As `call`, but a large matrix in the result (rectangular, all numbers, 4096 entries or more)
   * comes as a PackedMatrix instead of number[][]; a smaller, ragged or mixed one stays as it came.
   * The call's record holds the same value.
   */
  async callPacked(fn: string, ...args: unknown[]): Promise<unknown> {
    return this.callOne(fn, args, true);
  }

  private async callOne(fn: string, args: unknown[], keepPacked: boolean): Promise<unknown> {
    const reply = await this.request(fn, { type: 'call', fn, args, ...(this.opts.keepRecords === false ? { noArgsAfter: true } : {}) }, keepPacked) as CallReply;
    this.record({ fn, args, ...this.recordOf(reply, args, keepPacked) });
    if (!reply.ok) throw this.callError(fn, reply.error);
    return reply.value;
  }

  /**
   * Calls `fn` once per argument list in one round trip (a whole grid per message). Returns each
   * call's value or error; the batch fails as a whole only if the sandbox itself fails.
   */
  async callMany(fn: string, argLists: unknown[][]): Promise<CallOutcome[]> {
    return this.batch(fn, { type: 'call', fn, batch: argLists }, argLists.length,
      (r, i) => ({ fn, args: argLists[i], ...this.recordOf(r, argLists[i], false) }));
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

  /** One round trip of `count` calls: exactly `count` replies or the batch fails, each recorded as `record` says. */
  private async batch(fn: string, msg: Record<string, unknown>, count: number, record: (r: CallReply, i: number) => CallRecord): Promise<CallOutcome[]> {
    const reply = await this.request(fn, msg, false);
    if (!reply.ok) throw this.callError(fn, reply.error);
    const results = (reply.results ?? []).slice(0, count);
    if (results.length !== count) throw new SandboxError('error', `the sandbox answered ${results.length} of the ${count} calls of ${fn}`, fn);
    return results.map((r, i) => {
      this.record(record(r, i));
      return r.ok ? { ok: true as const, value: r.value } : { ok: false as const, error: this.callError(fn, r.error) };
    });
  }

  /**
   * The CPU time spent on this sandbox's requests so far (every load and call, across respawns,
   * with the reference's work for its calls of other exercises), in ms: what a budget over many
   * calls should count, since load does not change it. Wall time where /proc is missing.
   */
  get cpuMs(): number {
    const a = this.active;
    return this.cpuSpentMs + (a ? a.clock.usedMs() + a.extraCpuMs : 0);
  }

  /** Kills the child; safe to call twice. */
  close(): void {
    this.closed = true;
    this.kill();
    this.ready = null;
    for (const cleanup of this.cleanups) cleanup();
    this.cleanups.clear();
  }

  /**
   * Set by close: no child is started again, not even the retry of a load a signal ended (close
   * kills the child, which is what a signal looks like). The oracle closes its sandbox to stop the
   * reference's work for a call that has ended (Oracle.abandon): closed while it was still loading,
   * it retried in a fresh child, which then ran that work, up to 5 s of CPU, charged to nobody.
   */
  private closed = false;

  /**
   * Tells the child which of the student's own functions of other exercises (exported as
   * `__gradlabOwn$<exercise>$<fn>`, see child.mjs) to call instead of asking the oracle.
   */
  async useOwn(use: Record<string, string[]>): Promise<void> {
    await this.exports();
    this.ownUse = use; // and again after every respawn (spawnAndLoad)
    const reply = await this.send({ type: 'own', use }, this.callLimit, 'own', false);
    if (!reply.ok) throw this.callError('own', reply.error);
  }

  private ownUse: Record<string, string[]> | null = null;
  /** What the child is sent to run in realms of their own (SandboxOptions.own), until a load fails with them. */
  private ownScripts: Record<string, string> | null = null;

  /** Drops handles the child keeps (the oracle's caches of a call that has ended). */
  async forget(ids: number[]): Promise<void> {
    if (!this.child) return;
    try {
      await this.send({ type: 'forget', handles: ids }, this.callLimit, 'forget', false);
    } catch { /* a child that is gone has forgotten them */ }
  }

  private record(r: CallRecord): void {
    if (this.opts.keepRecords !== false) this.records.push(r);
  }

  private recordOf(r: CallReply, args: unknown[], keepPacked: boolean): Omit<CallRecord, 'fn' | 'args'> {
    if (!r.ok) return { ok: false, error: r.error };
    const after = argsAfterOf(r.argsAfter, args);
    return { ok: true, value: r.value, argsAfter: keepPacked && after ? after.map(unpacked) : after };
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

  private async request(fn: string, msg: Record<string, unknown>, keepPacked: boolean): Promise<Reply> {
    this.refuseIfWaitedOut(fn);
    if (this.timedOut.has(fn)) {
      throw new SandboxError('timeout', `${fn} is not called again: it did not finish within its limit earlier in this run (an infinite loop?)`, fn);
    }
    await this.exports();
    try {
      return await this.send(msg, this.callLimit, fn, keepPacked);
    } catch (err) {
      // the oracle's own sandbox remembers nothing against a function: one student's call must not cost another's
      if (err instanceof SandboxError && err.kind === 'timeout' && this.opts.keepRecords !== false) this.timedOut.add(fn);
      throw err;
    }
  }

  private refuseIfWaitedOut(what: string): void {
    const totalMs = this.opts.waitBudgetMs;
    if (totalMs !== undefined && this.waitLeftMs <= 0) {
      throw new SandboxError('timeout', `${what} is not called: this exercise's code has already waited ${seconds(totalMs)} without computing, ` +
        'the most an exercise may wait in all (correct code never waits: look for Atomics.wait, timers or promises that never settle)', what);
    }
  }

  /**
   * Spawns a child and imports the module. A child killed by a signal while importing (not out of
   * memory: a crash of the sandbox, or a signal from outside) is retried once in a fresh child,
   * and if that fails too the failure is this call's only: it is not remembered as the student's.
   */
  private spawnAndLoad(retry = true): Promise<Record<string, string>> {
    if (this.closed) return Promise.reject(new SandboxError('crash', `the sandbox was closed (${this.opts.label})`));
    try {
      this.refuseIfWaitedOut('import');
    } catch (err) {
      return Promise.reject(err);
    }
    try {
      this.spawn();
    } catch (err) {
      return Promise.reject(this.remember(new SandboxError('error', `the sandbox could not start: ${(err as Error).message}`)));
    }
    const code = Buffer.from(this.opts.code, 'utf8').toString('base64');
    const own = this.ownUse;
    const scripts = this.ownScripts;
    const ownLimit = scripts ? { own: scripts, ownImportCpuMs: this.opts.ownImportCpuMs ?? OWN_IMPORT_CPU_MS } : {};
    return this.send({ type: 'load', code, pure: [...SCALAR_EXERCISES], ...ownLimit }, this.loadLimit, 'import', false).then(
      async (reply) => {
        if (!reply.ok) throw this.remember(new SandboxError('error', `${this.opts.label} throws when it is imported: ${reply.error.name}: ${reply.error.message}`));
        if (own) await this.send({ type: 'own', use: own }, this.loadLimit, 'import', false);
        return reply.exports ?? {};
      },
      (err: SandboxError) => {
        if (scripts) {
          // the student's own other file ran first (a loop, a memory bomb, a crash at its import
          // that its realm's limit did not stop): without it the reference answers for all of it,
          // and this exercise's import is tried as if it were not there
          this.ownScripts = null;
          this.ownUse = null;
          this.kill();
          this.ready = this.spawnAndLoad(retry);
          return this.ready;
        }
        const kind = err.kind === 'timeout' ? 'timeout' : 'error';
        const failure = new SandboxError(kind, `${this.opts.label} could not be imported: ${err.message}${retry ? '' : ' (twice: it was retried once in a fresh sandbox)'}`);
        // a load out of memory came as 'timeout' (exitError): only a crash by a signal is retried
        if (err.kind !== 'crash' || !this.lastExit.bySignal) throw this.remember(failure);
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
    // bound read-only into the child's mount namespace where bwrap works (see confine.ts); throws
    // when --require-confinement is in force and a layer is missing
    const { execPath, execArgv, gid } = confinedNode([permissionFlag, `--allow-fs-read=${CHILD_SCRIPT}`, `--allow-fs-read=${CODEC_SCRIPT}`, `--max-old-space-size=${this.heapMb}`, WASM_WITHIN_CAP, '--no-warnings'], this.heapMb, [CHILD_SCRIPT, CODEC_SCRIPT]);
    // a fresh empty working directory (where bwrap does not give the child a tmpfs of its own):
    // whatever file the child manages to create lands there, empty (see confine.ts), and goes with it
    // (in the vitest worker's process: removed when the child exits, or when the worker is interrupted)
    const cwd = makeTempFolder('gradlab-sandbox-');
    // fd 3 is the protocol's pipe, both ways; no IPC channel: Node would deserialize whatever the
    // child wrote there before any check
    const child = spawn(execPath, [...execArgv, CHILD_SCRIPT], {
      gid,
      cwd,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: {},
    });
    const removeCwd = () => removeTempFolder(cwd);
    this.cleanups.add(removeCwd);
    const untrack = trackSandbox(child.pid);
    const stderr: Stderr = { tail: '', total: 0 };
    this.stderrs.set(child, stderr);
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      stderr.tail = (stderr.tail + text).slice(-STDERR_TAIL_CHARS);
      stderr.total += text.length;
    });
    const channel = child.stdio[3] as Socket;
    const reader = new FrameReader(MAX_REPLY_BYTES, (kind) => (kind === codec.ORACLE_CALL ? MAX_ORACLE_BYTES : MAX_REPLY_BYTES),
      (body) => this.onFrame(child, channel, body),
      (announced, cap) => this.violation(child, `it sent a message of ${(announced / 2 ** 20).toFixed(1)} MB, more than the ${cap / 2 ** 20} MB the grader reads`));
    this.reader = reader;
    channel.on('data', (chunk: Buffer) => reader.push(chunk));
    channel.on('error', () => { /* reported through 'exit' */ });
    child.on('exit', (code, signal) => {
      untrack();
      removeCwd();
      this.cleanups.delete(removeCwd);
      const current = this.child === child;
      if (current) this.child = null;
      const a = this.active;
      const charged = a && a.child === child ? this.settle(a) : null;
      if (!a || charged === null) {
        if (current || this.child === null) this.lastExit = exitOf(code, signal, stderr.tail);
        if (current) this.ready = null;
        return;
      }
      // V8's last words (out of memory?) may still be on their way: 'exit' can come before stderr
      // has been read to its end, and the cause must not depend on which came first. Until then
      // `ready` stays as it was, so nothing starts a new child that a request queued behind this
      // one would then be sent to before its module is loaded: that request finds no child instead.
      afterStderr(child, () => {
        const ended = exitOf(code, signal, stderrSince(stderr, a.stderrFrom));
        if (current || this.child === null) this.lastExit = ended;
        if (current && this.child === null) this.ready = null;
        a.reject(this.exitError(a, charged, code, signal, ended.outOfMemory));
      });
    });
    child.on('error', () => { /* reported through 'exit' */ });
    this.child = child;
  }

  /** A frame from `child`: the reply to the request in flight, or a call of another exercise's function. */
  private onFrame(child: ChildProcess, channel: Socket, body: Buffer): void {
    const a = this.active;
    if (!a || a.child !== child) return this.violation(child, 'a message when nothing was asked');
    const { kind, id } = codec.frameKind(body);
    // the child's protocol code waits for the answer to its call of another exercise before it
    // writes anything else: a frame meanwhile is student code writing to the pipe itself, which
    // would end the request while the reference still works for it, uncharged, in the oracle's
    // sandbox that the worker's next student then waits behind (and was charged for)
    if (a.serving) return this.violation(child, 'a message while its call of another exercise was being answered');
    if (kind === codec.ORACLE_CALL) {
      void this.serveOracle(a, channel, body);
      return;
    }
    if (kind !== codec.REPLY || id !== a.id) return this.violation(child, 'a message that is not the answer to the question asked');
    const started = process.cpuUsage();
    const budget = replyBudget();
    this.lastDecode = budget;
    let reply: unknown;
    let refused = false;
    try {
      reply = codec.decodeBody(body, { maxDepth: MAX_REPLY_DEPTH, budget, keepPacked: a.keepPacked });
    } catch (err) {
      if (!(err instanceof codec.DecodeError)) throw err;
      reply = { ok: false, error: { name: 'ResultError', message: `returned a value the grader refuses: ${err.message}; return plain numbers, arrays and objects` } };
      refused = true;
    }
    a.extraCpuMs += cpuSince(started);
    if (!isReply(reply)) return this.violation(child, 'a message that is not a reply');
    if (this.settle(a) !== null) a.resolve(reply);
    // bytes our encoder does not write: whatever the child does next is not to be trusted either
    if (refused) {
      if (this.child === child) this.kill();
      else child.kill('SIGKILL');
    }
  }

  /**
   * Answers the child's call of another exercise's contract function with the reference's result
   * (see Oracle): the arguments decoded within the caps, the function checked against what this
   * sandbox may use, the reference's CPU time added to the call's. The child waits meanwhile.
   */
  private async serveOracle(a: Active, channel: Socket, body: Buffer): Promise<void> {
    a.serving = true;
    a.oracleEvents++;
    const started = process.cpuUsage();
    const answer = (reply: unknown): void => {
      if (this.active !== a) return;
      const frame = codec.encodeFrame(codec.ORACLE_REPLY, 0, reply, { opaque: a.keptTokens });
      const mine = cpuSince(started);
      a.extraCpuMs += mine;
      this.oracleCpuMs += mine;
      a.serving = false;
      a.oracleEvents++;
      channel.write(frame);
    };
    const refuse = (message: string) => answer({ ok: false, error: { name: 'Error', message } });
    let request: unknown;
    const budget = replyBudget();
    try {
      request = codec.decodeBody(body, {
        maxDepth: MAX_REPLY_DEPTH,
        budget,
        opaque: (token) => {
          if (!a.kept.has(token)) throw new codec.DecodeError('a cache that is no longer kept (caches live until the graded call ends)');
          return a.kept.get(token);
        },
      });
    } catch (err) {
      if (!(err instanceof codec.DecodeError)) throw err;
      return refuse(`the arguments cannot be read: ${err.message}`);
    }
    const [exercise, fn, args] = Array.isArray(request) ? request : [];
    const access = this.opts.oracle;
    if (typeof exercise !== 'string' || typeof fn !== 'string' || !Array.isArray(args)) return this.violation(a.child, 'a call of another exercise that is not one');
    if (!access || !access.allowed(exercise, fn)) return refuse(`${fn} of ${exercise} is not available here: ${NOT_SERVED}`);
    this.oracleCalls++;
    // what the reference may still spend in its sandbox: its own allowance, and what the call's
    // limit leaves beyond it (read from /proc only then: 05 and 02 on a broken 01 or 02 ask
    // tens of thousands of small calls, answered here, whose CPU `answer` counts)
    const remaining = () => Math.max(1, Math.min(a.limit.cpuMs - chargedMs(a, a.clock.usedMs()), ALLOWANCE_LIMITS * a.limit.cpuMs - a.extraCpuMs));
    const small = budget.usedEntries <= IN_PROCESS_ENTRIES && !notForHere(args);
    const outcome = await access.oracle.call(exercise, fn, args, remaining, small, a.ticket);
    a.extraCpuMs += outcome.cpuMs;
    this.oracleCpuMs += outcome.cpuMs;
    if (!outcome.ok) return answer({ ok: false, error: outcome.error });
    // a reference's cache stays with the oracle: the child gets a token for it
    const value = outcome.value;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const cache = (value as Record<string, unknown>).cache;
      // the request ended while the reference worked (its child died): nobody will hold this cache
      if (cache && typeof cache === 'object' && this.active !== a) access.oracle.forget([cache]);
      else if (cache && typeof cache === 'object') {
        // computed here (not a handle of the reference's sandbox): held in this process until the call ends
        const entries = Object.hasOwn(cache, HANDLE) ? 0 : entriesOf(cache);
        if (a.keptEntries + entries > KEPT_ENTRIES) {
          return refuse(`${fn} (from ${exercise}) is not answered: the caches the grader keeps for this call until it ends would pass ${KEPT_ENTRIES.toLocaleString('en-US')} numbers; call it fewer times in one call`);
        }
        a.keptEntries += entries;
        const token = a.kept.size + 1;
        a.kept.set(token, cache);
        a.keptTokens.set(cache, token);
      }
    }
    answer({ ok: true, value });
  }

  /** The child broke the protocol (only student code writing to fd 3 does): the request fails, the child goes. */
  private violation(child: ChildProcess, why: string): void {
    const a = this.active;
    if (a && a.child === child && this.settle(a) !== null) {
      a.reject(new SandboxError('error', `${a.what} was stopped: the sandbox broke the grader's protocol (${why}); only code that writes to the grader's channel itself does this`, a.what));
    }
    if (this.child === child) this.kill();
    else child.kill('SIGKILL');
  }

  /**
   * Why request `a` ended with its child. Running out of memory is stopped like running out of CPU
   * time ('timeout', remembered, charged its whole CPU limit): code that loops forever while
   * allocating reaches whichever of the two limits comes first, and which one does depends on the
   * machine's speed (V8 collects garbage harder and harder near its heap limit), never on the code.
   */
  private exitError(a: Active, charged: number, code: number | null, signal: NodeJS.Signals | null, outOfMemory: boolean): SandboxError {
    if (!outOfMemory) return new SandboxError('crash', `the sandbox stopped while running ${a.what}: ${describeExit(code, signal)}`);
    // as much as a CPU timeout is charged: its limit, plus what it was excused (chargedMs)
    this.cpuSpentMs += Math.max(0, a.limit.cpuMs - chargedMs(a, charged - a.extraCpuMs));
    return new SandboxError('timeout', `${a.what} ran out of memory without finishing (the sandbox allows a ${this.heapMb} MB heap and ` +
      `${addressSpaceMb(this.heapMb)} MB in all): a loop that never ends, or a runaway allocation?`, a.what);
  }

  /** Sends one request when the previous one has ended (the child answers one at a time). */
  private send(msg: Record<string, unknown>, limit: Limit, what: string, keepPacked: boolean): Promise<Reply> {
    const run = () => this.sendNow(msg, limit, what, keepPacked);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private sendNow(msg: Record<string, unknown>, limit: Limit, what: string, keepPacked: boolean): Promise<Reply> {
    const child = this.child;
    const channel = child?.stdio[3] as Socket | undefined;
    if (!child || !channel || channel.destroyed || child.exitCode !== null || child.signalCode !== null) {
      return Promise.reject(new SandboxError('crash', `the sandbox is not running (${what})`));
    }
    const idleMs = Math.max(0, Math.min(limit.idleMs, this.waitLeftMs));
    const id = requestId();
    return new Promise<Reply>((resolve, reject) => {
      const a: Active = {
        id, what, child, clock: new CpuClock(child.pid), limit: { cpuMs: limit.cpuMs, idleMs }, timer: null, keepPacked, resolve, reject,
        extraCpuMs: 0, flushed: false, serving: false, ticket: {}, oracleEvents: 0, lastActivity: -1, stderrFrom: this.stderrs.get(child)?.total ?? 0, kept: new Map(), keptEntries: 0, keptTokens: new Map(),
      };
      this.active = a;
      a.timer = this.watch(a);
      let frame: Uint8Array;
      try {
        frame = codec.encodeFrame(codec.REQUEST, id, msg);
      } catch (err) {
        this.settle(a);
        reject(new SandboxError('error', `could not send the arguments of ${what} to the sandbox: ${(err as Error).message}`));
        return;
      }
      channel.write(frame, () => { a.flushed = true; });
    });
  }

  /**
   * Ends request `a`: stops watching it and adds what it used to cpuMs (the child's and the work
   * done here for it: returned) and to the wait budget. null if it had ended already.
   */
  private settle(a: Active): number | null {
    if (this.active !== a) return null;
    this.active = null;
    if (a.timer) clearInterval(a.timer);
    const used = a.clock.usedMs() + a.extraCpuMs;
    this.cpuSpentMs += used;
    this.waitLeftMs -= a.clock.waitedMs();
    if (a.kept.size > 0) this.opts.oracle?.oracle.forget([...a.kept.values()]);
    // ended (its child died, a limit, a broken protocol) while the reference worked for it: that work stops too
    if (a.serving) this.opts.oracle?.oracle.abandon(a.ticket);
    return used;
  }

  /**
   * Whether the time since the last reading may count as the child waiting: only once the request
   * is written in full, never while we answer its call of another exercise, and only if nothing
   * came from it meanwhile (no byte, no call of another exercise begun or answered).
   */
  private countsWaiting(a: Active): boolean {
    const activity = (this.reader?.progress ?? 0) + a.oracleEvents;
    const quiet = activity === a.lastActivity;
    a.lastActivity = activity;
    return quiet && a.flushed && !a.serving;
  }

  /**
   * Polls the request's clock (every 5% of its limit, between 10 and 100 ms) and stops it once it
   * has used up its CPU limit (the child's and the work done for it here) or its idle backstop.
   * Where /proc is missing, the clock counts wall time and the CPU limit is a wall-clock limit.
   */
  private watch(a: Active): NodeJS.Timeout {
    const { limit, clock, what } = a;
    const pollMs = Math.min(100, Math.max(10, Math.round(limit.cpuMs / 20)));
    const stop = (message: string) => {
      if (this.settle(a) === null) return;
      if (this.child === a.child) this.kill();
      else a.child.kill('SIGKILL');
      a.reject(new SandboxError('timeout', message, what));
    };
    // each reading runs after this process has read what arrived (setImmediate runs after I/O), so a
    // child that has just written to us is not seen waiting for an answer we have not read yet
    return setInterval(() => setImmediate(() => {
      if (this.active !== a) return;
      const used = chargedMs(a, clock.sampleMs(this.countsWaiting(a)));
      if (!clock.measuresCpu) {
        if (used >= limit.cpuMs) stop(`${what} did not finish within ${limit.cpuMs} ms (an infinite loop?)`);
      } else if (used >= limit.cpuMs) {
        stop(`${what} used ${seconds(limit.cpuMs)} of CPU without finishing (an infinite loop?)`);
      } else if (clock.waitedMs() >= limit.idleMs) {
        const totalMs = this.opts.waitBudgetMs;
        const why = totalMs !== undefined && limit.idleMs < this.callLimit.idleMs
          ? `, the most this exercise's code may still wait (${seconds(totalMs)} in all; correct code never waits)` : '';
        stop(`${what} did not finish: it waited ${seconds(limit.idleMs)} without computing${why}, using ${seconds(used)} of CPU (does it wait for something that never comes?)`);
      }
    }), pollMs);
  }

  private kill(): void {
    const child = this.child;
    this.child = null;
    this.ready = null;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The name under which the reference bundle (compile.ts, compileReference) exports `fn` of `exercise`. */
export function oracleExport(exercise: string, fn: string): string {
  return `oracle$${exercise.replace(/[^A-Za-z0-9]/g, '_')}$${fn}`;
}

/**
 * What the oracle answered for one call, and the CPU time it took on the reference's side: 0 when
 * computed in this process (the caller's own reading of this process's CPU counts it); else the
 * reference sandbox's, which includes this process decoding its reply, which the caller's reading
 * spans too (that decoding is counted twice: an over-count, never an under-count).
 */
export type OracleOutcome = ({ ok: true; value: unknown } | { ok: false; error: { name: string; message: string } }) & { cpuMs: number };

/**
 * Computes other exercises' contract functions for student code with the reference solutions, in
 * a sandbox of its own: the reference never enters the student's process, and the student's
 * arguments reach it only as data, decoded within caps. One oracle serves a vitest worker's
 * students one call at a time; nothing it does for one student outlives that student's call (a
 * kept cache is forgotten when the call ends, and a call that fails is not remembered against
 * the function). Its CPU time is counted by the caller against the student's call.
 */
export class Oracle {
  private sandbox: Sandbox | null = null;
  private scalar: Promise<Record<string, unknown>> | null = null;
  /** The calls of the reference's sandbox, one after another: each one's CPU is read around its own turn. */
  private turn: Promise<unknown> = Promise.resolve();
  /** The ticket of the call the reference's sandbox is running, and those whose request has ended. */
  private running: object | null = null;
  private readonly abandoned = new WeakSet<object>();

  /** `code`: the reference bundle (compile.ts, compileReference); `callTimeoutMs`: the most one call may use. */
  constructor(private readonly code: string, private readonly callTimeoutMs = 5000) {}

  /**
   * `small`: the caller checked the arguments are few (IN_PROCESS_ENTRIES) and hold no object
   * with a `length` key, so an exercise of IN_PROCESS_EXERCISES may be computed in this process.
   * `cpuLimitMs`: what the call may spend in the reference's sandbox, asked only when it goes there.
   * `ticket`: stands for the request asking (see abandon).
   */
  async call(exercise: string, fn: string, args: unknown[], cpuLimitMs: () => number, small = false, ticket: object = {}): Promise<OracleOutcome> {
    if (small && IN_PROCESS_EXERCISES.has(exercise)) return this.callHere(exercise, fn, args);
    const mine = this.turn.then(() => this.callThere(exercise, fn, args, cpuLimitMs, ticket));
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  /**
   * Drops the reference's work for a request that has ended: not begun, or stopped with the
   * reference's sandbox (a new one starts for the next call). Else it would run on, up to a call's
   * limit, charged to nobody, and delay whichever student of this worker asks next.
   */
  abandon(ticket: object): void {
    this.abandoned.add(ticket);
    if (this.running === ticket) this.close();
  }

  /** CPU ms the reference's sandboxes have used in all, those stopped included. */
  get cpuMs(): number {
    return this.stoppedMs() + (this.sandbox?.cpuMs ?? 0);
  }
  private stopped: Sandbox[] = [];
  private stoppedMs(): number {
    return this.stopped.reduce((sum, sb) => sum + sb.cpuMs, 0);
  }

  private async callThere(exercise: string, fn: string, args: unknown[], cpuLimitMs: () => number, ticket: object): Promise<OracleOutcome> {
    if (this.abandoned.has(ticket)) return { ok: false, error: { name: 'Error', message: 'the call that asked has ended' }, cpuMs: 0 };
    this.running = ticket;
    try {
      return await this.callSandbox(exercise, fn, args, cpuLimitMs);
    } finally {
      this.running = null;
    }
  }

  private async callSandbox(exercise: string, fn: string, args: unknown[], cpuLimitMs: () => number): Promise<OracleOutcome> {
    const limitMs = cpuLimitMs();
    this.sandbox ??= new Sandbox({ code: this.code, label: 'the course\'s reference', callTimeoutMs: this.callTimeoutMs, keepRecords: false });
    const sb = this.sandbox;
    const name = oracleExport(exercise, fn);
    const before = sb.cpuMs;
    try {
      const value = await sb.call(name, ...args);
      return { ok: true, value, cpuMs: sb.cpuMs - before };
    } catch (err) {
      const e = err instanceof SandboxError ? err : new SandboxError('error', String(err));
      // the reference's own error (a shape mismatch) as the student would see it from the function
      const text = e.message.split(name).join(fn);
      const thrown = new RegExp(`^${fn} threw (\\w+): ([^]*)$`).exec(text);
      const error = thrown ? { name: thrown[1], message: thrown[2] } : { name: 'Error', message: text };
      return { ok: false, error, cpuMs: Math.max(sb.cpuMs - before, e.kind === 'timeout' ? limitMs : 0) };
    }
  }

  /**
   * A function of IN_PROCESS_EXERCISES on small arguments, computed here, from the same reference
   * bundle loaded into this trusted process: no student code runs here, and arguments this small
   * cannot make it loop or allocate for long. Its CPU is this process's, which the caller reads
   * around its whole answer (serveOracle): cpuMs 0 here, or it would count twice.
   */
  private async callHere(exercise: string, fn: string, args: unknown[]): Promise<OracleOutcome> {
    this.scalar ??= import(`data:text/javascript;base64,${Buffer.from(this.code, 'utf8').toString('base64')}`) as Promise<Record<string, unknown>>;
    const f = (await this.scalar)[oracleExport(exercise, fn)];
    try {
      if (typeof f !== 'function') throw new Error(`the reference has no ${fn}`);
      const value: unknown = f(...args);
      return { ok: true, value, cpuMs: 0 };
    } catch (err) {
      const error = err instanceof Error ? { name: String(err.name).slice(0, MAX_NAME), message: String(err.message).slice(0, MAX_MESSAGE) } : { name: 'Error', message: String(err).slice(0, MAX_MESSAGE) };
      return { ok: false, error, cpuMs: 0 };
    }
  }

  /** Lets the reference's sandbox drop caches it kept for a call that has ended. */
  forget(handles: unknown[]): void {
    const ids = handles.map((h) => (h as Handle)[HANDLE]).filter((id) => typeof id === 'number');
    if (ids.length > 0 && this.sandbox) void this.sandbox.forget(ids);
  }

  close(): void {
    this.sandbox?.close();
    // kept for cpuMs: a call stopped with it is counted when its child's exit has been read
    if (this.sandbox) this.stopped.push(this.sandbox);
    this.sandbox = null;
  }
}
