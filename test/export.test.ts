/**
 * `gradlab export`: the student template holds what students need and nothing that grades them
 * (no solutions, no hidden suites, no fixtures), is built from the committed tree (HEAD) even when
 * the working tree has answers filled in or a reference solution edited (the lab's reference curves
 * too), and ships a lock file pruned from the course's.
 * (test/readme-commands.test.ts installs the template with `npm ci` and runs its commands.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTemplate, listFiles, type ExportResult } from '../grader/commands/export';
import { loadManifest } from '../grader/manifest';
import { ROOT } from '../grader/paths';
import { gradlab } from './cli-harness';
import { findInlined, normalize } from './shipped-code';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-export-'));
const course = path.join(tmp, 'course');
const target = path.join(tmp, 'template');
let result: ExportResult;
const git = (args: string[], cwd = course) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  // a clone of this repository's HEAD, where a teacher has filled in an answer and not committed it
  git(['clone', '--quiet', '--no-hardlinks', ROOT, course], tmp);
  writeFileSync(path.join(course, 'exercises', '05-residual', 'residual.ts'), readFileSync(path.join(ROOT, 'solutions', '05-residual', 'residual.ts')));
  writeFileSync(path.join(course, 'exercises', '05-residual', 'notes.ts'), 'export const answer = 42;\n');
  // …and has edited a reference solution: 02's activation gradient doubled, which every gradient curve of the lab shows
  const backprop = path.join(course, 'solutions', '02-backprop', 'backprop.ts');
  const doubled = readFileSync(backprop, 'utf8').replace('return mul(da, map(z, df));', 'return mul(mul(da, map(z, df)), map(z, () => 2));');
  expect(doubled).toContain('map(z, () => 2)');
  writeFileSync(backprop, doubled);
  result = await exportTemplate(target, course);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('gradlab export', () => {
  it('writes exercises, the workflow, the lock file and the student scaffolding, and nothing else', () => {
    const top = [...new Set(result.files.map((f) => f.split(path.sep)[0]))].sort();
    expect(top).toEqual(['.github', '.gitignore', 'README.md', 'exercises', 'lab', 'package-lock.json', 'package.json', 'scripts', 'tsconfig.json']);
    expect(result.files).toEqual(expect.arrayContaining(['.github/workflows/classroom.yml', 'exercises/exercises.json', 'exercises/lib/tensor.ts', 'scripts/gradlab.mjs', 'scripts/watchdog.js']));
    for (const ex of loadManifest().exercises) {
      for (const f of [ex.file, ex.file.replace(/\.ts$/, '.test.ts'), 'README.md']) expect(result.files).toContain(path.join('exercises', ex.folder, f));
    }
  });

  it('exports the committed tree: an uncommitted answer stays out, and is listed for the warning', () => {
    expect(result.head).toBe(git(['rev-parse', '--short', 'HEAD']).trim());
    expect(readFileSync(path.join(target, 'exercises', '05-residual', 'residual.ts'), 'utf8')).toBe(git(['show', 'HEAD:exercises/05-residual/residual.ts']));
    expect(result.files).not.toContain('exercises/05-residual/notes.ts');
    expect(result.uncommitted.sort()).toEqual(['exercises/05-residual/notes.ts', 'exercises/05-residual/residual.ts', 'solutions/02-backprop/backprop.ts']);
  });

  it('computes the lab\'s reference curves from the committed solutions/, not the edited working tree', async () => {
    const clean = path.join(tmp, 'clean');
    git(['clone', '--quiet', '--no-hardlinks', ROOT, clean], tmp);
    const fromClean = path.join(tmp, 'template-clean');
    await exportTemplate(fromClean, clean);
    const reference = (dir: string) => readFileSync(path.join(dir, 'lab', 'reference.json'), 'utf8');
    expect(reference(target)).toBe(reference(fromClean));
    // and the edit is one the curves would show: committed, it changes them
    writeFileSync(path.join(clean, 'solutions', '02-backprop', 'backprop.ts'), readFileSync(path.join(course, 'solutions', '02-backprop', 'backprop.ts')));
    git(['-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '--quiet', '-am', 'doubled activation gradient'], clean);
    const fromEdited = path.join(tmp, 'template-edited');
    await exportTemplate(fromEdited, clean);
    expect(reference(fromEdited)).not.toBe(reference(fromClean));
  }, 600_000); // two exports, each running the lab on the reference: minutes on a loaded machine

  it('says on stderr that uncommitted changes are not in the template, and which commit it used', async () => {
    const r = await gradlab(['export', path.join(tmp, 'template-cli'), '--from', course]);
    expect(r.status).toBe(0);
    const head = git(['rev-parse', '--short', 'HEAD']).trim();
    expect(r.stderr).toBe(`gradlab: warning: uncommitted changes (exercises/05-residual/notes.ts, exercises/05-residual/residual.ts, solutions/02-backprop/backprop.ts) are NOT in the template: it was written from the last commit, ${head}. Commit them and export again if they belong in it.\n`);
    expect(r.stdout).toBe(`Wrote ${result.files.length} files from commit ${head} to ${path.join(tmp, 'template-cli')}. Next: push it as the template repository of your GitHub Classroom assignment.\n`);
  });

  it('leaks nothing that grades: no solution file, no hidden suite, no fixture, no grading code', () => {
    const solutionTexts = loadManifest().exercises.map((e) => readFileSync(path.join(ROOT, 'solutions', e.folder, e.file), 'utf8'));
    for (const f of result.files) {
      const text = readFileSync(path.join(target, f), 'utf8');
      expect(solutionTexts, f).not.toContain(text);
      expect(text, f).not.toMatch(/defineSuite|grader\/suites\/0\d|fixtures\/0\d-[a-z-]+\/|solutions\/0\d-|gradeSubmissions/);
    }
    expect(result.files.some((f) => /solutions|fixtures|grader|\.suite\.ts$/.test(f))).toBe(false);
    for (const ex of loadManifest().exercises) {
      const stub = readFileSync(path.join(target, 'exercises', ex.folder, ex.file), 'utf8');
      for (const fn of ex.functions) expect(stub).toContain(`new NotImplementedError('${fn}'`);
    }
  });

  it('inlines no reference or suite code into anything it ships: every window of every solutions/ and grader/suites/ file is looked for in every file', () => {
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    const sources = [...walk(path.join(ROOT, 'solutions')), ...walk(path.join(ROOT, 'grader', 'suites'))].filter((f) => f.endsWith('.ts'));
    expect(sources.length).toBeGreaterThanOrEqual(2 * loadManifest().exercises.length); // a solution and a suite each, and the suites' helpers
    const shipped = result.files.map((f) => ({ name: f, text: normalize(readFileSync(path.join(target, f), 'utf8'), f) }));
    // what ships by design (stubs, lib, public tests), and one formatting helper the lab and two
    // suites each write the same way (digits as subscripts: no answer in it)
    const allowed = [
      ...result.files.filter((f) => f.startsWith('exercises/')).map((f) => normalize(readFileSync(path.join(target, f), 'utf8'), f)),
      normalize("const subscript = (n: number): string => String(n).replace(/\\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]);"),
    ].join('\n');
    expect(findInlined(sources, shipped, allowed)).toEqual([]);
    // the scan finds what it looks for: the suites' activation table (all of 01), were it bundled
    const table = normalize(readFileSync(path.join(ROOT, 'grader', 'suites', 'activations.ts'), 'utf8'), 'activations.ts');
    expect(findInlined([path.join(ROOT, 'grader', 'suites', 'activations.ts')], [{ name: 'lab/lab.mjs', text: shipped.find((s) => s.name === 'lab/lab.mjs')!.text + table }], allowed))
      .toEqual([expect.objectContaining({ shipped: 'lab/lab.mjs' })]);
  });

  it('pins the course’s versions, with a lock file holding exactly the template’s dependency tree', () => {
    const pkg = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8'));
    const coursePkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const courseLock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
    const lock = JSON.parse(readFileSync(path.join(target, 'package-lock.json'), 'utf8'));
    for (const name of ['vitest', 'vite', 'typescript', '@types/node']) {
      const pinned = coursePkg.dependencies[name] ?? coursePkg.devDependencies[name];
      expect(pkg.devDependencies[name], name).toBe(pinned);
      expect(lock.packages[`node_modules/${name}`].version, name).toBe(pinned);
    }
    expect(lock.packages[''].devDependencies).toEqual(pkg.devDependencies);
    // every locked package is the course's own, same version and integrity: nothing resolved anew
    const entries = Object.entries(lock.packages as Record<string, { version: string; integrity?: string; dev?: boolean }>).filter(([k]) => k !== '');
    expect(entries.length).toBeGreaterThan(20);
    for (const [k, v] of entries) {
      expect(courseLock.packages[k]?.version, k).toBe(v.version);
      expect(courseLock.packages[k]?.integrity, k).toBe(v.integrity);
      expect(v.dev, k).toBe(true);
    }
    // and none that the template does not need (the grader's own dependencies)
    expect(Object.keys(lock.packages)).not.toContain('node_modules/ajv');
    expect(Object.keys(lock.packages)).not.toContain('node_modules/mathjs');
  });

  it('gives commands that run local scripts only: no npx gradlab, which would resolve to the npm registry', () => {
    const pkg = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8'));
    expect(pkg.scripts).toEqual({ test: 'vitest run exercises', check: 'node scripts/gradlab.mjs check', hint: 'node scripts/gradlab.mjs hint', lab: 'node lab/lab.mjs', typecheck: 'tsc --noEmit' });
    // what students read, and check/hint's bundle (the lab's bundle is lab/'s own: test/template-lab.test.ts)
    for (const f of result.files.filter((f) => /\.(md|yml|json)$/.test(f) || f.startsWith('scripts/'))) {
      expect(readFileSync(path.join(target, f), 'utf8'), f).not.toMatch(/npx gradlab|npx -y|npm exec gradlab/);
    }
  });

  it('refuses a folder that is not empty, and a course that is not a git repository', async () => {
    const busy = path.join(tmp, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'x'), '');
    await expect(exportTemplate(busy, course)).rejects.toThrow(`'${busy}' is not empty: export into a new or empty folder`);
    expect(listFiles(busy)).toEqual(['x']);
    const plain = path.join(tmp, 'plain');
    mkdirSync(plain);
    await expect(exportTemplate(path.join(tmp, 'nowhere'), plain)).rejects.toThrow(`export builds the template from the committed tree, but ${plain} is not a git repository with a commit: run it in a git clone of the course`);
  });

  it('type-checks as the student will see it', () => {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(target, 'node_modules'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(target, 'tsconfig.json')], { cwd: target, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
