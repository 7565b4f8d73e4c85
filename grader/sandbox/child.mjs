// The sandbox child: loads one compiled student module from a data: URL and calls its exports
// on request. It runs under Node's permission model (no file system, child processes or
// workers), with a capped heap, stdout ignored and an empty environment (see client.ts).
//
// Student code shares this process, so it may patch globals (Array.prototype, Math, Object.is,
// process.send). The protocol code below therefore keeps its own copies of everything it uses,
// taken before the student module loads. Expected values never come here: only inputs go out
// and outputs come back, and every verdict is made in the trusted vitest worker.

import { createRequire, syncBuiltinESMExports } from 'node:module';
import { types } from 'node:util';

const send = process.send.bind(process);
const isProxy = types.isProxy;
const { isArray } = Array;
const ObjectKeys = Object.keys;
const ObjectIs = Object.is;
const ObjectHasOwn = Object.hasOwn;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectPrototype = Object.prototype;
const StringCtor = String;
const { has: SetHas, add: SetAdd, delete: SetDelete } = Set.prototype;
const SetCtor = Set;
const PromiseResolve = Promise.resolve.bind(Promise);
const ReflectApply = Reflect.apply;
const Float64ArrayCtor = Float64Array;
const clone = structuredClone;

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
let token = null;
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

const PACKED = '__gradlabF64';
const PACK_MIN = 4096; // entries; below this, plain arrays serialize as fast

/** A rectangular number[][] of at least PACK_MIN entries as one Float64Array, else null. */
function packMatrix(value) {
  // a Proxy is not data: leave it to process.send, which refuses it whatever its size
  if (isProxy(value)) return null;
  const rows = value.length;
  if (rows === 0 || !isArray(value[0])) return null;
  const cols = value[0].length;
  if (rows * cols < PACK_MIN) return null;
  const data = new Float64ArrayCtor(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = value[i];
    if (!isArray(row) || isProxy(row) || row.length !== cols) return null;
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== 'number') return null;
      data[i * cols + j] = v;
    }
  }
  return { [PACKED]: data, rows, cols };
}

/**
 * Large matrices in a result travel as one block of bytes instead of thousands of small arrays
 * (serializing and rebuilding those dominated the cost of returning 20 layers of 256×256).
 * The client unpacks them into exactly the same number[][]. Walks arrays and plain objects.
 */
function packLarge(value, depth = 0) {
  if (depth > 6 || !value || typeof value !== 'object' || isProxy(value)) return value;
  if (isArray(value)) {
    const packed = packMatrix(value);
    if (packed) return packed;
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = packLarge(value[i], depth + 1);
    return out;
  }
  if (ObjectGetPrototypeOf(value) !== ObjectPrototype) return value;
  const out = {};
  for (const k of ObjectKeys(value)) out[k] = packLarge(value[k], depth + 1);
  return out;
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
  const f = mod[fn];
  const real = resolveHandles(args);
  try {
    const value = await PromiseResolve(ReflectApply(f, undefined, real));
    // the value is cloned once, by process.send; a value that cannot be is reported there
    return { ok: true, value: packLarge(storeCaches(value)), argsAfter: reportArgs ? argsAfterCall(args, real) : null };
  } catch (err) {
    return { ok: false, error: errorInfo(err) };
  }
}

async function handle(msg) {
  if (msg.type === 'load') {
    token = msg.token;
    try {
      mod = await import('data:text/javascript;base64,' + msg.code);
      const exports = {};
      for (const k of ObjectKeys(mod)) if (k !== '__gradlabCreateRng') exports[k] = typeof mod[k];
      return { ok: true, exports };
    } catch (err) {
      return { ok: false, error: errorInfo(err) };
    }
  }
  if (msg.type === 'call') {
    if (!mod || typeof mod[msg.fn] !== 'function') return { ok: false, error: { name: 'MissingExport', message: `does not export a function '${msg.fn}'` } };
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
          args = withEdit(clone(msg.base), msg.edits[i]);
        } catch (err) {
          results[i] = { ok: false, error: { name: 'ProtocolError', message: `cannot apply edit ${i}: ${errorInfo(err).message}` } };
          continue;
        }
        results[i] = await callOne(msg.fn, args, false);
      }
      return { ok: true, results };
    }
    return callOne(msg.fn, msg.args);
  }
  return { ok: false, error: { name: 'ProtocolError', message: `unknown message type ${StringCtor(msg.type)}` } };
}

process.on('message', (msg) => {
  handle(msg).then(
    (reply) => {
      try {
        send({ id: msg.id, token, reply });
      } catch (err) {
        send({ id: msg.id, token, reply: { ok: false, error: { name: 'ResultError', message: `returned a value that cannot be copied out of the sandbox (${errorInfo(err).message}); return plain numbers, arrays and objects` } } });
      }
    },
    (err) => send({ id: msg.id, token, reply: { ok: false, error: errorInfo(err) } }),
  );
});
send({ ready: true });
