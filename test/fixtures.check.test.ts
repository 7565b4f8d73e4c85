/**
 * The fixtures are what the generator writes (in-process and from a real `npm run fixtures --
 * --check`), every file validates, and a broken file is named by file, JSON path and expectation.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FixtureError, fixtureKinds, fixturesDir, listFixtureFiles, loadFixture, loadFixtureFile, rebuildDenseLayer, rebuildMlp, rebuildMlpInput,
  rebuildResidualStack, validateFixture, validatorOrigin, type Fixture,
} from '../fixtures/load';
import { createRng, randnMatrix } from '../exercises/lib/rng';
import { loadPrecompiled, precompiledFile, schemaAjv, writeValidators } from '../grader/fixture-validators';
import { checkFixtures, firstDifference, formatCheck } from '../scripts/fixtures/check';
import { generateFixtures } from '../scripts/fixtures/generate';
import { formatFixture } from '../scripts/fixtures/format';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'fixtures', '--', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** A copy of fixtures/ with one number changed, one file deleted and one stray file added. */
function brokenCopy(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gradlab-fixtures-'));
  for (const slug of readdirSync(fixturesDir).filter((d) => /^\d\d-/.test(d))) cpSync(path.join(fixturesDir, slug), path.join(dir, slug), { recursive: true });
  const dense = path.join(dir, '02-backprop', 'dense.json');
  const data = JSON.parse(readFileSync(dense, 'utf8'));
  data.cases[0].expected.dW[1][2] += 1e-6;
  writeFileSync(dense, formatFixture(data));
  rmSync(path.join(dir, '01-activations', 'grid-public.json'));
  writeFileSync(path.join(dir, '06-dead-neurons', 'stray.json'), '{}\n');
  return dir;
}

let generated: Map<string, string>;
let broken: string;
beforeAll(async () => {
  generated = await generateFixtures();
  broken = brokenCopy();
});
afterAll(() => { if (broken) rmSync(broken, { recursive: true, force: true }); });

describe('npm run fixtures -- --check', () => {
  it('finds every committed fixture identical to the regenerated one (in-process)', async () => {
    const result = await checkFixtures({ generated });
    expect(formatCheck(result)).toBe(`fixtures: all ${generated.size} files match the generator`);
    expect(result.ok).toBe(true);
    expect(result.checked).toBe(listFixtureFiles().length);
  });

  it('names the file and JSON path of a changed number, a missing file and a stray file', async () => {
    const result = await checkFixtures({ dir: broken, generated });
    expect(result.ok).toBe(false);
    expect(result.differences.map((d) => [d.file, d.path])).toEqual([
      ['fixtures/01-activations/grid-public.json', ''],
      ['fixtures/02-backprop/dense.json', '/cases/0/expected/dW/1/2'],
      ['fixtures/06-dead-neurons/stray.json', ''],
    ]);
    expect(result.differences[0].message).toMatch(/^missing/);
    expect(result.differences[1].message).toMatch(/^committed -?\d.*, regenerated -?\d/);
    expect(result.differences[2].message).toMatch(/not written by the generator/);
  });

  it('exits 0 from a real process when everything matches, and 1 naming file and path when not', async () => {
    const [good, bad] = await Promise.all([run(['--check']), run(['--check', '--dir', broken])]);
    expect(good.out.trim()).toBe(`fixtures: all ${generated.size} files match the generator`);
    expect(good.code).toBe(0);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('fixtures/02-backprop/dense.json at /cases/0/expected/dW/1/2: committed');
    expect(bad.out).toContain('fixtures/01-activations/grid-public.json: missing');
  });

  it('firstDifference walks objects and arrays and reports lengths, types and keys', () => {
    expect(firstDifference({ a: [1, 2, [3, 4]] }, { a: [1, 2, [3, 5]] })).toEqual({ path: '/a/2/1', message: 'committed 4, regenerated 5' });
    expect(firstDifference({ a: [1] }, { a: [1, 2] })).toEqual({ path: '/a', message: 'committed 1 entries, regenerated 2' });
    expect(firstDifference({ a: '1' }, { a: 1 })?.path).toBe('/a');
    expect(firstDifference({}, { b: 1 })?.message).toMatch(/missing in the committed file/);
    expect(firstDifference({ b: 1, c: 2 }, { b: 1 })).toEqual({ path: '/c', message: 'in the committed file (2) but not regenerated' });
    expect(firstDifference({ x: [[1, 2]] }, { x: [[1, 2]] })).toBeNull();
  });
});

describe('the fixture format', () => {
  it('writes -0 as 0, keeps doubles exact, and refuses NaN and Infinity naming the path', () => {
    expect(formatFixture({ a: -0, b: [-0, 0.1 + 0.2] })).toBe('{ "a": 0, "b": [0, 0.30000000000000004] }\n');
    expect(() => formatFixture({ a: [[1, NaN]] })).toThrow('fixture value at /a/0/1 is NaN');
    expect(() => formatFixture({ a: { b: Infinity } })).toThrow('fixture value at /a/b is Infinity');
    for (const text of generated.values()) {
      // every number parses back to the same double and prints the same text
      expect(formatFixture(JSON.parse(text))).toBe(text);
    }
  });

  it('keeps the whole folder small (under 1 MB)', () => {
    let bytes = 0;
    const walk = (d: string) => readdirSync(d).forEach((f) => {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p); else bytes += statSync(p).size;
    });
    walk(fixturesDir);
    expect(bytes).toBeLessThan(1_000_000);
  });
});

describe('fixture validation', () => {
  const files = listFixtureFiles();

  it('has one schema per kind, and every kind is used', () => {
    const schemas = readdirSync(path.join(fixturesDir, 'schemas')).filter((f) => f !== 'common.schema.json').sort();
    expect(schemas).toEqual(fixtureKinds.map((k) => `${k}.schema.json`).sort());
    const used = new Set(files.map(({ slug, name }) => loadFixture(slug, name).kind));
    expect([...used].sort()).toEqual([...fixtureKinds].sort());
  });

  it('validates every committed fixture against its kind\'s schema', () => {
    expect(files.length).toBe(generated.size);
    for (const { slug, name } of files) {
      const f = loadFixture(slug, name);
      expect([f.slug, f.name]).toEqual([slug, name]);
      expect(['public', 'hidden']).toContain(f.visibility);
    }
  });

  it('has public and hidden fixtures for every exercise', () => {
    const bySlug = new Map<string, Set<string>>();
    for (const { slug, name } of files) {
      const set = bySlug.get(slug) ?? new Set<string>();
      set.add(loadFixture(slug, name).visibility);
      bySlug.set(slug, set);
    }
    expect([...bySlug.keys()]).toEqual(['01-activations', '02-backprop', '03-initialization', '04-batchnorm', '05-residual', '06-dead-neurons', '07-training']);
    for (const set of bySlug.values()) expect([...set].sort()).toEqual(['hidden', 'public']);
  });

  it('types the result when the caller names the kind, and rejects a file of another kind', () => {
    const dense = loadFixture('02-backprop', 'dense', 'dense');
    expect(dense.cases[0].inputs.layer.W.length).toBe(7);
    expect(() => loadFixture('02-backprop', 'dense', 'mlp')).toThrow('fixtures/02-backprop/dense.json: at /kind: must be "mlp" for this caller, got "dense"');
  });

  const dense = () => JSON.parse(generated.get('02-backprop/dense.json')!) as Record<string, any>;
  const file = 'fixtures/02-backprop/dense.json';
  const broken: [string, (d: Record<string, any>) => void, string][] = [
    ['a string for a number', (d) => { d.cases[0].expected.dW[1][2] = '0.5'; }, `${file}: at /cases/0/expected/dW/1/2: must be number`],
    ['a missing output', (d) => { delete d.cases[0].expected.dx; }, `${file}: at /cases/0/expected: must have required property 'dx'`],
    ['an unknown visibility', (d) => { d.visibility = 'secret'; }, `${file}: at /visibility: must be equal to one of the allowed values: ["public","hidden"]`],
    ['an extra property', (d) => { d.cases[0].inputs.bias = 1; }, `${file}: at /cases/0/inputs: must NOT have additional properties: 'bias' is not allowed`],
    ['a ragged matrix', (d) => { d.cases[0].inputs.x[2].pop(); }, `${file}: at /cases/0/inputs/x/2: must have 7 entries like row 0`],
    ['an empty matrix', (d) => { d.cases[0].expected.z = []; }, `${file}: at /cases/0/expected/z: must NOT have fewer than 1 items`],
    ['a tolerance of no known type', (d) => { d.tolerance = { type: 'relError' }; }, `${file}: at /tolerance: must have required property 'max'`],
    ['an unknown kind', (d) => { d.kind = 'densest'; }, `${file}: at /kind: must be one of the fixture kinds`],
    ['the wrong folder', (d) => { d.slug = '05-residual'; }, `${file}: at /slug: must be "02-backprop" (the folder), got "05-residual"`],
  ];
  it('uses the validators the build precompiled, which judge exactly as ajv compiling the schemas at run time', () => {
    // npm ci (prepare) and npm run build write dist/fixture-validators.cjs; without it, or after a
    // schema edit, the loader compiles the schemas itself and this says to build
    expect(validatorOrigin(), 'run `npm run build` to precompile the fixture validators').toBe('precompiled');
    const schemasDir = path.join(fixturesDir, 'schemas');
    const pre = loadPrecompiled(schemasDir, precompiledFile(root))!;
    const { ajv, ids } = schemaAjv(schemasDir);
    const firstError = (v: { errors?: unknown[] | null }) => {
      const e = v.errors?.[0] as { instancePath: string; keyword: string; schemaPath: string; params: unknown } | undefined;
      return e && { instancePath: e.instancePath, keyword: e.keyword, schemaPath: e.schemaPath, params: e.params };
    };
    let invalid = 0;
    for (const { slug, name } of files) {
      const data = JSON.parse(readFileSync(path.join(fixturesDir, slug, `${name}.json`), 'utf8')) as Record<string, any>;
      const runtime = ajv.getSchema(ids[data.kind])!;
      expect([pre[data.kind](data), runtime(data)]).toEqual([true, true]);
      // the same data broken three ways: the same verdict and the same first error from both
      const variants: Record<string, any>[] = [
        { ...data, description: 7 },
        { ...data, extra: true },
        Object.fromEntries(Object.entries(data).filter(([k]) => k !== 'visibility')),
      ];
      for (const v of variants) {
        const a = pre[data.kind](v);
        const b = runtime(v);
        expect(a).toBe(false);
        expect(b).toBe(false);
        expect(firstError(pre[data.kind])).toEqual(firstError(runtime));
        invalid++;
      }
    }
    expect(invalid).toBe(3 * files.length);
  });

  it('loads ajv itself only to compile: a process that validates with the precompiled module (a grading worker) does not', async () => {
    // ajv's main module and its compiler cost ≈ 75 ms of CPU to load, in each worker of each run
    const script = [
      "import { createRequire } from 'node:module';",
      `const { loadFixture, validatorOrigin } = await import(${JSON.stringify(path.join(root, 'fixtures', 'load.ts'))});`,
      "loadFixture('01-activations', 'grid', 'activation-grid');",
      "console.log(JSON.stringify({ origin: validatorOrigin(), ajv: Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('/node_modules/ajv/')).map((k) => k.replace(/.*\\/node_modules\\//, '')) }));",
    ].join('\n');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gradlab-ajv-'));
    const file = path.join(dir, 'loads-ajv.mts');
    writeFileSync(file, script);
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--loader', 'ts-node/esm', '--no-warnings', file], {
        cwd: root, env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'scripts', 'fixtures', 'tsconfig.json') }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => { text += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { text += d.toString(); });
      child.on('error', reject);
      child.on('close', () => resolve(text));
    }).finally(() => rmSync(dir, { recursive: true, force: true }));
    // the precompiled validators need ajv's small runtime helpers only
    expect(JSON.parse(out)).toEqual({ origin: 'precompiled', ajv: ['ajv/dist/runtime/ucs2length.js'] });
  });

  it('ignores a precompiled module built from other schemas (a schema edited since the build)', () => {
    const schemasDir = path.join(fixturesDir, 'schemas');
    // inside the repository, so the module's require('ajv/dist/runtime/…') resolves as dist's does
    mkdirSync(path.join(root, 'node_modules', '.cache'), { recursive: true });
    const dir = mkdtempSync(path.join(root, 'node_modules', '.cache', 'gradlab-schemas-'));
    try {
      const built = path.join(dir, 'built', 'fixture-validators.cjs');
      writeValidators(schemasDir, built);
      expect(loadPrecompiled(schemasDir, built)).not.toBeNull();
      const edited = path.join(dir, 'schemas');
      cpSync(schemasDir, edited, { recursive: true });
      const dense = path.join(edited, 'dense.schema.json');
      writeFileSync(dense, readFileSync(dense, 'utf8').replace('"title": "', '"title": "edited '));
      expect(loadPrecompiled(edited, built)).toBeNull();
      expect(loadPrecompiled(schemasDir, path.join(dir, 'missing.cjs'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [what, breakIt, message] of broken) {
    it(`rejects ${what}, naming the file, the JSON path and what was expected`, () => {
      const d = dense();
      breakIt(d);
      let error: unknown;
      try {
        validateFixture(d, file, { slug: '02-backprop', name: 'dense' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FixtureError);
      expect((error as Error).message.startsWith(message)).toBe(true);
    });
  }

  it('names the file of one that is not JSON or is not there', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gradlab-fixture-'));
    try {
      mkdirSync(path.join(dir, '02-backprop'), { recursive: true });
      const p = path.join(dir, '02-backprop', 'dense.json');
      writeFileSync(p, '{ "kind": "dense", ');
      expect(() => loadFixtureFile(p, 'fixtures/02-backprop/dense.json')).toThrow(/^fixtures\/02-backprop\/dense\.json: at \/: is not valid JSON/);
      expect(() => loadFixture('02-backprop', 'nope')).toThrow(/^fixtures\/02-backprop\/nope\.json: at \/: cannot be read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('recipes', () => {
  it('rebuild x, then each W row by row as std·normal(), then dout, from createRng(seed)', () => {
    const r = { seed: 77, batch: 3, sizes: [4, 5, 2], init: 'heNormal' as const, act: 'relu' as const };
    const rng = createRng(77);
    const x = randnMatrix(3, 4, rng);
    const W0 = randnMatrix(4, 5, rng).map((row) => row.map((v) => Math.sqrt(2 / 4) * v));
    const W1 = randnMatrix(5, 2, rng).map((row) => row.map((v) => Math.sqrt(2 / 5) * v));
    const dout = randnMatrix(3, 2, rng);
    const net = rebuildMlp(r);
    expect(net).toEqual({ x, layers: [{ W: W0, b: [0, 0, 0, 0, 0] }, { W: W1, b: [0, 0] }], dout });
    expect(rebuildMlpInput(r)).toEqual(x);
    const deep = { seed: 3031, batch: 64, sizes: Array(21).fill(256), init: 'heNormal' as const, act: 'relu' as const };
    expect(rebuildMlpInput(deep)).toEqual(rebuildMlp(deep).x);
    expect(rebuildMlp(r)).toEqual(net);
  });

  it('rebuild residual stacks and dense layers the same way', () => {
    const s = rebuildResidualStack({ seed: 5, batch: 2, width: 3, blocks: 2, act: 'sigmoid', init: 'xavierNormal' });
    const rng = createRng(5);
    const x = randnMatrix(2, 3, rng);
    const W = randnMatrix(3, 3, rng).map((row) => row.map((v) => Math.sqrt(2 / 6) * v));
    expect(s.x).toEqual(x);
    expect(s.blocks[0].layers[0].W).toEqual(W);
    expect(s.blocks.length).toBe(2);
    expect(s.dout.length).toBe(2);
    const d = rebuildDenseLayer({ seed: 9, batch: 4, fanIn: 3, fanOut: 2, init: 'heNormal' });
    const z = d.preActivations(-1);
    expect(z[3][1]).toBe(d.x[3][0] * d.W[0][1] + d.x[3][1] * d.W[1][1] + d.x[3][2] * d.W[2][1] + -1);
  });

  it('keeps the grading path free of mathjs and solutions/', () => {
    for (const f of ['load.ts', 'nets.ts']) {
      const src = readFileSync(path.join(fixturesDir, f), 'utf8');
      const imports = [...src.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
      expect(imports.every((i) => /^(node:|ajv$|\.\.\/exercises\/lib\/|\.\/load$|\.\/dense-kernel$|\.\.\/grader\/fixture-validators$)/.test(i))).toBe(true);
    }
    const validators = readFileSync(path.join(root, 'grader', 'fixture-validators.ts'), 'utf8');
    const imports = [...validators.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.every((i) => /^(node:|ajv$|ajv\/dist\/standalone\/index\.js$)/.test(i))).toBe(true);
  });

  it('every fixture with a recipe records the same seed in its header', () => {
    for (const { slug, name } of listFixtureFiles()) {
      const f = loadFixture(slug, name) as Fixture & { recipe?: { seed: number }; recipes?: Record<string, { seed: number }> };
      if (f.recipe) expect(f.seed).toBe(f.recipe.seed);
      if (f.recipes) expect(f.seed).toBe(Object.values(f.recipes)[0].seed);
    }
  });
});
