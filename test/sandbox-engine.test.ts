/**
 * The sandbox's process boundary, with real child processes: what a hostile module can reach of
 * the machine through the doors Node's permission model leaves open (signals, priorities, unix
 * sockets, the existence of files), aimed at the grader's own process and at a classmate's
 * sandbox graded beside it, who must keep exact answers. And what happens when a sandbox dies
 * while loading, or is stopped: the whole namespace goes.
 */
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../grader/sandbox/client';
import { confinedNode, confinement } from '../grader/sandbox/confine';
import { ROOT } from '../grader/paths';
import { failure, sandboxMaker } from './sandbox-harness';
import type { Readable, Writable } from 'node:stream';

const sandbox = sandboxMaker({ callTimeoutMs: 5000, loadTimeoutMs: 5000 });

/** The process a sandbox runs now and every process below it (the wrapper, the namespace's init, Node). */
function treeOf(sb: Sandbox): number[] {
  const top = (sb as unknown as { child: { pid: number } | null }).child?.pid;
  if (top === undefined) throw new Error('the sandbox has no child');
  const out = [top];
  for (let i = 0; i < out.length; i++) {
    try {
      out.push(...readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    } catch { /* gone */ }
  }
  return out;
}

/** Alive: in /proc and not a zombie (a process killed but not yet reaped has ended). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

// an honest classmate: exact answers, and the pid of the process that computes them
const HONEST = `
  export function sigmoid(x) { return 1 / (1 + Math.exp(-x)); }
`;

const HOSTILE = `
  import os from 'node:os';
  import net from 'node:net';
  const code = (f) => { try { f(); return 'done'; } catch (e) { return e.info?.code || e.code || e.message; } };
  const connect = (where) => new Promise((ok) => {
    try {
      const s = net.connect(where);
      s.on('connect', () => { s.write(JSON.stringify({ where, grader: 'here' })); s.end(); ok('connected'); });
      s.on('error', (e) => ok(e.code));
    } catch (e) { ok(e.code || e.message); }
  });
  const listen = (where) => new Promise((ok) => {
    try {
      const server = net.createServer();
      server.on('error', (e) => ok(e.code));
      server.listen(where, () => ok('listening'));
    } catch (e) { ok(e.code || e.message); }
  });
  export async function attack(targets, socketPath, resultsDir, files) {
    const out = { signal: {}, priority: {}, connect: null, listen: null, exists: {} };
    for (const [who, pids] of Object.entries(targets)) {
      out.signal[who] = pids.map((pid) => code(() => process._debugProcess(pid)));
      out.priority[who] = pids.map((pid) => code(() => os.setPriority(pid, 19)));
    }
    out.connect = await connect(socketPath);
    out.listen = await listen(resultsDir + '/students.sock');
    // connect() as an oracle for any file: ENOENT when it does not exist, something else when it does
    for (const [name, file] of Object.entries(files)) out.exists[name] = await connect(file);
    return out;
  }
`;

describe('Sandbox process boundary (bubblewrap: mount, PID and session namespaces)', () => {
  it("reaches neither the grader nor a classmate's sandbox: signals, priorities, unix sockets, socket files, file existence all fail, and the classmate keeps exact answers", async () => {
    const classmate = sandbox(HONEST);
    expect(await classmate.call('sigmoid', 0)).toBe(0.5);
    const classmateTree = treeOf(classmate);
    const priorities = () => [process.pid, ...classmateTree].map((pid) => os.getPriority(pid));
    const prioritiesBefore = priorities();

    const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-engine-'));
    const socketPath = path.join(tmp, 'listener.sock');
    const resultsDir = path.join(tmp, 'results');
    mkdirSync(resultsDir);
    const heard: string[] = [];
    const server = net.createServer((s) => { s.on('data', (d) => heard.push(d.toString())); });
    server.listen(socketPath);
    await once(server, 'listening');
    try {
      const hostile = sandbox(HOSTILE);
      const got = (await hostile.call('attack', { grader: [process.pid], classmate: classmateTree }, socketPath, resultsDir, {
        graderPackage: path.join(ROOT, 'package.json'),
        dockerLike: socketPath,
        varRun: '/var/run',
      })) as Record<string, unknown>;
      // no pid outside the child's own PID namespace exists for it; no host path exists in its mount
      // namespace (where Node's permission model denies the network, Node ≥ 25, it refuses unix sockets first)
      const nodeDeniesNet = confinement().layers.find((l) => l.id === 'node-permission-network')?.inForce;
      const unix = (why: string) => (nodeDeniesNet ? 'ERR_ACCESS_DENIED' : why);
      expect(got).toEqual({
        signal: { grader: ['ESRCH'], classmate: classmateTree.map(() => 'ESRCH') },
        priority: { grader: ['ESRCH'], classmate: classmateTree.map(() => 'ESRCH') },
        connect: unix('ENOENT'),
        listen: unix('EACCES'), // libuv's word for a folder that does not exist
        exists: { graderPackage: unix('ENOENT'), dockerLike: unix('ENOENT'), varRun: unix('ENOENT') },
      });
      expect(heard).toEqual([]);
      expect(existsSync(path.join(resultsDir, 'students.sock'))).toBe(false);
      expect(inspector.url()).toBeUndefined();
      expect(priorities()).toEqual(prioritiesBefore);
      // the classmate's same processes still answer, exactly
      expect(classmateTree.every(alive)).toBe(true);
      expect(treeOf(classmate)).toEqual(classmateTree);
      expect(await classmate.call('sigmoid', 0)).toBe(0.5);
      expect(await classmate.call('sigmoid', 2)).toBe(1 / (1 + Math.exp(-2)));
    } finally {
      server.close();
      inspector.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('sees its own PID namespace, an empty tmpfs as working directory and a root with nothing of the host', async () => {
    const sb = sandbox(`
      export function where() { return { pid: process.pid, ppid: process.ppid, cwd: process.cwd() }; }`);
    // Node is pid 2 under bubblewrap's init (pid 1); nothing else exists for it
    expect(await sb.call('where')).toEqual({ pid: 2, ppid: 1, cwd: '/tmp' });
  });

  it('kills the whole namespace when a call runs past its limit, and the next call runs in a fresh one', async () => {
    const sb = sandbox(`
      export function spin() { for (;;) {} }
      export function pid() { return process.pid; }`, { callTimeoutMs: 1000 });
    expect(await sb.call('pid')).toBe(2);
    const tree = treeOf(sb);
    expect(tree.length).toBeGreaterThanOrEqual(3); // bwrap, the namespace's init, Node
    const e = await failure(sb.call('spin'));
    expect(e.kind).toBe('timeout');
    // SIGKILL to bwrap; --die-with-parent kills the namespace's init, and the kernel every process in it
    for (let i = 0; i < 200 && tree.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
    expect(tree.filter(alive)).toEqual([]);
    expect(await sb.call('pid')).toBe(2);
    expect(treeOf(sb).some((p) => tree.includes(p))).toBe(false);
  });

  it('passes inherited pipes (fds 3 and up) through the wrappers to the child, so a protocol can use its own', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gradlab-fds-'));
    try {
      const script = path.join(dir, 'echo.mjs');
      writeFileSync(script, "import fs from 'node:fs'; const got = fs.readFileSync(3, 'utf8'); fs.writeSync(4, `child ${process.pid} read ${got}`);");
      const permission = Number(process.versions.node.split('.')[0]) >= 22 ? '--permission' : '--experimental-permission';
      const { execPath, execArgv } = confinedNode([permission, `--allow-fs-read=${script}`, '--no-warnings'], 256, [script]);
      const child = spawn(execPath, [...execArgv, script], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env: {} });
      const [toChild, fromChild] = [child.stdio[3] as Writable, child.stdio[4] as Readable];
      toChild.end('hello over fd 3');
      let got = '';
      fromChild.on('data', (d) => { got += d; });
      await once(child, 'close');
      expect(got).toBe('child 2 read hello over fd 3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('retries an import killed by a signal once in a fresh sandbox, and never remembers it as the module\'s', async () => {
    const sb = sandbox(`process.abort(); export const never = 1;`);
    const first = await failure(sb.exports());
    expect(first.kind).toBe('error');
    expect(first.message).toBe('m.ts could not be imported: the sandbox stopped while running import: it was killed by SIGABRT (out of memory?) (twice: it was retried once in a fresh sandbox)');
    // not remembered: the next request loads again (a remembered failure is the same error, at once)
    const second = await failure(sb.exports());
    expect(second).not.toBe(first);
    expect(second.message).toBe(first.message);
  });
});

describe('Sandbox protocol: a reply only the child can write', () => {
  it('refuses a reply forged by student code on the pipe (arguments reported unchanged after a call that changed them): the call fails, the honest classmate is unaffected', async () => {
    // the attack of issue 20 (item 5), on the pipe: the function changes its argument, answers the
    // call itself with "arguments unchanged" and never returns, so the child's own reply never comes.
    // The ids it guesses are those a per-sandbox counter gave (load 1, then 2, 3, …): with random ids
    // each guess is a protocol violation, and the call is lost instead of won
    const forger = sandbox(`
      import { writeSync } from 'node:fs';
      const SAME = { ok: true, value: 1, argsAfter: [{ __gradlabSame: 1 }] };
      const bytes = (v) => {
        // the codec's tags (grader/sandbox/codec.mjs): OBJ 7, TRUE 3, NUM 4, ARR 6, STR 5
        const out = [];
        const u32 = (n) => out.push(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24);
        const str = (s) => { u32(s.length); for (const c of s) out.push(c.charCodeAt(0)); };
        const val = (x) => {
          if (x === true) out.push(3);
          else if (typeof x === 'number') { out.push(4); const b = new Uint8Array(new Float64Array([x]).buffer); out.push(...b); }
          else if (Array.isArray(x)) { out.push(6); u32(x.length); x.forEach(val); }
          else { out.push(7); const k = Object.keys(x); u32(k.length); for (const key of k) { str(key); val(x[key]); } }
        };
        val(v);
        return out;
      };
      export function sgdStepLike(w, id) {
        w[0] = 99; // the mistake the no-mutation test exists for
        const body = [2, id & 255, (id >>> 8) & 255, (id >>> 16) & 255, id >>> 24, ...bytes(SAME)];
        const frame = new Uint8Array(4 + body.length);
        new DataView(frame.buffer).setUint32(0, body.length, true);
        frame.set(body, 4);
        writeSync(3, frame);
        return new Promise(() => {});
      }`);
    const classmate = sandbox('export function double(x) { return x.map((v) => 2 * v); }');
    for (const guess of [2, 3]) {
      const e = await failure(forger.call('sgdStepLike', [1, 2, 3], guess));
      expect([e.kind, e.message]).toEqual(['error', "sgdStepLike was stopped: the sandbox broke the grader's protocol (a message that is not the answer to the question asked); only code that writes to the grader's channel itself does this"]);
    }
    expect(forger.records.filter((r) => r.ok)).toEqual([]);
    expect(await classmate.call('double', [1, 2, 3])).toEqual([2, 4, 6]);
  });
});
