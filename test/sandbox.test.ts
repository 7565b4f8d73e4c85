/**
 * The sandbox, with real child processes: what student code can and cannot do there, and how
 * each way of failing comes back (status and message), without harming the next call.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { argsAfterOf, PackedMatrix } from '../grader/sandbox/client';
import { addressSpaceMb, confinement, LAYERS } from '../grader/sandbox/confine';
import { sampleProcess } from '../grader/sandbox/cpu-time';
import { ROOT } from '../grader/paths';
import { failure, sandboxMaker } from './sandbox-harness';

const sandbox = sandboxMaker({ callTimeoutMs: 1000, loadTimeoutMs: 2000 });

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

  it('stops a call that waits forever at the idle backstop, saying how little CPU it used', async () => {
    const sb = sandbox('export async function wait() { await new Promise(() => {}); } export function ok() { return 1; }', { callTimeoutMs: 300, callIdleLimitMs: 1000 });
    const e = await failure(sb.call('wait'));
    expect(e.kind).toBe('timeout');
    expect(e.message).toMatch(/^wait did not finish: it waited 1 s without computing, using (0|0\.0[0-9]+) s of CPU \(does it wait for something that never comes\?\)$/);
    expect(await sb.call('ok')).toBe(1);
  });

  it('survives process.exit inside a call and respawns for the next one', async () => {
    const sb = sandbox('export function quit() { process.exit(7); } export function ok() { return "fine"; }');
    const e = await failure(sb.call('quit'));
    expect(e.kind).toBe('crash');
    expect(e.message).toBe('the sandbox stopped while running quit: it exited with code 7 (does the code call process.exit?)');
    expect(await sb.call('ok')).toBe('fine');
  });

  it('reports running out of memory as a crash of that call only', async () => {
    const sb = sandbox('const keep = []; export function hog() { for (;;) keep.push(new Array(1e6).fill(1.5)); } export function ok() { return 1; }',
      { callTimeoutMs: 20_000, heapMb: 64 });
    const e = await failure(sb.call('hog'));
    expect(e.kind).toBe('crash');
    expect(e.message).toMatch(/out of memory/);
    expect(await sb.call('ok')).toBe(1);
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

  it('refuses a forged packed matrix as an error of that call, without building it', async () => {
    const sb = sandbox(`
      const P = '__gradlabF64';
      export function forged(kind) {
        if (kind === 'zero-cols') return { [P]: new Float64Array(0), rows: 2e7, cols: 0 };
        if (kind === 'too-few') return { layers: [{ W: { [P]: new Float64Array(6), rows: 1e6, cols: 3 } }] };
        if (kind === 'not-f64') return { [P]: [1, 2, 3, 4], rows: 2, cols: 2 };
        if (kind === 'fraction') return { [P]: new Float64Array(4), rows: 0.5, cols: 8 };
        return { [P]: new Float64Array([1, 2, 3, 4, 5, 6]), rows: 2, cols: 3 };
      }`);
    for (const kind of ['zero-cols', 'too-few', 'not-f64', 'fraction']) {
      const e = await failure(sb.call('forged', kind));
      expect(e.kind, kind).toBe('error');
      expect(e.message, kind).toMatch(/^forged returned a value the grader refuses: a packed matrix whose shape does not match its data \(rows .*, cols .*\); return plain numbers, arrays and objects$/);
    }
    const res = await sb.callMany('forged', [['zero-cols'], ['fine']]);
    expect(res[0].ok).toBe(false);
    expect(res[1]).toEqual({ ok: true, value: [[1, 2, 3], [4, 5, 6]] }); // a well-formed one is a matrix, as the child would pack it
  });

  it('refuses a reply that stands for far more than its bytes (sparse arrays, shared references, deep nesting) as an error of that call, before anything walks it', async () => {
    // an object whose prototype is not Object.prototype is left as it is by the child's packLarge,
    // and structured clone delivers it as a plain object: the trusted side is the first to walk it
    const sb = sandbox(`
      const P = '__gradlabF64';
      const hide = (W) => { const o = Object.create(null); o.W = W; return o; };
      export function hostile(kind) {
        if (kind === 'sparse') { const a = []; a.length = 2 ** 32 - 1; a[7] = 1; return [hide(a)]; }
        if (kind === 'shared') { let level = [1]; for (let d = 0; d < 8; d++) level = Array.from({ length: 64 }, () => level); return hide(level); }
        if (kind === 'packed-shared') { const m = { [P]: new Float64Array(4096), rows: 64, cols: 64 }; return hide(Array.from({ length: 5000 }, () => m)); }
        if (kind === 'deep') { let v = [1]; for (let d = 0; d < 40; d++) v = [v]; return hide(v); }
        if (kind === 'big') return hide(Array.from({ length: 4_000_003 }, (_, i) => i % 7));
        return hide([[1, 2], [3, 4]]);
      }`, { callTimeoutMs: 5000 });
    for (const kind of ['sparse', 'shared', 'packed-shared']) {
      const e = await failure(sb.call('hostile', kind));
      expect([e.kind, e.message], kind).toEqual(['error', 'hostile returned a value the grader refuses: a value of more than 10000000 entries in all (a shared reference counts each time it is used, an array by its length); return plain numbers, arrays and objects']);
    }
    expect((await failure(sb.callPacked('hostile', 'deep'))).message).toMatch(/^hostile returned a value the grader refuses: a value nested more than 32 levels deep; /);
    // honest values of any size up to the budget arrive whole; one budget for a whole batch
    expect(((await sb.call('hostile', 'big')) as { W: number[] }).W).toHaveLength(4_000_003);
    const batch = await sb.callMany('hostile', [['fine'], ['big'], ['big'], ['big']]);
    expect(batch.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(batch[0]).toEqual({ ok: true, value: { W: [[1, 2], [3, 4]] } });
    expect(batch[3].ok || batch[3].error.message).toMatch(/a value of more than 10000000 entries in all/);
  });

  it('callPacked hands large matrices over packed, leaves small and ragged ones as arrays, records the same value, and refuses forged ones', async () => {
    const sb = sandbox(`
      const P = '__gradlabF64';
      export function layers() {
        const W = Array.from({ length: 64 }, (_, i) => Array.from({ length: 80 }, (_, j) => i * 80 + j - 0.5));
        return [{ W, b: [1, 2] }, { W: [[1, 2], [3]], b: [] }];
      }
      export function forged() { return { [P]: new Float64Array(6), rows: 1e6, cols: 3 }; }`);
    const got = await sb.callPacked('layers') as Array<{ W: unknown; b: unknown }>;
    expect(got[0].W).toBeInstanceOf(PackedMatrix);
    const W = got[0].W as PackedMatrix;
    expect([W.rows, W.cols, W.data.length, W.data[0], W.data[80 * 63 + 79]]).toEqual([64, 80, 5120, -0.5, 5119 - 0.5]);
    expect(got[0].b).toEqual([1, 2]);
    expect(got[1]).toEqual({ W: [[1, 2], [3]], b: [] });
    expect(sb.records[0].value).toBe(got);
    expect(await sb.call('layers')).toEqual([{ W: Array.from(W.data).reduce<number[][]>((m, v, t) => { (m[Math.floor(t / 80)] ??= []).push(v); return m; }, []), b: [1, 2] }, { W: [[1, 2], [3]], b: [] }]);
    const e = await failure(sb.callPacked('forged'));
    expect(e.message).toMatch(/^forged returned a value the grader refuses: a packed matrix whose shape does not match its data/);
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

  it('stops a child that floods the channel with a message that never ends, before this process holds more than 512 MB of it', async () => {
    // student code reaches the raw IPC pipe (a symbol-keyed property of process) and announces a
    // 2 GB message, then writes the same 64 MB over and over: Node keeps every byte until the end
    const sb = sandbox(`
      const sym = Object.getOwnPropertySymbols(process).find((s) => String(s) === 'Symbol(kChannelHandle)');
      const pipe = process[sym];
      const write = pipe.writeBuffer;
      const raw = (bytes) => { pipe.writeBuffer = function (req, _buf, handle) { pipe.writeBuffer = write; return write.call(this, req, bytes, handle); }; process.send(0); };
      export function flood() {
        raw(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
        const chunk = Buffer.alloc(64 * 2 ** 20, 0x41);
        for (let i = 0; i < 16; i++) raw(chunk); // 1 GB, twice the limit
        return new Promise(() => {});
      }
      export function ok() { return 1; }`, { callTimeoutMs: 5000, callIdleLimitMs: 60_000 });
    const e = await failure(sb.call('flood'));
    expect([e.kind, e.message]).toEqual(['timeout', 'flood was stopped: the sandbox sent more than 512 MB without finishing a reply']);
    expect(await sb.call('ok')).toBe(1);
  });

  it('caps the error names and messages that come back (200 and 2000 characters)', async () => {
    const sb = sandbox(`export function loud() {
      process.send = undefined; // no effect on the protocol: it kept its own send
      const e = new Error('m'.repeat(1e6)); e.name = 'N'.repeat(1e5); throw e;
    }`);
    expect((await failure(sb.call('loud'))).message).toBe(`loud threw ${'N'.repeat(200)}: ${'m'.repeat(2000)}`);
  });

  it('ignores messages it did not ask for (a student calling process.send)', async () => {
    const sb = sandbox('export function f() { process.send({ id: 999, reply: { ok: true, value: "fake" } }); process.send("noise"); return "real"; }');
    expect(await sb.call('f')).toBe('real');
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
