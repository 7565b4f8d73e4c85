/**
 * The sandbox, with real child processes: what student code can and cannot do there, and how
 * each way of failing comes back (status and message), without harming the next call.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { types } from 'node:util';
import { argsAfterOf, KEPT_ENTRIES, Oracle, PackedMatrix, Sandbox, SandboxError } from '../grader/sandbox/client';
import { decodeBody, encodeFrame, HEADER_BYTES, ORACLE_CALL, REPLY } from '../grader/sandbox/codec.mjs';
import { addressSpaceMb, confinement, LAYERS } from '../grader/sandbox/confine';
import { sampleProcess } from '../grader/sandbox/cpu-time';
import { ROOT } from '../grader/paths';
import { failure, sandboxMaker } from './sandbox-harness';

// Request ids are random (client.ts, requestId), so student code cannot answer a call itself
// (test/sandbox-engine.test.ts). Here they are all 2, as a per-sandbox counter gave the first call:
// the decoder's caps below are a second line, tested with frames the id check would stop first.
vi.mock('node:crypto', async (original) => ({ ...(await original<typeof import('node:crypto')>()), randomInt: () => 2 }));

const sandbox = sandboxMaker({ callTimeoutMs: 1000, loadTimeoutMs: 2000 });
/** Bytes of a forged frame, as hex: the codec's tags (grader/sandbox/codec.mjs). */
const TAG = { NULL: 1, TRUE: 3, STR: 5, ARR: 6, OBJ: 7, MAT: 9 };
const u8 = (n: number) => Buffer.from([n]).toString('hex');
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b.toString('hex'); };
const str = (s: string) => u32(Buffer.byteLength(s)) + Buffer.from(s).toString('hex');
const f64s = (n: number) => Buffer.alloc(8 * n).toString('hex');
/** A well-formed `{ ok: true, value, argsAfter: null }` around the (forged) value's bytes. */
const reply = (...value: string[]) => u8(TAG.OBJ) + u32(3) + str('ok') + u8(TAG.TRUE) + str('value') + value.join('') + str('argsAfter') + u8(TAG.NULL);

describe('Sandbox calls', () => {
  it('returns structured clones of results, keeps caches as handles and passes them back', async () => {
    const sb = sandbox(`
      export function fwd(x) { return { out: x.map((r) => r.map((v) => 2 * v)), cache: { x, f: () => 3 } }; }
      export function bwd(d, cache) { return cache.f() * d + cache.x[0][0]; }
      export function nan() { return [NaN, -0, Infinity]; }`);
    expect(await sb.exports()).toEqual({ fwd: 'function', bwd: 'function', nan: 'function' });
    const r = (await sb.call('fwd', [[1, 2]])) as { out: number[][]; cache: unknown };
    expect(r.out).toEqual([[2, 4]]);
    expect(r.cache).toEqual({ __gradlabHandle: 1 });
    expect(await sb.call('bwd', 10, r.cache)).toBe(31);
    expect(await sb.call('nan')).toEqual([NaN, -0, Infinity]);
    expect(sb.records.map((c) => c.fn)).toEqual(['fwd', 'bwd', 'nan']);
  });

  it('returns large matrices exactly, packed as bytes on the way (-0, NaN, nested, beside a cache)', async () => {
    const sb = sandbox(`
      export function big(n, m) {
        const W = Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => (i * m + j) / 7 - 3));
        W[0][0] = -0; W[1][2] = NaN; W[n - 1][m - 1] = 1e-300;
        return { layers: [{ W, b: [1, 2] }], cache: { W }, ragged: [[1, 2], [3]] };
      }`);
    const r = (await sb.call('big', 100, 70)) as { layers: { W: number[][]; b: number[] }[]; cache: unknown; ragged: number[][] };
    const W = r.layers[0].W;
    expect(W).toHaveLength(100);
    expect(W.every((row) => Array.isArray(row) && row.length === 70)).toBe(true);
    expect(Object.is(W[0][0], -0)).toBe(true);
    expect(W[1][2]).toBeNaN();
    expect(W[99][69]).toBe(1e-300);
    expect(W[50][3]).toBe((50 * 70 + 3) / 7 - 3);
    expect(r.layers[0].b).toEqual([1, 2]);
    expect(r.ragged).toEqual([[1, 2], [3]]);
    expect(r.cache).toEqual({ __gradlabHandle: 1 });
    expect(sb.records[0].value).toBe(r);
  });

  it('records the arguments as they were after the call, so mutation shows', async () => {
    const sb = sandbox('export function f(s) { s.v[0] = 99; return 1; }');
    await sb.call('f', { v: [1, 2] });
    expect(sb.records[0].args).toEqual([{ v: [1, 2] }]);
    expect(sb.records[0].argsAfter).toEqual([{ v: [99, 2] }]);
  });

  it('reports an argument the call left unchanged as the argument sent, without copying it back; -0 for 0, NaN, a Proxy or a new prototype count as changes', async () => {
    const sb = sandbox(`
      export function keep(a, b) { return a.x.length + b; }
      export function zero(m) { m[0][0] = -0; return 1; }
      export function nan(m) { m[1] = NaN; return 1; }
      export function proxy(s) { s.v = new Proxy([1, 2], {}); return 1; }
      export function proto(s) { Object.setPrototypeOf(s, { p: 1 }); return 1; }
      export function same(m) { m[0] = NaN; m[0] = 1; return 1; }`);
    const a = { x: [[1, 2], [3, 4]] };
    await sb.call('keep', a, 5);
    expect(sb.records[0].argsAfter).toEqual([a, 5]);
    expect(sb.records[0].argsAfter?.[0]).toBe(a); // the grader's own argument: nothing came back
    await sb.call('zero', [[0, 1]]);
    expect(Object.is((sb.records[1].argsAfter as number[][][])[0][0][0], -0)).toBe(true);
    await sb.call('nan', [1, 2]);
    expect(sb.records[2].argsAfter).toEqual([[1, NaN]]);
    await sb.call('proxy', { v: [1, 2] });
    expect(sb.records[3].argsAfter).toEqual([{ v: { __gradlabNotData: 'Proxy' } }]);
    await sb.call('proto', { v: 1 });
    expect(sb.records[4].argsAfter).toEqual([{ __gradlabNotData: 'an object that is not plain data' }]);
    const m = [1, 2];
    await sb.call('same', m);
    expect(sb.records[5].argsAfter?.[0]).toBe(m);
  });

  it('reads a forged or malformed report of the arguments after a call as no report, never as the arguments sent', () => {
    const sent = [{ v: 1 }, 2];
    expect(argsAfterOf([{ __gradlabSame: 1 }, 3], sent)).toEqual([sent[0], 3]);
    expect(argsAfterOf([{ __gradlabSame: 1, v: 2 }, [{ __gradlabSame: 1 }]], sent)).toEqual([{ __gradlabSame: 1, v: 2 }, [{ __gradlabSame: 1 }]]);
    expect(argsAfterOf([{ __gradlabSame: 1 }], sent)).toBeNull();
    expect(argsAfterOf('same', sent)).toBeNull();
    expect(argsAfterOf(null, sent)).toBeNull();
  });

  it('reports arguments it cannot copy back as data that differs, never as nothing: a function, a class instance, a cycle', async () => {
    const sb = sandbox(`
      class Box { constructor() { this.v = 1; } }
      export function f(s, t, u) { s.v.push(() => 1); t.box = new Box(); u.self = u; return 1; }`);
    await sb.call('f', { v: [1, 2] }, { w: 3 }, { x: [4] });
    expect(sb.records[0].argsAfter).toEqual([
      { v: [1, 2, { __gradlabNotData: 'function' }] },
      { w: 3, box: { __gradlabNotData: 'an object that is not plain data' } },
      { x: [4], self: { __gradlabNotData: 'cycle' } },
    ]);
  });

  it('callMany runs a batch and keeps per-call errors apart', async () => {
    const sb = sandbox('export function f(x) { if (x < 0) throw new RangeError("neg " + x); return x * x; }');
    const res = await sb.callMany('f', [[2], [-1], [3]]);
    expect(res[0]).toEqual({ ok: true, value: 4 });
    expect(res[1].ok).toBe(false);
    expect(!res[1].ok && res[1].error.message).toBe('f threw RangeError: neg -1');
    expect(res[2]).toEqual({ ok: true, value: 9 });
  });

  it('tells not-implemented, missing, thrown and uncloneable results apart', async () => {
    const sb = sandbox(`
      class NotImplementedError extends Error { constructor(n) { super(n + ' is not implemented yet'); this.name = 'NotImplementedError'; } }
      export function todo() { throw new NotImplementedError('todo'); }
      export function bad() { throw 'a string'; }
      export function fn() { return () => 1; }
      export const notAFunction = 3;`);
    expect((await failure(sb.call('todo'))).kind).toBe('not-implemented');
    const missing = await failure(sb.call('absent'));
    expect(missing.kind).toBe('missing');
    expect(missing.message).toBe("m.ts does not export a function 'absent': check its name and that it is exported");
    expect((await failure(sb.call('notAFunction'))).kind).toBe('missing');
    const thrown = await failure(sb.call('bad'));
    expect(thrown.kind).toBe('error');
    expect(thrown.message).toBe('bad threw Error: threw a non-Error value: a string');
    const fnResult = await failure(sb.call('fn'));
    expect(fnResult.message).toMatch(/^fn returned a value that cannot be copied out of the sandbox/);
  });
});

describe('Sandbox limits', () => {
  it('kills an infinite loop at the call timeout, refuses that function afterwards, and keeps the others working', async () => {
    const sb = sandbox('export function spin() { for (;;) {} } export function ok(x) { return x + 1; }', { callTimeoutMs: 300 });
    const t = await failure(sb.call('spin'));
    expect(t.kind).toBe('timeout');
    expect(t.message).toBe('spin used 0.3 s of CPU without finishing (an infinite loop?)');
    expect(await sb.call('ok', 1)).toBe(2);
    const again = await failure(sb.call('spin'));
    expect(again.kind).toBe('timeout');
    expect(again.message).toMatch(/is not called again/);
  });

  it('counts the CPU time a call uses, not the time it waits: a call that sleeps 1.5 s passes a 0.3 s limit', async () => {
    // what a busy machine does to a correct call: it waits for a core without computing
    const sb = sandbox('export function nap(ms) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); return "rested"; }', { callTimeoutMs: 300 });
    expect(await sb.call('nap', 1500)).toBe('rested');
  });

  it('stops a call that waits forever at the idle backstop, saying how little CPU it used; a promise nothing can settle fails at once', async () => {
    const sb = sandbox(`export async function wait() { await new Promise((r) => setTimeout(r, 1e9)); }
      export async function never() { await new Promise(() => {}); } export function ok() { return 1; }`, { callTimeoutMs: 300, callIdleLimitMs: 1000 });
    const e = await failure(sb.call('wait'));
    expect(e.kind).toBe('timeout');
    expect(e.message).toMatch(/^wait did not finish: it waited 1 s without computing, using (0|0\.0[0-9]+) s of CPU \(does it wait for something that never comes\?\)$/);
    expect(await sb.call('ok')).toBe(1);
    // with nothing left to run, the child says so instead of waiting
    const e2 = await failure(sb.call('never'));
    expect([e2.kind, e2.message]).toEqual(['error', 'never threw Error: returned a promise that never settles (nothing was left for it to wait for)']);
    expect(await sb.call('ok')).toBe(1);
  });

  it('survives process.exit inside a call and respawns for the next one', async () => {
    const sb = sandbox('export function quit() { process.exit(7); } export function ok() { return "fine"; }');
    const e = await failure(sb.call('quit'));
    expect(e.kind).toBe('crash');
    expect(e.message).toBe('the sandbox stopped while running quit: it exited with code 7 (does the code call process.exit?)');
    expect(await sb.call('ok')).toBe('fine');
  });

  it("drops the reference's work for a call that ended while it was answered: the worker's next student neither waits behind it nor pays for it", async () => {
    // student code writes a call of another exercise to the pipe itself, then does not wait for the
    // answer: it replies (its child's protocol code does) at once or 40 ms later, while the
    // reference's sandbox is still starting, exits, or loops. The reference, here a loop of 3·10¹⁰
    // steps, ran on in the oracle's sandbox up to its 5 s limit, charged to nobody; an honest
    // classmate's call of the oracle queued behind it, waited ≈ 5 s, was charged ≈ 5.3 s and failed
    // ("the sandbox is not running") when that sandbox was killed at its limit. (Closed while
    // starting, the oracle's sandbox retried its load in a fresh child and ran the work there.)
    const spin = (n: number) => { let x = 0; for (let i = 0; i < n; i++) x += Math.sqrt(i); return x; };
    const reference = `export function oracle$07_training$trainMlp(n) { ${spin.toString().replace(/^\(n\) => \{|\}$/g, '')} }`;
    const hex = Buffer.from(encodeFrame(ORACLE_CALL, 0, ['07-training', 'trainMlp', [3e10]])).toString('hex');
    const violation = /^fire was stopped: the sandbox broke the grader's protocol \(a message while its call of another exercise was being answered\)/;
    const ways: Array<[string, string, RegExp]> = [
      ['replies at once', 'return 1;', violation],
      ['replies 40 ms later', 'const t = Date.now(); while (Date.now() - t < 40) {} return 1;', violation],
      ['exits', 'process.exit(0);', /^the sandbox stopped while running fire: it exited with code 0/],
      ['loops', 'for (;;) {}', /^fire used 1 s of CPU without finishing/],
    ];
    for (const [way, then, message] of ways) {
      const oracle = new Oracle(reference, 5000); // a worker's oracle, its sandbox not started yet
      const access = { oracle, allowed: () => true };
      try {
        const mallory = sandbox(`import { writeSync } from 'node:fs';
          export function fire() { writeSync(3, Buffer.from('${hex}', 'hex')); ${then} }`, { callTimeoutMs: 1000, oracle: access });
        const honest = sandbox("export function ask() { return globalThis.__gradlabOracle('07-training', 'trainMlp', [1e6]); }", { callTimeoutMs: 3000, oracle: access });
        await honest.exports();
        expect((await failure(mallory.call('fire'))).message, way).toMatch(message);
        expect(await honest.call('ask'), way).toBe(spin(1e6));
        // the reference's 10⁶ steps take milliseconds; its abandoned work would have been ≥ 5 s of CPU
        expect(honest.cpuMs, way).toBeLessThan(2500);
        // and the reference stopped with the call that asked, in every sandbox the oracle started
        expect(oracle.cpuMs, way).toBeLessThan(2500);
      } finally {
        oracle.close();
      }
    }
  });

  it("keeps at most KEPT_ENTRIES of the reference's caches computed in the grader's process for one call: a loop of calls is refused past them, not held", async () => {
    // an attacker's 05 called 02's mlpForward 100,000 times in one call on 600 × 600 matrices: each
    // answer computed in the vitest worker, each cache (two 600 × 600 matrices) kept until the call
    // ended, the worker at 4.4 GB, dead, and its classmates' grades with it
    const oracle = new Oracle('export function oracle$02_backprop$mlpForward(n) { return { out: n, cache: { a: new Array(n).fill(0.5) } }; }', 5000);
    try {
      const sb = sandbox(`export function loop(n, times) {
          let kept = 0;
          try { for (let i = 0; i < times; i++) { globalThis.__gradlabOracle('02-backprop', 'mlpForward', [n]); kept++; } } catch (e) { return [kept, e.message]; }
          return [kept, null];
        }`, { callTimeoutMs: 5000, oracle: { oracle, allowed: () => true } });
      // 10 caches of 200,000 entries (200,001 counted: the key too) in one call: kept
      expect(await sb.call('loop', 200_000, 10)).toEqual([10, null]);
      // 30 of them: the 20th would pass 4,000,000, and it and every later one are refused
      const [kept, message] = await sb.call('loop', 200_000, 30) as [number, string];
      expect(kept).toBe(19);
      expect(message).toBe('mlpForward (from 02-backprop) is not answered: the caches the grader keeps for this call until it ends would pass 4,000,000 numbers; call it fewer times in one call');
      expect(KEPT_ENTRIES).toBe(4_000_000);
      // the next call starts with none kept
      expect(await sb.call('loop', 200_000, 19)).toEqual([19, null]);
    } finally {
      oracle.close();
    }
  });

  it('stops a call that runs out of memory as one that runs out of CPU: a timeout of that call only, remembered, charged its whole limit', async () => {
    const sb = sandbox('const keep = []; export function hog() { for (;;) keep.push(new Array(1e6).fill(1.5)); } export function ok() { return 1; }',
      { callTimeoutMs: 20_000, heapMb: 64 });
    const e = await failure(sb.call('hog'));
    expect(e.kind).toBe('timeout');
    expect(e.message).toBe(`hog ran out of memory without finishing (the sandbox allows a 64 MB heap and ${addressSpaceMb(64)} MB in all): ` +
      'a loop that never ends, or a runaway allocation?');
    // 64 MB of 8 MB arrays takes a fraction of a second: the rest of the 20 s is charged as if it had run out of CPU
    expect(sb.cpuMs).toBeGreaterThanOrEqual(20_000);
    expect(await sb.call('ok')).toBe(1);
    expect((await failure(sb.call('hog'))).message).toBe('hog is not called again: it did not finish within its limit earlier in this run (an infinite loop?)');
  });

  it('reads out of memory only from V8\'s own words in a child that died of a signal: not a caught allocation error printed, nor an exit code', async () => {
    const caught = 'RangeError: Array buffer allocation failed';
    const said = 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory';
    const sb = sandbox(`export function say() { console.error(${JSON.stringify(caught)}); return 1; }
      export function quit() { process.exit(2); } export function abort() { process.abort(); }
      export function both() { console.error(${JSON.stringify(said)}); process.exit(3); }`);
    expect(await sb.call('say')).toBe(1);
    const quit = await failure(sb.call('quit'));
    expect([quit.kind, quit.message]).toEqual(['crash', 'the sandbox stopped while running quit: it exited with code 2 (does the code call process.exit?)']);
    expect(await sb.call('say')).toBe(1);
    const abort = await failure(sb.call('abort'));
    expect([abort.kind, abort.message]).toEqual(['crash', 'the sandbox stopped while running abort: it was killed by SIGABRT (out of memory?)']);
    const both = await failure(sb.call('both'));
    expect([both.kind, both.message]).toEqual(['crash', 'the sandbox stopped while running both: it exited with code 3 (does the code call process.exit?)']);
    // none of them is remembered: each is called again in a fresh child
    expect((await failure(sb.call('quit'))).kind).toBe('crash');
  });

  it('sends a call queued behind one whose child ran out of memory to no child rather than a fresh one whose module is not loaded', async () => {
    const sb = sandbox('const keep = []; export function hog() { for (;;) keep.push(new Array(1e6).fill(1.5)); } export function ok() { return 1; }',
      { callTimeoutMs: 20_000, heapMb: 48 });
    await sb.exports();
    const outcome = (p: Promise<unknown>) => p.then((v) => v, (e: SandboxError) => `${e.kind}: ${e.message}`);
    const child = (sb as unknown as { child: import('node:child_process').ChildProcess }).child;
    // V8's last words held back: the child has exited and its stderr is not read to its end, the
    // moment a caller starting from a macrotask (another test's reply) may come
    child.stderr?.pause();
    const other = new Promise((resolve) => child.once('exit', () => setImmediate(() => resolve(outcome(sb.call('ok'))))));
    const hog = outcome(sb.call('hog'));
    const queued = outcome(sb.call('ok'));
    await once(child, 'exit');
    await new Promise((r) => setTimeout(r, 100));
    child.stderr?.resume();
    expect(await hog).toMatch(/^timeout: hog ran out of memory without finishing/);
    expect(await queued).toBe('crash: the sandbox is not running (ok)');
    expect(await other).toBe('crash: the sandbox is not running (ok)');
    expect(await sb.call('ok')).toBe(1);
  });

  it('ends a loop that allocates forever the same way whichever limit it reaches first: CPU time or memory', async () => {
    // one element a turn, kept: V8 collects ever harder near its heap limit, so how much CPU it takes
    // to run out of memory depends on the machine; a limit far below or far above that fixes which comes first
    const code = 'const keep = []; export function grow() { for (let i = 0; ; i++) keep.push([i]); } export function ok() { return 2; }';
    const byCpu = sandbox(code, { callTimeoutMs: 200, heapMb: 1024 });
    const byMemory = sandbox(code, { callTimeoutMs: 60_000, heapMb: 32 });
    const [cpu, memory] = [await failure(byCpu.call('grow')), await failure(byMemory.call('grow'))];
    expect(cpu.message).toBe('grow used 0.2 s of CPU without finishing (an infinite loop?)');
    expect(memory.message).toMatch(/^grow ran out of memory without finishing \(the sandbox allows a 32 MB heap/);
    for (const [sb, e, limitMs] of [[byCpu, cpu, 200], [byMemory, memory, 60_000]] as const) {
      expect(e.kind).toBe('timeout');
      expect(sb.cpuMs).toBeGreaterThanOrEqual(limitMs);
      expect((await failure(sb.call('grow'))).message).toBe('grow is not called again: it did not finish within its limit earlier in this run (an infinite loop?)');
      expect(await sb.call('ok')).toBe(2);
    }
  });

  it('remembers a module that cannot load: throw, exit or hang at import', async () => {
    const throws = sandbox('throw new TypeError("boom at import"); export function f() {}');
    const e1 = await failure(throws.call('f'));
    expect(e1.kind).toBe('error');
    expect(e1.message).toBe('m.ts throws when it is imported: TypeError: boom at import');
    const e1b = await failure(throws.call('f'));
    expect(e1b).toBe(e1);

    const exits = sandbox('process.exit(0); export function f() {}');
    expect((await failure(exits.call('f'))).message).toMatch(/could not be imported: the sandbox stopped while running import: it exited with code 0/);

    const hangs = sandbox('for (;;) {} export function f() {}', { loadTimeoutMs: 300 });
    const e3 = await failure(hangs.call('f'));
    expect(e3.kind).toBe('timeout');
    expect(e3.message).toBe('m.ts could not be imported: import used 0.3 s of CPU without finishing (an infinite loop?)');
    expect(await failure(hangs.call('f'))).toBe(e3); // remembered: no second wait for the limit
  });

  it('denies the file system, child processes and workers', async () => {
    const sb = sandbox(`
      import fs from 'node:fs';
      import cp from 'node:child_process';
      import { Worker } from 'node:worker_threads';
      const tryIt = (f) => { try { f(); return 'allowed'; } catch (e) { return e.code || e.message; } };
      export function probe(root) {
        return {
          read: tryIt(() => fs.readFileSync(root + '/package.json', 'utf8')),
          write: tryIt(() => fs.writeFileSync('/tmp/gradlab-sandbox-probe', 'x')),
          spawn: tryIt(() => cp.execSync('echo hi')),
          worker: tryIt(() => new Worker('1', { eval: true })),
          env: Object.entries(process.env),
        };
      }`);
    expect(await sb.call('probe', ROOT)).toEqual({
      // an empty environment but the working directory bubblewrap always names (its own tmpfs)
      read: 'ERR_ACCESS_DENIED', write: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED', worker: 'ERR_ACCESS_DENIED', env: [['PWD', '/tmp']],
    });
  });

  it('takes away process.kill, the one door the permission model leaves open (signals to the grader)', async () => {
    const sb = sandbox(`export function f() {
      const tries = [];
      for (const attempt of [() => process.kill(process.ppid, 'SIGSTOP'), () => process._kill(process.ppid, 9), () => { process.kill = () => 0; }]) {
        try { attempt(); tries.push('done'); } catch (e) { tries.push(e.message); }
      }
      return tries;
    }`);
    expect(await sb.call('f')).toEqual([
      'process.kill is not allowed in the grading sandbox',
      'process._kill is not allowed in the grading sandbox',
      "Cannot assign to read only property 'kill' of object '#<process>'",
    ]);
  });

  it('refuses forged reply frames as an error of that call, before building anything they announce', async () => {
    // student code can write to the protocol's pipe (fd 3): it answers the call itself, with bytes
    // the child's encoder would never write (every request id is 2 in this file: see the mock of node:crypto above)
    const forger = () => sandbox(`
      import { writeSync } from 'node:fs';
      export function forge(id, hex) {
        const value = Buffer.from(hex, 'hex');
        const b = Buffer.alloc(9 + value.length);
        b.writeUInt32LE(5 + value.length, 0); b[4] = 2; b.writeUInt32LE(id, 5); value.copy(b, 9);
        writeSync(3, b);
        return new Promise(() => {}); // its own reply would come after the forged one
      }`);
    const cases: Array<[string, string, RegExp]> = [
      ['a matrix of 20000000 × 0', reply(u8(TAG.MAT), u32(2e7), u32(0)), /a matrix of 20000000 × 0$/],
      ['a matrix of 1000000 × 3 with 6 numbers', reply(u8(TAG.MAT), u32(1e6), u32(3), f64s(6)), /a message shorter than the value it announces$/],
      ['an array of 2³² − 1 entries in 1 byte', reply(u8(TAG.ARR), u32(2 ** 32 - 1), u8(TAG.NULL)), /a message shorter than the value it announces$/],
      ['40 nested arrays', reply(...Array.from({ length: 40 }, () => u8(TAG.ARR) + u32(1)), u8(TAG.NULL)), /a value nested more than 32 levels deep$/],
      ['an unknown tag', reply(u8(99)), /an unknown tag 99$/],
    ];
    for (const [what, hex, message] of cases) {
      const sb = forger();
      const e = await failure(sb.call('forge', 2, hex));
      expect([e.kind, e.message], what).toEqual(['error', expect.stringMatching(/^forge returned a value the grader refuses: /)]);
      expect(e.message.replace(/; return plain numbers, arrays and objects$/, ''), what).toMatch(message);
      expect(sb.lastDecode?.usedEntries ?? Infinity, what).toBeLessThan(50); // nothing it announced was built
      sb.close();
    }
    // a reply to a question that was not asked
    const e = await failure(forger().call('forge', 999, reply(u8(TAG.TRUE))));
    expect(e.message).toBe("forge was stopped: the sandbox broke the grader's protocol (a message that is not the answer to the question asked); only code that writes to the grader's channel itself does this");
  });

  it('keeps no more of a frame than its cap: an oversize announcement is refused before any of its bytes, and 40 MB of empty objects decode no further than a million', async () => {
    const sb = sandbox(`
      import { writeSync } from 'node:fs';
      const header = (length, kind, id) => { const b = Buffer.alloc(9); b.writeUInt32LE(length, 0); b[4] = kind; b.writeUInt32LE(id, 5); return b; };
      export function flood(id, mb, kind) {
        // a frame of empty objects: an array of n entries, each OBJ with 0 keys (5 bytes)
        const n = Math.floor((mb * 2 ** 20 - 10) / 5);
        const body = Buffer.alloc(5 + 5 * n, 0);
        body[0] = ${TAG.ARR}; body.writeUInt32LE(n, 1);
        for (let i = 0; i < n; i++) body[5 + 5 * i] = ${TAG.OBJ};
        writeSync(3, header(5 + body.length, kind, id));
        for (let at = 0; at < body.length; at += 2 ** 20) writeSync(3, body.subarray(at, at + 2 ** 20));
        return new Promise(() => {});
      }
      export function ok() { return 1; }`, { callTimeoutMs: 10_000 });
    // 60 MB (the attack that held a class for 76 s with Node's IPC): refused on its announced length
    const e1 = await failure(sb.call('flood', 2, 60, 2));
    expect([e1.kind, e1.message]).toEqual(['error', "flood was stopped: the sandbox broke the grader's protocol (it sent a message of 60.0 MB, more than the 48 MB the grader reads); only code that writes to the grader's channel itself does this"]);
    expect(sb.reader?.maxHeld).toBeLessThan(1000); // the load's reply, nothing of the flood
    // 40 MB, under the cap: kept, then decoded only as far as a million containers
    const e2 = await failure(sb.call('flood', 2, 40, 2)); // every id is 2 here (see the mock of node:crypto above)
    expect([e2.kind, e2.message]).toEqual(['error', 'flood returned a value the grader refuses: a value of more than 1000000 arrays, objects and strings in all; return plain numbers, arrays and objects']);
    expect(sb.reader?.maxHeld).toBe(5 + 5 + 5 * Math.floor((40 * 2 ** 20 - 10) / 5));
    expect(sb.lastDecode?.usedContainers).toBe(1_000_001);
    // a call of another exercise is capped lower (16 MB): refused on its kind, before its body is kept
    const e3 = await failure(sb.call('flood', 2, 20, 3));
    expect(e3.message).toBe("flood was stopped: the sandbox broke the grader's protocol (it sent a message of 20.0 MB, more than the 16 MB the grader reads); only code that writes to the grader's channel itself does this");
    expect(sb.reader?.maxHeld).toBeLessThan(1000);
    expect(await sb.call('ok')).toBe(1);
  });

  it('refuses a reply that stands for far more than its bytes (sparse arrays, shared references, deep nesting) as an error of that call', async () => {
    // the child's encoder writes every entry, so a sparse array or a tree of shared references is as
    // large as what it stands for, and past the frame cap it is refused in the child
    const sb = sandbox(`
      export function hostile(kind) {
        if (kind === 'sparse') { const a = []; a.length = 2 ** 32 - 1; a[7] = 1; return [a]; }
        if (kind === 'shared') { let level = [1]; for (let d = 0; d < 8; d++) level = Array.from({ length: 64 }, () => level); return level; }
        if (kind === 'deep') { let v = [1]; for (let d = 0; d < 40; d++) v = [v]; return v; }
        if (kind === 'big') return { W: Array.from({ length: 4_000_003 }, (_, i) => i % 7) };
        return { W: [[1, 2], [3, 4]] };
      }`, { callTimeoutMs: 5000 });
    for (const kind of ['sparse', 'shared']) {
      const e = await failure(sb.call('hostile', kind));
      expect([e.kind, e.message], kind).toEqual(['error', 'hostile returned a value that cannot be copied out of the sandbox (a value of more than 48 MB); return plain numbers, arrays and objects']);
    }
    expect((await failure(sb.callPacked('hostile', 'deep'))).message).toMatch(/^hostile returned a value the grader refuses: a value nested more than 32 levels deep; /);
    // honest values of any size up to the cap arrive whole; one cap for a whole batch
    expect(((await sb.call('hostile', 'big')) as { W: number[] }).W).toHaveLength(4_000_003);
    const batch = await sb.callMany('hostile', [['fine'], ['big']]);
    expect(batch.map((r) => r.ok)).toEqual([true, true]);
    expect(batch[0]).toEqual({ ok: true, value: { W: [[1, 2], [3, 4]] } });
    await expect(sb.callMany('hostile', [['big'], ['big']])).rejects.toThrow('hostile returned a value that cannot be copied out of the sandbox (a value of more than 48 MB)');
  });

  it('callPacked hands large matrices over packed, leaves small and ragged ones as arrays, and records the same value', async () => {
    const sb = sandbox(`
      export function layers() {
        const W = Array.from({ length: 64 }, (_, i) => Array.from({ length: 80 }, (_, j) => i * 80 + j - 0.5));
        return [{ W, b: [1, 2] }, { W: [[1, 2], [3]], b: [] }];
      }
`);
    const got = await sb.callPacked('layers') as Array<{ W: unknown; b: unknown }>;
    expect(got[0].W).toBeInstanceOf(PackedMatrix);
    const W = got[0].W as PackedMatrix;
    expect([W.rows, W.cols, W.data.length, W.data[0], W.data[80 * 63 + 79]]).toEqual([64, 80, 5120, -0.5, 5119 - 0.5]);
    expect(got[0].b).toEqual([1, 2]);
    expect(got[1]).toEqual({ W: [[1, 2], [3]], b: [] });
    expect(sb.records[0].value).toBe(got);
    expect(await sb.call('layers')).toEqual([{ W: Array.from(W.data).reduce<number[][]>((m, v, t) => { (m[Math.floor(t / 80)] ??= []).push(v); return m; }, []), b: [1, 2] }, { W: [[1, 2], [3]], b: [] }]);
  });

  it('callVariants calls once per edit on a fresh copy of the arguments with that entry moved, records base and edit, and survives a student who mutates the copy', async () => {
    const sb = sandbox(`
      export function f(x, p) { const out = x[0][1] + 10 * p.v[2] + 100 * x[1][0]; x[0][1] = 999; p.v.push(7); return out; }`);
    const base = [[[1, 2], [3, 4]], { v: [5, 6, 7] }];
    const edits = [
      { path: [0], index: [0, 1], delta: 0.5 },
      { path: [1, 'v'], index: [2], delta: -1 },
      { path: [0], index: [1, 0], delta: 1e-5 },
      { path: [1, 'nope'], index: [0], delta: 1 },
    ];
    const got = await sb.callVariants('f', base, edits);
    expect(got.slice(0, 3)).toEqual([
      { ok: true, value: 2.5 + 70 + 300 },
      { ok: true, value: 2 + 60 + 300 },
      { ok: true, value: 2 + 70 + (3 + 1e-5) * 100 },
    ]);
    expect(got[3].ok).toBe(false);
    expect(!got[3].ok && got[3].error.message).toMatch(/^f threw ProtocolError: cannot apply edit 3: /);
    // the same numbers as sending each copy: what finite differences did before
    const copies = edits.slice(0, 3).map((e) => {
      const c = structuredClone(base) as [number[][], { v: number[] }];
      if (e.index.length === 2) (c[e.path[0] as 0])[e.index[0]][e.index[1]] += e.delta;
      else c[1].v[e.index[0]] += e.delta;
      return c;
    });
    expect((await sb.callMany('f', copies)).map((r) => r.ok && r.value)).toEqual(got.slice(0, 3).map((r) => r.ok && r.value));
    expect(base).toEqual([[[1, 2], [3, 4]], { v: [5, 6, 7] }]);
    expect(sb.records.slice(0, 3).map((r) => [r.args, r.edit, r.argsAfter])).toEqual(edits.slice(0, 3).map((e) => [base, e, null]));
  });

  it("keeps or drops the student's own realm by the CPU time of its import, never by how long the machine held it", async () => {
    // (a reviewer's case: a 1 s import kept an own 01 on an idle machine and lost it under load, 12/20 against 20/20 in 02)
    const own = (body: string) => `var __gradlabOwnExports = (() => { ${body}; return { f: () => 1 }; })();`;
    const graded = "export function g() { return globalThis.__gradlabOracle('01-activations', 'f', []); }";
    const ownNames = async (sb: ReturnType<typeof sandbox>) => Object.keys(await sb.exports()).filter((k) => k.startsWith('__gradlabOwn$'));
    // 2.5 s of wall time and next to no CPU, as a process a busy machine keeps waiting: kept (the old 2 s of wall time dropped it)
    const held = sandbox(graded, { own: { '01-activations': own('Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2500)') } });
    expect(await ownNames(held)).toEqual(['__gradlabOwn$01-activations$f']);
    // computing ≈ 0.2–0.5 s: dropped under a limit of 0.1 s of CPU, kept under the default 2 s
    const computing = own('let s = 0; for (let i = 0; i < 3e8; i++) s += i % 7; if (s < 0) throw new Error()');
    expect(await ownNames(sandbox(graded, { own: { '01-activations': computing }, ownImportCpuMs: 100 }))).toEqual([]);
    expect(await ownNames(sandbox(graded, { own: { '01-activations': computing } }))).toEqual(['__gradlabOwn$01-activations$f']);
  });

  it("passes values to and from the student's own 02 in its realm as the oracle's messages carry them: fresh arrays of this realm, holes as undefined, fields only, nothing shared, no Proxy, function or cycle", async () => {
    // the own 02 as compile-child.mjs writes it (a script leaving __gradlabOwnExports), run in a realm of its own
    const own = `var __gradlabOwnExports = (() => ({
      holes: () => [1, , 3],
      instance: () => new (class P { constructor() { this.x = 1; } get y() { return 2; } })(),
      extra: () => { const a = [1, 2]; a.note = 'x'; return a; },
      shared: () => { const r = [1, 2]; return [r, r]; },
      special: () => [-0, NaN, Infinity, 'text', true, null, undefined, { __proto__: null, k: [[1.5]] }],
      keyed: () => JSON.parse('{"__proto__": 5, "a": [2]}'),
      cycle: () => { const o = {}; o.self = o; return o; },
      proxy: () => new Proxy([1], {}),
      fn: () => () => 1,
      mutate: (a) => { a[0] = 99; a.push(3); return a; },
      kept: (a) => { globalThis.kept = a; return 0; },
      later: () => { globalThis.kept[0] = 42; return 0; },
      sparse: () => { const a = []; a[4e9] = 1; return a; },
      long: () => new Array(1.5e6).fill(0.5),
    }))();`;
    const sb = sandbox(`
      const own = (fn, ...args) => globalThis.__gradlabOracle('02-backprop', fn, args);
      export function get(fn) {
        try {
          const v = own(fn);
          return { v, realm: Array.isArray(v) ? v instanceof Array : v !== null && typeof v === 'object' ? Object.getPrototypeOf(v) === Object.prototype : null };
        } catch (err) { return { error: err.message }; }
      }
      export function shared() { const r = own('shared'); r[0][0] = 7; return r[1][0]; }
      export function mutate() { const a = [1, 2]; const back = own('mutate', a); return [a, back, a === back]; }
      export function keep() { const a = [1, 2]; own('kept', a); own('later'); return a; }
      export function holes() { const v = own('holes'); return [1 in v, v.length]; }
      export function long() { const v = own('long'); return [v.length, v[1499999]]; }
      export function keyed() { const v = own('keyed'); return [Object.getPrototypeOf(v) === Object.prototype, Object.keys(v), v.a]; }`,
    { own: { '02-backprop': own } });
    const exported = await sb.exports();
    const names = ['holes', 'instance', 'extra', 'shared', 'special', 'keyed', 'cycle', 'proxy', 'fn', 'mutate', 'kept', 'later', 'sparse', 'long'];
    expect(names.every((n) => exported[`__gradlabOwn$02-backprop$${n}`] === 'function')).toBe(true);
    await sb.useOwn({ '02-backprop': names });
    expect(await sb.call('get', 'holes')).toEqual({ v: [1, undefined, 3], realm: true });
    expect(await sb.call('holes')).toEqual([true, 3]);
    expect(await sb.call('get', 'instance')).toEqual({ v: { x: 1 }, realm: true });
    expect(await sb.call('get', 'extra')).toEqual({ v: [1, 2], realm: true });
    expect(await sb.call('shared')).toBe(1);
    const special = await sb.call('get', 'special') as { v: unknown[] };
    expect(Object.is(special.v[0], -0) && Number.isNaN(special.v[1])).toBe(true);
    expect(special.v.slice(2)).toEqual([Infinity, 'text', true, null, undefined, { k: [[1.5]] }]);
    expect(await sb.call('keyed')).toEqual([true, ['__proto__', 'a'], [2]]);
    expect(await sb.call('get', 'cycle')).toEqual({ error: 'a value nested more than 64 levels deep (a cycle?) cannot be copied' });
    expect(await sb.call('get', 'proxy')).toEqual({ error: 'a Proxy cannot be copied (not data)' });
    expect(await sb.call('get', 'fn')).toEqual({ error: 'a function cannot be copied (not data)' });
    // as many entries as the largest message carries (48 MB of numbers), and not the length of a sparse array
    expect(await sb.call('long')).toEqual([1.5e6, 0.5]);
    expect(await sb.call('get', 'sparse')).toEqual({ error: `a value of more than ${48 * 2 ** 20 / 8} entries cannot be copied` });
    // its own copies: the caller's array is never the one it changes or keeps, nor the one it gets back
    expect(await sb.call('mutate')).toEqual([[1, 2], [99, 2, 3], false]);
    expect(await sb.call('keep')).toEqual([1, 2]);
    // the same values through the codec, as the reference's answers come from the oracle
    const carried = (v: unknown) => decodeBody(encodeFrame(REPLY, 1, v).subarray(HEADER_BYTES));
    // eslint-disable-next-line no-sparse-arrays
    expect(carried([1, , 3])).toEqual([1, undefined, 3]);
    expect(carried(new (class P { x = 1; get y() { return 2; } })())).toEqual({ x: 1 });
    expect(Object.keys(carried(JSON.parse('{"__proto__": 5, "a": [2]}')) as object)).toEqual(['__proto__', 'a']);
    expect(() => encodeFrame(REPLY, 1, new Proxy([1], {}), { isProxy: (v) => types.isProxy(v) })).toThrow(/Proxy/);
  });

  it('caps the error names and messages that come back (200 and 2000 characters)', async () => {
    const sb = sandbox(`export function loud() {
      process.send = undefined; // no effect on the protocol: it kept its own send
      const e = new Error('m'.repeat(1e6)); e.name = 'N'.repeat(1e5); throw e;
    }`);
    expect((await failure(sb.call('loud'))).message).toBe(`loud threw ${'N'.repeat(200)}: ${'m'.repeat(2000)}`);
  });

  it('has no IPC channel for student code to use: process.send is not there', async () => {
    const sb = sandbox('export function f() { return [typeof process.send, typeof process.channel, process.connected ?? null]; }');
    expect(await sb.call('f')).toEqual(['undefined', 'undefined', null]);
  });
});

describe('sampleProcess', () => {
  it('reads a child’s CPU time from /proc, also when the child forges its process name', async () => {
    // the name holds ')' and fake fields: a parser that splits at the first ')' reads 99999 s
    const child = spawn(process.execPath, ['-e', `process.title = 'x) R 1 2 3 4 5 6 7 8 9 99999 99999';
      const total = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
      while (total() < 400) {}
      process.stdout.write(String(total())); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [own] = await once(child.stdout, 'data') as [Buffer];
      const sample = sampleProcess(child.pid as number);
      const ms = sample?.cpuMs as number;
      // the kernel's tick-sampled count agrees with the child's own (getrusage) to a few 10 ms ticks
      expect(ms).toBeGreaterThanOrEqual(Number(own.toString()) - 50);
      expect(ms).toBeLessThanOrEqual(Number(own.toString()) + 100);
    } finally {
      child.kill('SIGKILL');
    }
    await once(child, 'exit');
    expect(sampleProcess(child.pid as number)).toBeNull();
  });

  it('sees a computing child as runnable, whether or not it has a core right now', async () => {
    const child = spawn(process.execPath, ['-e', "process.stdout.write('go'); for (;;) {}"], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await once(child.stdout, 'data');
      expect(sampleProcess(child.pid as number)?.runnable).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('Sandbox confinement (operating-system limits)', () => {
  // Node 20's permission model has no network switch; Node >= 25's denies the network without --allow-net
  const nodeDeniesNet = Number(process.versions.node.split('.')[0]) >= 25;
  // what the child meets is what the probe found in force, whatever the version (the test above ties the two)
  const childDeniedNet = (): boolean => confinement().layers.some((l) => l.id === 'node-permission-network' && l.inForce);
  it('has every layer this machine can give: bubblewrap, no groups, its own network, capped memory and files, CPU time from /proc', () => {
    // the permission model's network switch is the one layer not required (Node 20-24 have none)
    expect(confinement()).toEqual({
      layers: LAYERS.map((id) => (id !== 'node-permission-network' || nodeDeniesNet ? { id, inForce: true } : { id, inForce: false, why: expect.stringMatching(/^Node .* under --permission: a connection gave E[A-Z]+$/) })),
      missing: [],
    });
  });

  it('stops ArrayBuffer, Buffer, SharedArrayBuffer and WebAssembly memory bombs as out-of-memory of that call', async () => {
    const sb = sandbox(`
      const keep = [];
      export function arrayBuffer() { for (;;) keep.push(new ArrayBuffer(128 * 2 ** 20)); }
      export function buffer() { for (;;) keep.push(Buffer.allocUnsafeSlow(128 * 2 ** 20)); }
      export function shared() { for (;;) keep.push(new SharedArrayBuffer(128 * 2 ** 20)); }
      export function wasm() { for (;;) keep.push(new WebAssembly.Memory({ initial: 2048 })); }
      export function held() { return keep.length; }`, { callTimeoutMs: 5000 });
    for (const fn of ['arrayBuffer', 'buffer', 'shared', 'wasm']) {
      const e = await failure(sb.call(fn));
      expect(e.kind, fn).toBe('error');
      expect(e.message, fn).toMatch(new RegExp(`^${fn} ran out of memory \\(the sandbox allows ${addressSpaceMb(256)} MB in all: a runaway allocation\\?\\): RangeError: `));
    }
    // what each bomb got before it failed stays in the child, which is bounded by its cap
    const held = (await sb.call('held')) as number;
    expect(held * 128).toBeLessThan(addressSpaceMb(256));
  });

  it('lets nothing reach a listener on 127.0.0.1: TCP, HTTP, fetch and UDP all fail in the child', async () => {
    let tcp = 0;
    let udp = 0;
    const server = net.createServer((s) => { tcp++; s.destroy(); });
    const socket = dgram.createSocket('udp4');
    socket.on('message', () => { udp++; });
    try {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      const tcpPort = (server.address() as net.AddressInfo).port;
      const udpPort = socket.address().port;
      const sb = sandbox(`
        import net from 'node:net';
        import http from 'node:http';
        import dgram from 'node:dgram';
        const outcome = (p) => p.then(() => 'reached', (e) => e.cause?.code ?? e.code ?? e.message);
        export async function leak(tcpPort, udpPort) {
          return {
            net: await outcome(new Promise((ok, fail) => net.connect(tcpPort, '127.0.0.1', ok).on('error', fail))),
            http: await outcome(new Promise((ok, fail) => http.get('http://127.0.0.1:' + tcpPort + '/expected', ok).on('error', fail))),
            fetch: await outcome(fetch('http://127.0.0.1:' + tcpPort + '/expected')),
            dgram: await outcome(new Promise((ok, fail) => {
              const s = dgram.createSocket('udp4');
              // Node >= 25's permission model refuses the bind as an 'error' event; a socket closed twice throws
              let done = false;
              const end = (e) => { if (done) return; done = true; try { s.close(); } catch {} e ? fail(e) : ok(); };
              s.on('error', end);
              s.send('expected values', udpPort, '127.0.0.1', end);
            })),
          };
        }`);
      // the child's network namespace has a loopback of its own (bubblewrap brings it up): nobody
      // listens there, and a datagram sent to it goes nowhere else; where Node's permission model
      // denies the network too (Node >= 25), it refuses every socket before the namespace is reached
      expect(await sb.call('leak', tcpPort, udpPort)).toEqual(childDeniedNet()
        ? { net: 'ERR_ACCESS_DENIED', http: 'ERR_ACCESS_DENIED', fetch: 'ERR_ACCESS_DENIED', dgram: 'ERR_ACCESS_DENIED' }
        : { net: 'ECONNREFUSED', http: 'ECONNREFUSED', fetch: 'ECONNREFUSED', dgram: 'reached' });
      expect({ tcp, udp }).toEqual({ tcp: 0, udp: 0 });
    } finally {
      server.close();
      socket.close();
    }
  });

  it('runs WebAssembly under its address-space cap on every Node line: a module importing node:http (whose llhttp parser is WebAssembly) loads and answers', async () => {
    // without --disable-wasm-trap-handler, Node 22 reserved ≈ 10 GB per WebAssembly memory, failed
    // under the cap, and the HTTP parser that importing node:http loads crashed the child soon after
    const sb = sandbox(`
      import http from 'node:http';
      export function pages(n) { return [typeof http.get, new WebAssembly.Memory({ initial: n }).buffer.byteLength]; }`);
    expect(await sb.call('pages', 1)).toEqual(['function', 65536]);
    expect(await sb.call('pages', 16)).toEqual(['function', 16 * 65536]);
  });

  it('writes no file anywhere: diagnostics are stubs, file writes fail, and its working directory goes with it', async () => {
    const names = ['gradlab-probe.heapsnapshot', 'gradlab-probe-report.json', 'gradlab-probe-v8.log', 'gradlab-probe-written.txt'];
    const places = [ROOT, process.cwd(), os.tmpdir()];
    const sb = sandbox(`
      import v8 from 'node:v8';
      import { setFlagsFromString, setHeapSnapshotNearHeapLimit } from 'node:v8';
      import traceEvents from 'node:trace_events';
      import inspector from 'node:inspector';
      import fs from 'node:fs';
      const tryIt = (f) => { try { f(); return 'allowed'; } catch (e) { return e.code || e.message; } };
      export function write(places) {
        const out = { cwd: process.cwd() };
        out.snapshot = tryIt(() => v8.writeHeapSnapshot('gradlab-probe.heapsnapshot'));
        out.nearLimit = tryIt(() => setHeapSnapshotNearHeapLimit(5));
        out.flags = tryIt(() => setFlagsFromString('--logfile=gradlab-probe-v8.log --log-all --prof'));
        out.report = tryIt(() => process.report.writeReport('gradlab-probe-report.json'));
        out.tracing = tryIt(() => traceEvents.createTracing({ categories: ['v8', 'node'] }).enable());
        out.inspector = tryIt(() => inspector.open(0));
        out.binding = tryIt(() => process.binding('fs'));
        out.files = places.map((p) => tryIt(() => fs.writeFileSync(p + '/gradlab-probe-written.txt', 'x')));
        return out;
      }`);
    const got = (await sb.call('write', places)) as Record<string, unknown> & { cwd: string };
    const stub = (what: string) => `${what} is not allowed in the grading sandbox`;
    expect(got).toEqual({
      cwd: got.cwd,
      snapshot: stub('v8.writeHeapSnapshot'),
      nearLimit: stub('v8.setHeapSnapshotNearHeapLimit'),
      flags: stub('v8.setFlagsFromString'),
      report: stub('process.report.writeReport'),
      tracing: stub('trace_events.createTracing'),
      inspector: stub('inspector.open'),
      binding: stub('process.binding'),
      files: places.map(() => 'ERR_ACCESS_DENIED'),
    });
    // a tmpfs of the child's own mount namespace (bubblewrap), gone with the namespace
    expect(got.cwd).toBe('/tmp');
    sb.close();
    expect(places.flatMap((p) => names.filter((n) => existsSync(path.join(p, n))))).toEqual([]);
  });
});
