/**
 * No byte of the reference solutions or the hidden suites reaches a student's process (issue 20):
 * a hostile submission reads every route an attacker used or could use (import.meta.url, the
 * source of the functions it imports, stacks captured inside them through getters and Proxies,
 * Function.prototype.caller, the reference's error messages, what the globals hold) and hands
 * back all it found; no distinctive line of solutions/ or grader/suites/ is in it. Then the same
 * through the whole grader, with what it found thrown into its failure messages.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { intakeSubmission } from '../grader/intake';
import { findExercise } from '../grader/manifest';
import { ROOT } from '../grader/paths';
import { gradeSubmissions } from '../grader/runner';
import { Oracle, Sandbox } from '../grader/sandbox/client';
import { compileReference, compileSubmissions } from '../grader/sandbox/compile';
import { oracleServes, servedFunctions } from '../grader/sandbox/oracle-access';
import { loadManifest } from '../grader/manifest';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-leak-'));
const open: Array<{ close(): void }> = [];
afterAll(() => {
  open.forEach((o) => o.close());
  rmSync(tmp, { recursive: true, force: true });
});

const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true, recursive: true })
  .filter((d) => d.isFile() && /\.(ts|mjs|js)$/.test(d.name)).map((d) => path.join(d.parentPath, d.name));

/**
 * Lines (trimmed, 24 characters or more) of the reference solutions and the hidden suites that no
 * file a student has (exercises/, with its lib) also holds: what would show that reference or
 * suite code was read.
 */
function distinctiveLines(): string[] {
  const theirs = new Set(files(path.join(ROOT, 'exercises')).flatMap((f) => readFileSync(f, 'utf8').split('\n').map((l) => l.trim())));
  const hidden = [...files(path.join(ROOT, 'solutions')), ...files(path.join(ROOT, 'grader', 'suites'))];
  return [...new Set(hidden.flatMap((f) => readFileSync(f, 'utf8').split('\n').map((l) => l.trim())))]
    .filter((l) => l.length >= 24 && !theirs.has(l));
}

/**
 * 05 built on 02's and 01's contract functions (served by the oracle), each route read and kept.
 * `finder()` returns everything found, as one string.
 */
const HOSTILE = `
import { activationBackward, denseBackward, denseForward, mlpBackward, mlpForward, neuronForward } from '../02-backprop/backprop';
import { sigmoid, tanhGrad } from '../01-activations/activations';
const found: string[] = [];
const keep = (what: string, f: () => unknown) => { try { found.push(what + ': ' + String(f())); } catch (e: any) { found.push(what + ' threw: ' + String(e && e.stack || e)); } };
function routes(): void {
  found.length = 0;
  const url = import.meta.url;
  keep('import.meta.url', () => url.startsWith('data:') ? Buffer.from(url.slice(url.indexOf(',') + 1), 'base64').toString('utf8') : url);
  for (const f of [activationBackward, denseBackward, denseForward, mlpBackward, mlpForward, neuronForward, sigmoid, tanhGrad] as any[]) {
    keep('toString ' + f.name, () => Function.prototype.toString.call(f));
    keep('props ' + f.name, () => JSON.stringify(Object.getOwnPropertyNames(f).map((k) => [k, String((f as any)[k])])));
  }
  // a stack captured inside the imported function, through a getter, a valueOf, a toJSON and a Proxy
  const stack = () => new Error('probe').stack;
  const getter = { get W() { found.push('getter stack: ' + stack()); return [[1]]; }, b: [0] };
  keep('getter', () => JSON.stringify(denseForward([[1]], getter as any)));
  keep('valueOf', () => sigmoid({ valueOf() { found.push('valueOf stack: ' + stack()); return 0; } } as any));
  keep('toJSON', () => sigmoid({ toJSON() { found.push('toJSON stack: ' + stack()); return 0; } } as any));
  keep('proxy', () => denseForward(new Proxy([[1]], { get(t, k) { found.push('proxy stack: ' + stack()); return (t as any)[k]; } }) as any, { W: [[1]], b: [0] }));
  // Function.prototype.caller from a sloppy getter (the caller of whoever reads it)
  const sloppy = new Function('return String(arguments.callee.caller) + " / " + String(arguments.callee.caller && arguments.callee.caller.caller)');
  const o: any = { b: [0] };
  Object.defineProperty(o, 'W', { enumerable: true, get() { found.push('caller: ' + sloppy()); return [[2]]; } });
  keep('caller', () => JSON.stringify(denseForward([[1]], o)));
  // the reference's own errors, and a cache that is not one
  keep('shape error', () => denseForward([[1, 2]], { W: [[1]], b: [0] }));
  keep('activation error', () => neuronForward([1], 0, [1], 'nope' as any));
  keep('bad cache', () => mlpBackward([[1]], { act: 'relu', layers: 'x' } as any));
  const { out, cache } = mlpForward([[1, 2]], [{ W: [[1], [2]], b: [0] }], 'tanh');
  keep('cache', () => JSON.stringify([out, cache, Object.getOwnPropertyNames(cache), Object.getPrototypeOf(cache), Object.prototype.toString.call(cache), Object.isFrozen(cache)]));
  keep('backward', () => JSON.stringify(mlpBackward([[1]], cache)));
  keep('activationBackward', () => JSON.stringify(activationBackward([[1]], [[0]], 'sigmoid')));
  keep('denseBackward', () => JSON.stringify(denseBackward([[1]], [[1]], { W: [[1]], b: [0] })));
  keep('tanhGrad', () => tanhGrad(10));
  // what the process holds
  keep('globals', () => Object.getOwnPropertyNames(globalThis).join(','));
  keep('oracle', () => String((globalThis as any).__gradlabOracle));
  keep('argv', () => JSON.stringify([process.argv, process.execArgv, process.env]));
}
export function finder(): string { routes(); return found.join('\\n'); }
export function residualForward(): never { routes(); throw new Error(found.join(' | ').slice(0, 1900)); }
export function residualBackward(): never { routes(); const all = found.join(' | '); throw new Error(all.slice(Math.max(0, all.length - 1900))); }
`;

describe('no reference code in the student’s process', () => {
  const submission = path.join(tmp, 'mallory');
  mkdirSync(path.join(submission, '05-residual'), { recursive: true });
  writeFileSync(path.join(submission, '05-residual', 'residual.ts'), HOSTILE);

  it('reads every route from inside a submission and finds no line of solutions/ or grader/suites/', async () => {
    const intake = intakeSubmission(submission);
    const [[compiled]] = await compileSubmissions([intake], [findExercise('05-residual')]);
    intake.cleanup();
    if (!compiled.ok) throw new Error(compiled.message);
    const oracle = new Oracle(await compileReference());
    const sb = new Sandbox({ code: compiled.code, label: '05-residual/residual.ts', callTimeoutMs: 10_000, oracle: { oracle, allowed: oracleServes('05-residual') } });
    open.push(oracle, sb);
    const found = await sb.call('finder') as string;
    // it did reach the routes: the module's own source, the stubs, stacks, the reference's answers and errors
    expect(found).toContain('function finder()');
    expect(found).toMatch(/toString denseForward: function denseForward\(\.\.\.args\) \{\n\treturn oracle(\$\d)?\("02-backprop", "denseForward", args\);\n\}/);
    expect(found).toMatch(/getter stack: Error: probe\n/);
    expect(found).toContain('shape error threw: ShapeError: matmul: [1x2] · [1x1]: inner sizes differ');
    expect(found).toContain("activation error threw: Error: unknown activation 'nope'");
    expect(found).toContain('activationBackward: [[0.25]]');
    expect(found).toContain('cache: [[[5]],{},[],null,"[object Object]",true]'); // a frozen empty token
    expect(sb.oracleCalls).toBeGreaterThanOrEqual(10);
    const lines = distinctiveLines();
    expect(lines.length).toBeGreaterThan(500);
    expect(lines.filter((l) => found.includes(l))).toEqual([]);
    // what the old resolver bundled would have been found: the reference 02's own lines
    expect(lines.filter((l) => readFileSync(path.join(ROOT, 'solutions', '02-backprop', 'backprop.ts'), 'utf8').includes(l)).length).toBeGreaterThan(20);
  });

  it('through the whole grader: what it throws into its failure messages holds no such line, and its classmate keeps full marks', async () => {
    const honest = path.join(tmp, 'honest');
    cpSync(path.join(ROOT, 'solutions', '05-residual'), path.join(honest, '05-residual'), { recursive: true });
    const [mallory, classmate] = await gradeSubmissions([submission, honest], { exercises: ['05-residual'] });
    expect([classmate.score, classmate.maxScore]).toEqual([10, 10]);
    expect(mallory.score).toBe(0);
    const messages = mallory.tests.map((t) => t.message).join('\n');
    expect(messages).toContain('import.meta.url: '); // the routes were read and thrown
    const lines = distinctiveLines();
    expect(lines.filter((l) => messages.includes(l))).toEqual([]);
  });
});

describe('what the reference computes for an exercise graded', () => {
  it('only earlier exercises\' contract functions: a later exercise\'s reference could do the graded one\'s math', () => {
    // an attacker's 06 ran trainNeuron as the reference 07's trainMlp on a one-unit network with an
    // identity second layer (3.75 points of 06); the course builds forward, so honest files import
    // only earlier exercises
    expect(oracleServes('06-dead-neurons')('07-training', 'trainMlp')).toBe(false);
    expect(oracleServes('06-dead-neurons')('07-training', 'sgdStep')).toBe(false);
    expect(oracleServes('06-dead-neurons')('02-backprop', 'neuronForward')).toBe(true);
    expect(oracleServes('07-training')('02-backprop', 'mlpBackward')).toBe(true);
    expect(oracleServes('05-residual')('04-batchnorm', 'batchnormForward')).toBe(true);
    expect(oracleServes('04-batchnorm')('05-residual', 'residualForward')).toBe(false);
    const order = loadManifest().exercises;
    for (const [g, graded] of order.entries()) {
      for (const [t, target] of order.entries()) {
        const served = servedFunctions(target, graded.folder).length > 0;
        expect(served, `${target.folder} while ${graded.folder} is graded`).toBe(t < g && target.folder !== '03-initialization');
      }
    }
    // the lab's bundle (no exercise graded) holds every exercise's but 03's
    expect(order.filter((e) => servedFunctions(e, '').length > 0).map((e) => e.folder)).toEqual(order.map((e) => e.folder).filter((f) => f !== '03-initialization'));
  });
});
