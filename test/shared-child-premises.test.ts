/**
 * Why each (student, exercise) pair keeps a sandbox process of its own (docs/benchmarks.md, issue
 * 21): the two ways of running a student's exercises in one process do not keep what one process
 * per exercise keeps, on the Node line running this test (CI runs it on every supported line).
 *
 * - A worker thread per exercise needs `--allow-worker`, and then any code in the process may start
 *   a worker with `execArgv: []`, which runs outside the permission model: it reads files outside
 *   the allow list and starts processes. Where bubblewrap is missing (docs/security.md), the
 *   permission model is what keeps a student's code from reading the file system.
 * - A `vm` context per exercise is no boundary (Node's documentation says so of node:vm): the
 *   exercise's code must be handed at least one function of the host's to answer through, and that
 *   function's constructor compiles code in the host realm, which reaches `process` and changes the
 *   host's built-ins (here `Array.prototype.includes`) for every later exercise run from that realm.
 *   (With nothing of the host's in the context at all, this escape finds nothing to climb.)
 *
 * If a Node line changes either behaviour, this test fails, and the design is worth measuring again.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../grader/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-premises-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs a CommonJS script in a fresh Node of this line and returns the JSON line it prints. */
function runScript(name: string, source: string, flags: string[]): unknown {
  const file = path.join(tmp, name);
  writeFileSync(file, source);
  const out = execFileSync(process.execPath, [...flags, file], { encoding: 'utf8', env: {}, cwd: tmp, timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

describe('one process per exercise: what the alternatives would give up', () => {
  it('under --permission --allow-worker, a worker started with execArgv: [] reads any file and starts processes; one started plainly does not', () => {
    const outside = path.join(ROOT, 'package.json'); // not in the allow list
    const script = `
const { Worker } = require('node:worker_threads');
const body = \`
  const { parentPort } = require('node:worker_threads');
  const attempt = (f) => { try { f(); return 'allowed'; } catch (e) { return e.code; } };
  parentPort.postMessage({
    read: attempt(() => require('node:fs').readFileSync(${JSON.stringify(outside)})),
    spawn: attempt(() => require('node:child_process').execFileSync(process.execPath, ['-e', '0'])),
  });\`;
const attempt = (f) => { try { f(); return 'allowed'; } catch (e) { return e.code; } };
const main = { read: attempt(() => require('node:fs').readFileSync(${JSON.stringify(outside)})) };
const run = (options) => new Promise((resolve) => new Worker(body, { eval: true, ...options }).once('message', resolve));
Promise.all([run({}), run({ execArgv: [] })]).then(([plain, emptyArgv]) => console.log(JSON.stringify({ main, plain, emptyArgv })));
`;
    const seen = runScript('worker-escape.cjs', script, ['--permission', '--allow-worker', `--allow-fs-read=${tmp}`, '--no-warnings']);
    expect(seen).toEqual({
      main: { read: 'ERR_ACCESS_DENIED' },
      plain: { read: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED' },
      emptyArgv: { read: 'allowed', spawn: 'allowed' },
    });
  });

  it('code in a vm context reaches the host realm’s process through any host function handed in (the exercise must be handed one to answer through) and changes its built-ins for whatever runs there later', () => {
    const script = `
const vm = require('node:vm');
const escape = \`
  try { globalThis.hostPid = reply.constructor('return process')().pid; reply.constructor('Array.prototype.includes = () => true')(); }
  catch (e) { globalThis.refused = String(e.message); }\`;
// a context with nothing of the host's in it, not even a prototype for its global: nothing to climb
const bare = vm.createContext(Object.create(null));
vm.runInContext('var reply = function () {};' + escape, bare);
const unchanged = [1].includes(2) === false;
// the same, with the one thing any exercise run this way needs: a function of the host's to answer through
const exerciseA = vm.createContext(Object.create(null));
exerciseA.reply = (value) => value;
vm.runInContext(escape, exerciseA);
const exerciseB = vm.createContext(Object.create(null));
console.log(JSON.stringify({
  bareStayedInside: bare.hostPid === undefined && unchanged,
  reachedHostProcess: exerciseA.hostPid === process.pid,
  hostBuiltinChanged: [1].includes(2),
  freshContextUnchanged: vm.runInContext('[1].includes(2)', exerciseB) === false,
}));
`;
    expect(runScript('vm-escape.cjs', script, [])).toEqual({ bareStayedInside: true, reachedHostProcess: true, hostBuiltinChanged: true, freshContextUnchanged: true });
  });
});
