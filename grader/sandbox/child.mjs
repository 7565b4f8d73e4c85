// The sandbox child: loads one compiled student module from a data: URL and calls its exports
// on request. It runs under Node's permission model (no file system, child processes or
// workers), with a capped heap, stdout ignored and an empty environment (see client.ts).
//
// It talks to the trusted side over one pipe, fd 3, in frames (codec.mjs): it reads a request,
// answers it, and reads the next. While a call runs, the student's code may call another
// exercise's contract functions: those are stubs (see compile-child.mjs) that write an
// ORACLE_CALL frame and block reading the answer, computed by the reference solution on the
// trusted side; no byte of the reference ever comes here. A value the reference keeps (its
// `cache`) comes as a token, an empty frozen object that stands for it until the call ends.
//
// Student code shares this process, so it may patch globals (Array.prototype, Math, Object.is)
// and can write to fd 3 itself. The protocol code below therefore keeps its own copies of
// everything it uses, taken before the student module loads; and the trusted side checks every
// frame's length before reading it and decodes it within caps, so a forged frame costs only the
// student's own call. Expected values never come here: only inputs go out and outputs come back,
// and every verdict is made in the trusted vitest worker.

import { readSync, writeSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { types } from 'node:util';
import { decodeBody, encodeFrame, frameKind, announcedLength, HEADER_BYTES, REQUEST, REPLY, ORACLE_CALL, ORACLE_REPLY } from './codec.mjs';

const FD = 3;
const readFd = readSync;
const writeFd = writeSync;
const isProxy = types.isProxy;
const { isArray } = Array;
const ObjectKeys = Object.keys;
const ObjectIs = Object.is;
const ObjectHasOwn = Object.hasOwn;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectPrototype = Object.prototype;
const ObjectFreeze = Object.freeze;
const ObjectCreate = Object.create;
const ObjectDefineProperty = Object.defineProperty;
const StringCtor = String;
const ErrorCtor = Error;
const { has: SetHas, add: SetAdd, delete: SetDelete } = Set.prototype;
const SetCtor = Set;
const MapCtor = Map;
const WeakMapCtor = WeakMap;
const { get: MapGet, set: MapSet, clear: MapClear } = Map.prototype;
const { get: WeakMapGet, set: WeakMapSet } = WeakMap.prototype;
const PromiseResolve = Promise.resolve.bind(Promise);
const PromiseCtor = Promise;
const PromiseThen = Promise.prototype.then;
const ReflectApply = Reflect.apply;
const Uint8ArrayCtor = Uint8Array;
const AtomicsWait = Atomics.wait;
const pause = new Int32Array(new SharedArrayBuffer(4));
const exit = process.reallyExit ? process.reallyExit.bind(process) : process.exit.bind(process);
// this thread's CPU where Node reports it (22.15+, 23.9+; the process's on 22.13–22.14): V8's collector threads add a share to the process's that varies from run to run
const cpuUsage = (process.threadCpuUsage ?? process.cpuUsage).bind(process);
const ArrayCtor = Array;

/** The caps the trusted side enforces on what it reads (client.ts): a reply, an oracle call. */
const MAX_REPLY_BYTES = 48 * 2 ** 20;
const MAX_ORACLE_BYTES = 16 * 2 ** 20;
const PACK_MIN = 4096; // numbers: a matrix this large travels as one block (MAT)

/** Reads exactly `n` bytes of fd 3, waiting for them; the trusted side gone means this child is done. */
function readExactly(n) {
  const buf = new Uint8ArrayCtor(n);
  let got = 0;
  while (got < n) {
    let r;
    try {
      r = readFd(FD, buf, got, n - got, null);
    } catch (err) {
      if (err && err.code === 'EAGAIN') { AtomicsWait(pause, 0, 0, 1); continue; }
      exit(70);
    }
    if (r === 0) exit(0);
    got += r;
  }
  return buf;
}

function writeAll(bytes) {
  let sent = 0;
  while (sent < bytes.length) {
    try {
      sent += writeFd(FD, bytes, sent, bytes.length - sent);
    } catch (err) {
      if (err && err.code === 'EAGAIN') { AtomicsWait(pause, 0, 0, 1); continue; }
      exit(70);
    }
  }
}

/** The body of the next frame from the trusted side (its kind, id and value). */
function readFrame() {
  return readExactly(announcedLength(readExactly(HEADER_BYTES)));
}

// Signals are the one thing Node 20's permission model leaves open: process.kill(process.ppid)
// would stop or kill the vitest worker that holds the grading. Remove every way to send one
// before any student code runs, so that it cannot be restored either.
for (const name of ['kill', '_kill']) {
  Object.defineProperty(process, name, {
    value: function denied() { throw new Error(`process.${name} is not allowed in the grading sandbox`); },
    writable: false,
    configurable: false,
    enumerable: false,
  });
}

// The runtime's own diagnostics write files outside the permission model's checks (a trace log
// from trace_events, heap snapshots near the heap limit, V8's --logfile/--prof set at run time)
// or open a debugger port. Replace them before any student code runs, non-configurable, and sync
// the ES module views so that `import { setFlagsFromString } from 'node:v8'` gets the stub too.
// (prlimit --fsize=0 and a throw-away working directory stop what this list might miss.)
const requireBuiltin = createRequire(import.meta.url);
const denied = (what) => function denied() { throw new Error(`${what} is not allowed in the grading sandbox`); };
const DIAGNOSTICS = {
  v8: ['setFlagsFromString', 'setHeapSnapshotNearHeapLimit', 'writeHeapSnapshot', 'getHeapSnapshot', 'takeCoverage', 'stopCoverage'],
  trace_events: ['createTracing'],
  inspector: ['open', 'close', 'url', 'waitForDebugger', 'Session'],
  'inspector/promises': ['open', 'close', 'url', 'waitForDebugger', 'Session'],
};
// load them all before patching any: inspector/promises builds on inspector.Session as it loads
const builtins = Object.entries(DIAGNOSTICS).map(([name, fns]) => [name, requireBuiltin(`node:${name}`), fns]);
for (const [name, builtin, fns] of builtins) {
  for (const fn of fns) Object.defineProperty(builtin, fn, { value: denied(`${name}.${fn}`), writable: false, configurable: false, enumerable: true });
}
const report = Object.freeze({ writeReport: denied('process.report.writeReport'), getReport: denied('process.report.getReport'), directory: '', filename: '', compact: false, signal: 'SIGUSR2', reportOnFatalError: false, reportOnSignal: false, reportOnUncaughtException: false, excludeNetwork: true });
Object.defineProperty(process, 'report', { value: report, writable: false, configurable: false, enumerable: true });
for (const name of ['binding', '_linkedBinding']) Object.defineProperty(process, name, { value: denied(`process.${name}`), writable: false, configurable: false, enumerable: false });
syncBuiltinESMExports();

let mod = null;
const handles = new Map();
let nextHandle = 1;

const HANDLE = '__gradlabHandle';
const RNG = '__gradlabRng';

function errorInfo(err) {
  try {
    if (err && typeof err === 'object') {
      const name = typeof err.name === 'string' ? err.name : 'Error';
      const message = typeof err.message === 'string' ? err.message : StringCtor(err);
      return { name: StringCtor(name).slice(0, 200), message: StringCtor(message).slice(0, 2000) };
    }
    return { name: 'Error', message: `threw a non-Error value: ${StringCtor(err).slice(0, 200)}` };
  } catch {
    return { name: 'Error', message: 'threw a value that cannot be described' };
  }
}

/** Replaces handle references in the arguments with the values they stand for. */
function resolveHandles(value) {
  if (isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = resolveHandles(value[i]);
    return out;
  }
  if (value && typeof value === 'object') {
    if (ObjectHasOwn(value, RNG)) return mod.__gradlabCreateRng(value[RNG]);
    if (ObjectHasOwn(value, HANDLE)) {
      const id = value[HANDLE];
      if (!handles.has(id)) throw new Error(`handle ${id} is no longer valid (the sandbox restarted)`);
      return handles.get(id);
    }
    const out = {};
    for (const k of ObjectKeys(value)) out[k] = resolveHandles(value[k]);
    return out;
  }
  return value;
}

/** Keeps an opaque `cache` field here and sends a handle instead, so any cache design works. */
function storeCaches(result) {
  if (result && typeof result === 'object' && !isArray(result) && ObjectHasOwn(result, 'cache')) {
    const id = nextHandle++;
    handles.set(id, result.cache);
    const out = {};
    for (const k of ObjectKeys(result)) out[k] = k === 'cache' ? { [HANDLE]: id } : result[k];
    return out;
  }
  return result;
}

const NOT_DATA = '__gradlabNotData';
const MAX_COPY = 1e6; // entries: more than any argument the suites pass, by far

/**
 * A copy of `value` with data only, so it always reaches the grader: arrays, plain objects and
 * primitives are copied; anything else (a function or class instance the student attached, a
 * Proxy, a cycle, a value past MAX_COPY entries) becomes { __gradlabNotData: what }, which differs
 * from every argument the grader sent, so a mutation never goes unseen.
 */
function dataCopy(value, seen, budget) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')) return value;
  if (typeof value !== 'object') return { [NOT_DATA]: typeof value };
  if (isProxy(value)) return { [NOT_DATA]: 'Proxy' };
  if (ReflectApply(SetHas, seen, [value])) return { [NOT_DATA]: 'cycle' };
  if (--budget.left < 0) return { [NOT_DATA]: 'too large' };
  ReflectApply(SetAdd, seen, [value]);
  let out;
  if (isArray(value)) {
    if (value.length > MAX_COPY) return { [NOT_DATA]: 'too large' };
    out = [];
    for (let i = 0; i < value.length && budget.left >= 0; i++) out[i] = dataCopy(value[i], seen, budget);
  } else if (ObjectGetPrototypeOf(value) === ObjectPrototype || ObjectGetPrototypeOf(value) === null) {
    out = {};
    for (const k of ObjectKeys(value)) out[k] = dataCopy(value[k], seen, budget);
  } else {
    out = { [NOT_DATA]: 'an object that is not plain data' };
  }
  ReflectApply(SetDelete, seen, [value]);
  return out;
}

const SAME = '__gradlabSame';

/**
 * Whether `after` (the argument the student's function received, after the call) still equals
 * `sent` (the same argument as it arrived, which no student code has seen): arrays, plain objects
 * and primitives (Object.is) alike. The walk follows `sent`, which is finite and acyclic, so a
 * cycle or a huge value the student built ends it; a Proxy, another prototype or a throwing getter
 * counts as changed (and is then copied, or described, by dataCopy).
 */
function sameData(sent, after) {
  if (sent === null || typeof sent !== 'object') return ObjectIs(sent, after);
  if (after === null || typeof after !== 'object' || isProxy(after)) return false;
  if (isArray(sent)) {
    if (!isArray(after) || after.length !== sent.length) return false;
    for (let i = 0; i < sent.length; i++) if (!sameData(sent[i], after[i])) return false;
    return true;
  }
  if (ObjectGetPrototypeOf(after) !== ObjectPrototype) return false;
  const keys = ObjectKeys(sent);
  if (ObjectKeys(after).length !== keys.length) return false;
  for (const k of keys) if (!ObjectHasOwn(after, k) || !sameData(sent[k], after[k])) return false;
  return true;
}

/**
 * The arguments after the call, for the grader to see mutations, as data only (see dataCopy):
 * seeded Rngs and handles (opaque caches, possibly large) are reported as null, and an argument
 * the call left as it was as { __gradlabSame: 1 }, which the client reads as the argument it sent
 * (copying and cloning every argument back cost as much as sending it).
 */
function argsAfterCall(incoming, real) {
  const out = new Array(real.length);
  const budget = { left: MAX_COPY };
  for (let i = 0; i < real.length; i++) {
    const a = incoming[i];
    const opaque = a && typeof a === 'object' && (ObjectHasOwn(a, HANDLE) || ObjectHasOwn(a, RNG));
    try {
      out[i] = opaque ? null : sameData(a, real[i]) ? { [SAME]: 1 } : dataCopy(real[i], new SetCtor(), budget);
    } catch (err) {
      out[i] = { [NOT_DATA]: `a value that cannot be read (${errorInfo(err).message.slice(0, 100)})` }; // a throwing getter
    }
  }
  return out;
}

/** `args` with `delta` added to the entry at `index` of the tensor at `path` (see client.ts, ArgEdit). */
function withEdit(args, { path, index, delta }) {
  let node = args;
  for (const key of path) node = node[key];
  if (index.length === 2) node[index[0]][index[1]] += delta;
  else node[index[0]] += delta;
  return args;
}

async function callOne(fn, args, reportArgs = true) {
  const f = fn.startsWith(OWN) ? ownFunction(fn) : mod[fn];
  const real = resolveHandles(args);
  try {
    const value = await PromiseResolve(ReflectApply(f, undefined, real));
    // the value is encoded once, with the reply; a value that cannot be is reported there
    return { ok: true, value: storeCaches(value), argsAfter: reportArgs ? argsAfterCall(args, real) : null };
  } catch (err) {
    return { ok: false, error: errorInfo(err) };
  }
}

async function handle(msg) {
  if (msg.type === 'load') {
    pureExercises = new SetCtor(msg.pure ?? []);
    if (typeof msg.ownImportCpuMs === 'number') ownImportCpuUs = msg.ownImportCpuMs * 1000;
    // the student's own other files first, each in a realm of its own: nothing the module below
    // does can reach into them, nor they into it
    const ownExports = {};
    for (const exercise of ObjectKeys(msg.own ?? {})) {
      const ns = ownRealm(msg.own[exercise]);
      if (!ns) continue; // it throws, loops or is not a script: the oracle answers for all of it
      ReflectApply(MapSet, ownModules, [exercise, ns]);
      for (const k of ObjectKeys(ns)) if (typeof ns[k] === 'function') ownExports[`${OWN}${exercise}$${k}`] = 'function';
    }
    try {
      mod = await import('data:text/javascript;base64,' + msg.code);
      const exports = {};
      for (const k of ObjectKeys(mod)) if (k !== '__gradlabCreateRng') exports[k] = typeof mod[k];
      return { ok: true, exports: { ...exports, ...ownExports } };
    } catch (err) {
      return { ok: false, error: errorInfo(err) };
    }
  }
  if (msg.type === 'own') {
    ownChosen = new MapCtor();
    for (const exercise of ObjectKeys(msg.use)) ReflectApply(MapSet, ownChosen, [exercise, new SetCtor(msg.use[exercise])]);
    return { ok: true };
  }
  if (msg.type === 'call') {
    if (!mod || typeof (msg.fn.startsWith(OWN) ? ownFunction(msg.fn) : mod[msg.fn]) !== 'function') return { ok: false, error: { name: 'MissingExport', message: `does not export a function '${msg.fn}'` } };
    if (msg.batch) {
      const results = new Array(msg.batch.length);
      for (let i = 0; i < msg.batch.length; i++) results[i] = await callOne(msg.fn, msg.batch[i]);
      return { ok: true, results };
    }
    if (msg.edits) {
      // variants of one argument list, each a fresh copy with one entry moved (finite differences):
      // the arguments travel once instead of once per variant; nothing is reported back about them
      const results = new Array(msg.edits.length);
      for (let i = 0; i < msg.edits.length; i++) {
        let args;
        try {
          args = withEdit(copyData(msg.base, 0, { left: Infinity }), msg.edits[i]);
        } catch (err) {
          results[i] = { ok: false, error: { name: 'ProtocolError', message: `cannot apply edit ${i}: ${errorInfo(err).message}` } };
          continue;
        }
        results[i] = await callOne(msg.fn, args, false);
      }
      return { ok: true, results };
    }
    return callOne(msg.fn, msg.args, !msg.noArgsAfter);
  }
  if (msg.type === 'forget') {
    for (const id of msg.handles) handles.delete(id);
    return { ok: true };
  }
  return { ok: false, error: { name: 'ProtocolError', message: `unknown message type ${StringCtor(msg.type)}` } };
}

// ---- another exercise's contract functions, computed on the trusted side -------------------

/** Tokens of the values the trusted side keeps (a reference's cache), both ways, for the current request. */
let keptTokens = new WeakMapCtor();
const keptObjects = new MapCtor();

function keptValue(token) {
  let o = ReflectApply(MapGet, keptObjects, [token]);
  if (o === undefined) {
    o = ObjectFreeze(ObjectCreate(null));
    ReflectApply(MapSet, keptObjects, [token, o]);
    ReflectApply(WeakMapSet, keptTokens, [o, token]);
  }
  return o;
}

/**
 * What a stub of another exercise's contract function calls (compile-child.mjs writes the stubs):
 * sends the arguments to the trusted side, waits for the reference's answer, returns it or throws
 * its error. Blocking: the student's code called a plain function and gets a plain value.
 */
function oracle(exercise, fn, args) {
  // the student's own function, where it passed its own exercise's checks (the trusted side says which)
  const own = ReflectApply(MapGet, ownChosen, [exercise]);
  if (own !== undefined && ReflectApply(SetHas, own, [fn])) return ReflectApply(ownCallable(exercise, fn), undefined, args);
  // a function of numbers (01's) gives the same answer for the same numbers: ask once
  let key = null;
  if (ReflectApply(SetHas, pureExercises, [exercise]) && args.length <= 2) {
    key = fn;
    for (let i = 0; i < args.length; i++) {
      const x = args[i];
      if (typeof x !== 'number' && x !== undefined) { key = null; break; }
      key += x === 0 && 1 / x < 0 ? ':-0' : `:${x}`;
    }
    if (key !== null) {
      const known = ReflectApply(MapGet, remembered, [key]);
      if (known !== undefined) return known;
    }
  }
  const value = ask(exercise, fn, args);
  if (key !== null && typeof value === 'number') {
    if (remembered.size >= MAX_REMEMBERED) ReflectApply(MapClear, remembered, []);
    ReflectApply(MapSet, remembered, [key, value]);
  }
  return value;
}

/** Exercises whose contract functions are functions of numbers (the load request says which), and their answers so far. */
let pureExercises = new SetCtor();
const remembered = new MapCtor();
const MAX_REMEMBERED = 1 << 18;

function ask(exercise, fn, args) {
  let frame;
  try {
    frame = encodeFrame(ORACLE_CALL, 0, [exercise, fn, args], { maxBytes: MAX_ORACLE_BYTES, isProxy, opaque: keptTokens, packMin: PACK_MIN });
  } catch (err) {
    throw new ErrorCtor(`${fn} (from ${exercise}) cannot be given these arguments: ${errorInfo(err).message}; pass plain numbers, arrays and objects`);
  }
  writeAll(frame);
  const body = readFrame();
  if (frameKind(body).kind !== ORACLE_REPLY) exit(70);
  const r = decodeBody(body, { opaque: keptValue });
  if (r.ok) return r.value;
  const err = new ErrorCtor(r.error.message);
  ObjectDefineProperty(err, 'name', { value: r.error.name, writable: true, configurable: true, enumerable: false });
  throw err;
}
ObjectDefineProperty(globalThis, '__gradlabOracle', { value: oracle, writable: false, configurable: false, enumerable: false });

// The student's own files of other exercises whose functions are functions of numbers (01): each
// runs as a plain script (compile-child.mjs writes it) in a fresh realm with nothing but the
// language's own globals, so its import-time code (patched globals, a loop, a throw) stays there.
// Its functions are exported as __gradlabOwn$<exercise>$<fn> for the trusted side to check with
// that exercise's own tests; `ownChosen` holds those it then chose (the rest go to the oracle).
const ownModules = new MapCtor();
let ownChosen = new MapCtor();
const OWN = '__gradlabOwn$';
const { Script, createContext } = requireBuiltin('node:vm');
/**
 * CPU time a realm's import may take (the load message's `ownImportCpuMs`, 2 s by default, client.ts):
 * an honest 01 or 02 takes well under a millisecond. Past it the
 * realm is dropped and the reference answers instead. That can change a verdict (a function that
 * passes its own exercise's tests may still differ from the reference elsewhere), so the limit is
 * CPU time, which a busy machine does not stretch: it was 2 s of wall time (vm's `timeout`), and a
 * 1 s import kept the student's own 01 on an idle machine and lost it under load (12/20 against
 * 20/20 for one 02). It is this thread's CPU: the process's also counts V8's collector threads,
 * whose share varies (the same allocating import: 0.8–1.2 s of the process, 0.53–0.80 s of this
 * thread, six runs), so an import near the limit may still land either side of it between runs, as
 * near any CPU limit; honest imports are a thousand times below it. A loop that never ends is
 * stopped by the load's CPU limit, after which the load is retried without the realm (client.ts):
 * CPU again.
 */
let ownImportCpuUs = 2_000_000;

/** The exports of `script` run in a realm of its own, or null if it throws or uses more than its CPU time. */
function ownRealm(script) {
  try {
    const globals = ObjectCreate(null);
    // its own calls of another exercise's contract functions (02's of 01) are answered as the graded module's
    ObjectDefineProperty(globals, '__gradlabOracle', { value: oracle, writable: false, configurable: false, enumerable: false });
    const context = createContext(globals, { microtaskMode: 'afterEvaluate', codeGeneration: { strings: false, wasm: false } });
    const before = cpuUsage();
    new Script(script).runInContext(context, { breakOnSigint: false });
    const used = cpuUsage(before);
    if (used.user + used.system > ownImportCpuUs) return null;
    const ns = context.__gradlabOwnExports;
    return ns && typeof ns === 'object' ? ns : null;
  } catch {
    return null;
  }
}

/** The student's own function behind `__gradlabOwn$<exercise>$<fn>`, as the graded code calls it, or undefined. */
function ownFunction(name) {
  const rest = name.slice(OWN.length);
  const at = rest.indexOf('$');
  return ownCallable(rest.slice(0, at), rest.slice(at + 1));
}

/**
 * `fn` of the student's own `exercise` as the graded module gets it: a function of numbers as it
 * is; any other behind copies both ways, as the reference's answers come (its arguments copied in,
 * its value copied out into this realm), so it can neither change the caller's arrays nor hand
 * back objects of another realm (an `instanceof Array` that fails) — the checks (harness.ts) run
 * through the same copies, so what they pass is what the graded code gets.
 */
function ownCallable(exercise, fn) {
  const ns = ReflectApply(MapGet, ownModules, [exercise]);
  const f = ns ? ns[fn] : undefined;
  if (typeof f !== 'function') return undefined;
  if (ReflectApply(SetHas, pureExercises, [exercise])) return f;
  return function ownCopied(...args) {
    const value = ReflectApply(f, undefined, copyData(args, 0, { left: MAX_CROSSING }));
    return copyData(value, 0, { left: MAX_CROSSING });
  };
}

/**
 * Entries a value crossing between realms may have (array slots and object keys, summed): as many
 * numbers as the largest message carries, so that every value the oracle could answer with also
 * crosses, while a sparse array's length (a[4e9] = 1) cannot make the copy loop for hours.
 */
const MAX_CROSSING = MAX_REPLY_BYTES / 8;

/**
 * A copy of `value` made of this realm's arrays and plain objects, with the kinds of values the
 * codec carries between processes and nothing more, so a value crosses between realms as the reference's
 * answers cross between processes: an array is read index by index (a hole is undefined), an
 * object by its own enumerable string keys (a class instance becomes its fields); numbers,
 * strings, booleans, null and undefined as they are. A function, symbol, bigint, Proxy, a value
 * nested more than 64 levels deep (a cycle) or of more than `budget.left` entries cannot cross:
 * it throws, as an oracle call with such an argument does (see ask). Written out, not
 * structuredClone: ≈ 5× faster on 05's and 07's networks (docs/benchmarks.md), and the same
 * answer for every plain value.
 */
function copyData(value, depth, budget) {
  if (value === null || typeof value !== 'object') {
    const t = typeof value;
    if (t === 'function' || t === 'symbol' || t === 'bigint') throw new ErrorCtor(`a ${t} cannot be copied (not data)`);
    return value;
  }
  if (depth > 64) throw new ErrorCtor('a value nested more than 64 levels deep (a cycle?) cannot be copied');
  if (isProxy(value)) throw new ErrorCtor('a Proxy cannot be copied (not data)');
  if (isArray(value)) {
    const n = value.length;
    if ((budget.left -= n) < 0) throw new ErrorCtor(`a value of more than ${MAX_CROSSING} entries cannot be copied`);
    const out = new ArrayCtor(n);
    for (let i = 0; i < n; i++) {
      const x = value[i];
      out[i] = x !== null && (typeof x === 'object' || typeof x === 'function' || typeof x === 'symbol' || typeof x === 'bigint') ? copyData(x, depth + 1, budget) : x;
    }
    return out;
  }
  const keys = ObjectKeys(value);
  if ((budget.left -= keys.length) < 0) throw new ErrorCtor(`a value of more than ${MAX_CROSSING} entries cannot be copied`);
  const out = {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const x = copyData(value[k], depth + 1, budget);
    if (k === '__proto__') ObjectDefineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

// ---- the request loop -----------------------------------------------------------------------

function replyFrame(id, reply) {
  try {
    // written out (writeAll) before the next frame is encoded: the reply may reuse the last one's buffer
    return encodeFrame(REPLY, id, reply, { maxBytes: MAX_REPLY_BYTES, isProxy, packMin: PACK_MIN, reuse: true });
  } catch (err) {
    return encodeFrame(REPLY, id, { ok: false, error: { name: 'ResultError', message: `returned a value that cannot be copied out of the sandbox (${errorInfo(err).message}); return plain numbers, arrays and objects` } }, { reuse: true });
  }
}

/** Ends the request being answered, if its call waits on a promise nothing can settle any more. */
let abandon = null;

// a call that waits on a promise nothing will ever settle leaves nothing to run: say so, and go on
process.on('beforeExit', () => {
  if (abandon === null) return;
  const end = abandon;
  abandon = null;
  end({ ok: false, error: { name: 'Error', message: 'returned a promise that never settles (nothing was left for it to wait for)' } });
});

async function serve() {
  for (;;) {
    const body = readFrame();
    const { kind, id } = frameKind(body);
    if (kind !== REQUEST) exit(70);
    const msg = decodeBody(body);
    // the values the trusted side kept for the last request are gone: so are their tokens here
    ReflectApply(MapClear, keptObjects, []);
    keptTokens = new WeakMapCtor();
    const reply = await new PromiseCtor((resolve) => {
      abandon = resolve;
      ReflectApply(PromiseThen, handle(msg), [resolve, (err) => resolve({ ok: false, error: errorInfo(err) })]);
    });
    abandon = null;
    writeAll(replyFrame(id, reply));
  }
}
serve();
