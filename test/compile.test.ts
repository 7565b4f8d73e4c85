/**
 * grader/sandbox/compile.ts with real compiler processes: the course contract's import rules, the
 * messages a student reads, and a compiler that crashes, hangs or runs out of memory costing the
 * exercise it was compiling and nothing else.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { intakeSubmission } from '../grader/intake';
import { findExercise } from '../grader/manifest';
import { ROOT, SOLUTIONS_DIR } from '../grader/paths';
import { Oracle, Sandbox } from '../grader/sandbox/client';
import { cleanCompilerText, compileReference, compileSubmissions, COMPILE_MESSAGE_MAX, type CompileOptions, type CompileResult } from '../grader/sandbox/compile';
import { oracleServes } from '../grader/sandbox/oracle-access';
import { createRng } from '../exercises/lib/rng';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-compile-'));
const open: Sandbox[] = [];
let oracle: Oracle | null = null;
afterAll(() => {
  open.forEach((s) => s.close());
  oracle?.close();
  rmSync(tmp, { recursive: true, force: true });
});
let n = 0;

/** A submission folder with these files (relative path → text), on top of the solutions when `onSolutions`. */
function submission(files: Record<string, string>, onSolutions = false): string {
  const dir = path.join(tmp, `s${n++}`);
  if (onSolutions) cpSync(SOLUTIONS_DIR, dir, { recursive: true, filter: (src) => path.basename(src) !== 'lib' });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** Intake, compile the given exercises (slugs), clean up. */
async function compile(dirs: string[], slugs: string[], opts: CompileOptions = {}): Promise<CompileResult[][]> {
  const intakes = dirs.map((d) => intakeSubmission(d));
  try {
    return await compileSubmissions(intakes, slugs.map((s) => findExercise(s)), opts);
  } finally {
    intakes.forEach((i) => i.cleanup());
  }
}

async function compileOne(files: Record<string, string>, slug = '02-backprop', onSolutions = false): Promise<CompileResult> {
  return (await compile([submission(files, onSolutions)], [slug]))[0][0];
}

/** A sandbox for a compiled module, with the oracle that answers its calls of other exercises as when grading `slug`. */
async function load(r: CompileResult, slug = '02-backprop'): Promise<Sandbox> {
  if (!r.ok) throw new Error(r.message);
  oracle ??= new Oracle(await compileReference());
  const sb = new Sandbox({ code: r.code, label: 'm.ts', callTimeoutMs: 5000, loadTimeoutMs: 5000, oracle: { oracle, allowed: oracleServes(slug) } });
  open.push(sb);
  return sb;
}

const RESIDUAL = (imports: string) => `${imports}
import { add, map } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';
export interface ResidualBlock { layers: [Dense, Dense]; act: ActivationName }
export function residualForward(x: Matrix, block: ResidualBlock) {
  const z1 = denseForward(x, block.layers[0]);
  const h = map(z1, (v) => act(block.act, v));
  return { out: add(x, denseForward(h, block.layers[1])), cache: { x, z1, h, block } };
}
export function probe(): number { return act('relu', -2) + act('relu', 3); }
`;

describe('imports, as the course contract says', () => {
  it('../lib is always the grader’s own lib, whatever the submission holds there', async () => {
    const sb = await load(await compileOne({
      'lib/tensor.ts': 'export function matmul() { return "rigged"; }',
      '02-backprop/backprop.ts': "import { matmul } from '../lib/tensor';\nimport { Matrix } from '../lib/types';\nexport function f(a: Matrix, b: Matrix) { return matmul(a, b); }",
    }));
    expect(await sb.call('f', [[1, 2]], [[3], [4]])).toEqual([[11]]);
  });

  it('another exercise’s contract functions come from the reference; files of its own folder are the student’s', async () => {
    const r = await compileOne({
      '01-activations/activations.ts': 'export function sigmoid() { return 42; }\nthrow new Error("broken at import");',
      '02-backprop/util.ts': 'export const two = 2;',
      '02-backprop/backprop.ts': "import { sigmoid } from '../01-activations/activations';\nimport { two } from './util';\nexport function f() { return sigmoid(0) * two; }",
    });
    // the student's 01 is bundled only behind a loader that fails quietly; the reference not at all
    expect(r.ok && r.code.includes('return e / (1 + e);')).toBe(false);
    expect(await (await load(r)).call('f')).toBe(1);
  });

  it('a helper the student added to another exercise comes from the student’s own file (act from 02 in 05)', async () => {
    const sb = await load(await compileOne({
      '02-backprop/backprop.ts': "import type { ActivationName } from '../lib/types';\nexport function denseForward() { return 'student'; }\nexport function act(name: ActivationName, z: number): number { return name === 'relu' ? Math.max(0, z) * 10 : z; }",
      '05-residual/residual.ts': RESIDUAL("import { denseForward, act } from '../02-backprop/backprop';"),
    }, '05-residual'), '05-residual');
    expect(await sb.call('probe')).toBe(30); // the student's act (×10)
    const out = await sb.call('residualForward', [[1]], { layers: [{ W: [[1]], b: [0] }, { W: [[1]], b: [0] }], act: 'identity' });
    expect(out).toMatchObject({ out: [[2]] }); // the reference denseForward, not the student's 'student'
  });

  it('a type-only name does not pull in the student’s file; a namespace import or export * takes all of it', async () => {
    const broken = '02-backprop/backprop.ts';
    const r1 = await compileOne({
      [broken]: 'export interface Extra { a: number }\nthrow new Error("02 is broken");',
      '05-residual/residual.ts': "import { denseForward, Extra } from '../02-backprop/backprop';\nexport function f(e: Extra) { return denseForward([[e.a]], { W: [[2]], b: [1] }); }",
    }, '05-residual');
    expect(await (await load(r1, '05-residual')).call('f', { a: 3 })).toEqual([[7]]);
    const r2 = await compileOne({
      [broken]: 'export const mine = 5;\nexport function denseForward() { return "student"; }',
      '05-residual/residual.ts': "import * as bp from '../02-backprop/backprop';\nexport function f() { return [bp.mine, bp.denseForward([[1]], { W: [[2]], b: [1] })]; }",
    }, '05-residual');
    expect(await (await load(r2, '05-residual')).call('f')).toEqual([5, [[3]]]);
    const r3 = await compileOne({ '05-residual/residual.ts': "export * from '../02-backprop/backprop';" }, '05-residual');
    expect(r3).toEqual({ ok: false, kind: 'compile', message: "05-residual/residual.ts cannot be compiled: 05-residual/residual.ts:1 imports all of its exports from '../02-backprop/backprop', but 02-backprop/backprop.ts is not in the submission (only the contract's functions, neuronForward, denseForward, denseBackward…, come from the course). Import only ../lib/<module>, another exercise's file (../01-activations/activations) or files in the exercise's own folder." });
  });

  it('the graded exercise is never its own reference, also when a reference file imports it', async () => {
    // 01 written with 02's functions only: 02's reference is built on 01, so while 01 is graded
    // they come from the student's own 02, which is not there
    const r = await compileOne({
      '01-activations/activations.ts': "import { neuronForward } from '../02-backprop/backprop';\nexport function sigmoid(x: number) { return neuronForward([1], 0, [x], 'sigmoid').a; }",
    }, '01-activations');
    expect(r).toEqual({ ok: false, kind: 'compile', message: "01-activations/activations.ts cannot be compiled: 01-activations/activations.ts:1 imports 'neuronForward' from '../02-backprop/backprop', but 02-backprop/backprop.ts is not in the submission (while 01-activations is graded, 02-backprop's functions come from your own file (its reference is built on 01-activations)). Import only ../lib/<module>, another exercise's file (../01-activations/activations) or files in the exercise's own folder." });
    // with the student's own 02 there, it is that 02, built on this very 01
    const sb = await load(await compileOne({
      '01-activations/activations.ts': "import { neuronForward } from '../02-backprop/backprop';\nexport function sigmoid(x: number) { return neuronForward([1], 0, [x], 'sigmoid').a; }\nexport function mine() { return 7; }",
      '02-backprop/backprop.ts': "import { mine } from '../01-activations/activations';\nexport function neuronForward(w: number[], b: number, x: number[]) { return { z: 0, a: mine() + x[0] * w[0] + b }; }",
    }, '01-activations'), '01-activations');
    expect(await sb.call('sigmoid', 2)).toBe(9);
    // and a child that asks the oracle for them anyway is refused
    const asks = await load(await compileOne({
      '01-activations/activations.ts': "export function sigmoid(x: number) { return (globalThis as any).__gradlabOracle('02-backprop', 'neuronForward', [[1], 0, [x], 'sigmoid']).a; }\nexport function own(x: number) { return (globalThis as any).__gradlabOracle('01-activations', 'sigmoid', [x]); }",
    }, '01-activations'), '01-activations');
    for (const fn of ['sigmoid', 'own']) {
      await expect(asks.call(fn, 0)).rejects.toThrow(/is not available here: the grader computes another exercise's contract functions only where the course contract says so \(never the exercise being graded, nor one whose reference is built on it\)$/);
    }
  });

  it('refuses packages, paths outside the submission and files that do not exist, naming file and line', async () => {
    const r1 = await compileOne({ '02-backprop/backprop.ts': "// the grader's expect\nimport { expect } from 'vitest';\nexport const e = expect;" });
    expect(r1).toEqual({ ok: false, kind: 'compile', message: "02-backprop/backprop.ts cannot be compiled: 02-backprop/backprop.ts:2 imports 'vitest': a submission may only import ../lib/<module>, another exercise (../01-activations/activations) or files in its own folder. Import only ../lib/<module>, another exercise's file (../01-activations/activations) or files in the exercise's own folder." });
    const r2 = await compileOne({ '02-backprop/backprop.ts': "import data from '../../fixtures/02-backprop/dense.json';\nexport const d = data;" });
    expect(!r2.ok && r2.message).toContain("02-backprop/backprop.ts:1 imports '../../fixtures/02-backprop/dense.json', which is outside the submission folder");
    const r3 = await compileOne({ '02-backprop/backprop.ts': "import { x } from './nope';\nexport const y = x;" });
    expect(!r3.ok && r3.message).toContain("02-backprop/backprop.ts:1 imports './nope', which does not exist in the submission");
  });

  it('20,000 missing imports make one short message', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `import './m${i}';`).join('\n');
    const r = await compileOne({ '02-backprop/backprop.ts': `${lines}\nexport const x = 1;` });
    expect(r.ok).toBe(false);
    const message = r.ok ? '' : r.message;
    expect(message.length).toBeLessThanOrEqual(COMPILE_MESSAGE_MAX);
    // three of them with their lines (in source order among the hundred found before resolving stops)
    expect(message).toMatch(/^02-backprop\/backprop\.ts cannot be compiled: (02-backprop\/backprop\.ts:(\d+) imports '\.\/m\d+', which does not exist in the submission; ){3}and more than 97 more imports like these\. Import only/);
  });

  it('a syntax error names the student’s file and line, with advice that works, and no grader path', async () => {
    const r = await compileOne({ '02-backprop/backprop.ts': 'export function f() {\n  return 1;\n}\nexport function g( {\n  return 2;\n}\n' });
    expect(r.ok).toBe(false);
    const message = r.ok ? '' : r.message;
    expect(message).toMatch(/^02-backprop\/backprop\.ts does not compile: /);
    expect(message).toContain('02-backprop/backprop.ts:5:10');
    expect(message).toContain('`npx vitest run exercises/02-backprop` shows the same error.');
    expect(message).not.toContain(os.tmpdir());
    expect(message).not.toContain(ROOT);
  });

  it('the compiled module carries the course createRng, so seeded-Rng arguments work in the sandbox', async () => {
    const sb = await load(await compileOne({ '02-backprop/backprop.ts': 'export function draw(rng) { return [rng.uniform(), rng.normal()]; }' }));
    const { createRng } = await import('../exercises/lib/rng');
    const r = createRng(5);
    expect(await sb.call('draw', { __gradlabRng: 5 })).toEqual([r.uniform(), r.normal()]);
    expect(sb.records[0].argsAfter).toEqual([null]);
  });

  it('the compiled module does not say where the grader is installed (rolldown’s module marks are blanked, line numbers kept)', async () => {
    const src = "import { createRng } from '../lib/rng';\nimport { matmul } from '../lib/tensor';\nexport function f() { return matmul([[createRng(1).uniform()]], [[2]]); }\n";
    const r = await compileOne({ '02-backprop/backprop.ts': src });
    if (!r.ok) throw new Error(r.message);
    for (const code of [r.code, r.own ?? '']) {
      expect(code).not.toContain(ROOT);
      expect(code).not.toMatch(/exercises\/lib|\.\.\//);
      expect(code).not.toMatch(/^\/\/ \S+\.ts$/m);
    }
    expect(r.own).toBeDefined();
    expect(await (await load(r)).call('f')).toEqual([[2 * createRng(1).uniform()]]);
  });

  it('compiler text loses the copy’s folder, the course’s paths and escape codes', () => {
    const copy = path.join(os.tmpdir(), 'gradlab-intake-abc');
    expect(cleanCompilerText(`\u001b[31m[PARSE_ERROR]\u001b[0m at ${copy}/02-backprop/backprop.ts:4:5 from ${SOLUTIONS_DIR}/05-residual/residual.ts and /home/ta/secret/x.ts`, copy))
      .toBe("[PARSE_ERROR] at 02-backprop/backprop.ts:4:5 from the course's 05-residual/residual.ts and <path>");
  });
});

describe('a compiler that crashes, hangs or runs out of memory', () => {
  const brackets = `export const x = ${'['.repeat(3000)}${']'.repeat(3000)};\n`; // 6 KB
  const sum = `export const x = ${Array(5000).fill('1').join('+')};\n`; // 10 KB

  it('a crash (a few thousand nested brackets) is a compile error of that exercise only, for that student only', async () => {
    const bad = submission({ '05-residual/residual.ts': brackets }, true);
    const good = submission({}, true);
    const [r1, r2] = await compile([bad, good], ['02-backprop', '05-residual', '06-dead-neurons']);
    expect(r1.map((r) => r.ok)).toEqual([true, false, true]);
    expect(!r1[1].ok && r1[1].message).toBe('05-residual/residual.ts does not compile: the compiler crashed on it (signal SIGSEGV). This happens with code nested thousands of levels deep (brackets, parentheses): flatten it.');
    expect(r2.map((r) => r.ok)).toEqual([true, true, true]);
  });

  it('a compile that does not end (10 KB of 1+1+…+1) is stopped at the limit; the next exercise still compiles', async () => {
    const r = await compile([submission({ '05-residual/residual.ts': sum }, true)], ['05-residual', '06-dead-neurons'], { timeoutMs: 10_000 });
    expect(r[0].map((x) => x.ok)).toEqual([false, true]);
    expect(!r[0][0].ok && r[0][0].message).toBe('05-residual/residual.ts does not compile: compiling it took longer than 10 s, so it was stopped. A normal file compiles in a fraction of a second: look for a huge generated expression (thousands of terms) and write it as a loop.');
  }, 60_000);

  it('a compiler out of memory (address space capped below what it needs) is a compile error, not a grader crash', async () => {
    const r = await compile([submission({}, true)], ['01-activations'], { addressSpaceMb: 600 });
    expect(r[0][0]).toEqual({ ok: false, kind: 'compile', message: '01-activations/activations.ts does not compile: the compiler ran out of memory on it. Look for a huge generated expression or literal and write it as a loop.' });
  });
});
