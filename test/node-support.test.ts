/**
 * gradlab runs only on the maintained Node lines (grader/node-support.ts). Every entry is run here on
 * real old Nodes — Node 18 and Node 20 (end of life since April 2026) from the npm registry's `node`
 * package, installed by scripts/with-node — and must refuse with one sentence, exit 3 and write
 * nothing: on Node 18 the grader used to give the reference 0 and blame the student.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTemplate } from '../grader/commands/export';
import { enginesRange, RECOMMENDED_NODE_LINE, SUPPORTED_NODE, UNSUPPORTED_NODE_EXIT, unsupportedNode } from '../grader/node-support';
import { ROOT } from '../grader/paths';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-node-support-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NEEDED = 'gradlab needs Node.js 22 (22.13.0 or later), 24 or 26: install Node.js 26 (https://nodejs.org) and run the same command again';

describe('the supported lines', () => {
  it('are the maintained ones, each from its first usable release, and package.json says the same', () => {
    expect(SUPPORTED_NODE.map((s) => s.line)).toEqual([22, 24, 26]);
    expect(RECOMMENDED_NODE_LINE).toBe(26);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('^22.13.0 || ^24.0.0 || ^26.0.0');
    expect(enginesRange()).toBe(pkg.engines.node);
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node: string } }> };
    expect(lock.packages[''].engines!.node).toBe(pkg.engines.node);
  });

  it('accept every release of a maintained line from its first usable one, and refuse everything else in one sentence', () => {
    for (const ok of ['22.13.0', '22.23.3', '24.0.0', '24.21.0', '26.0.0', '26.10.0', 'v26.10.0']) expect(unsupportedNode(ok), ok).toBeNull();
    expect(unsupportedNode('18.20.8')).toBe(`this is Node.js 18.20.8, and ${NEEDED}`);
    // 22.12 does not know --permission, the sandbox's flag (it was --experimental-permission until 22.13.0)
    expect(unsupportedNode('22.12.0')).toBe(`this is Node.js 22.12.0, and ${NEEDED}`);
    for (const no of ['20.20.2', '21.7.3', '23.11.1', '25.9.0', '27.0.0', '16.20.2']) expect(unsupportedNode(no), no).toMatch(/^this is Node\.js \d+\.\d+\.\d+, and gradlab needs/);
  });

  it('are each tested by CI: .ci/run runs the suite on every one, newest first (the README says so)', () => {
    const lines = /^lines="([^"]*)"$/m.exec(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8'))?.[1];
    expect(lines).toBe(SUPPORTED_NODE.map((s) => s.line).reverse().join(' '));
  });
});

/** The bin folder of a Node line from the npm registry (scripts/with-node installs it once into its cache). */
function registryNode(line: string): string {
  const bin = execFileSync(path.join(ROOT, 'scripts', 'with-node'), [line], { encoding: 'utf8' }).trim();
  return path.join(bin, 'node');
}

describe('every entry refuses a real old Node before doing anything', () => {
  const olds: { node: string; version: string }[] = [];
  const template = path.join(tmp, 'template');
  beforeAll(async () => {
    for (const line of ['18', '20']) {
      const node = registryNode(line);
      olds.push({ node, version: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim().slice(1) });
    }
    await exportTemplate(template);
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(template, 'node_modules')); // what npm ci installs there
  }, 900_000);

  const run = (node: string, args: string[], cwd = tmp) => spawnSync(node, args, { cwd, encoding: 'utf8', env: { ...process.env, GRADLAB_DEBUG: '' } });
  const refusal = (version: string, program = 'gradlab') => `${program}: this is Node.js ${version}, and ${NEEDED}.\n`;

  it('are Node 18 and Node 20, really', () => {
    expect(olds.map((o) => o.version.split('.')[0])).toEqual(['18', '20']);
    for (const { node } of olds) expect(path.isAbsolute(node) && existsSync(node)).toBe(true);
  });

  it('gradlab grade and class: no grade, no results file, exit 3', () => {
    for (const { node, version } of olds) {
      const out = path.join(tmp, `results-${version}.json`);
      const grade = run(node, [path.join(ROOT, 'bin', 'gradlab.mjs'), 'grade', path.join(ROOT, 'solutions'), '--format', 'json', '--out', out]);
      expect([grade.status, grade.stdout, grade.stderr]).toEqual([UNSUPPORTED_NODE_EXIT, '', refusal(version)]);
      expect(existsSync(out)).toBe(false);
      const results = path.join(tmp, `class-${version}`);
      const cls = run(node, [path.join(ROOT, 'bin', 'gradlab.mjs'), 'class', path.join(ROOT, 'test', 'submissions'), '--results', results]);
      expect([cls.status, cls.stdout, cls.stderr]).toEqual([UNSUPPORTED_NODE_EXIT, '', refusal(version)]);
      expect(existsSync(results)).toBe(false);
    }
  });

  it('gradlab check, lab, hint, list and --help (npm run check, lab and hint in the course)', () => {
    for (const { node, version } of olds) {
      for (const args of [['check'], ['lab'], ['hint', '02-backprop'], ['list'], ['--help']]) {
        const r = run(node, [path.join(ROOT, 'bin', 'gradlab.mjs'), ...args], ROOT);
        expect([r.status, r.stdout, r.stderr], args.join(' ')).toEqual([UNSUPPORTED_NODE_EXIT, '', refusal(version)]);
      }
    }
  });

  it('the student template: npm run check, hint and lab, and its package.json says which Node', () => {
    const pkg = JSON.parse(readFileSync(path.join(template, 'package.json'), 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };
    expect(pkg.engines.node).toBe(enginesRange());
    expect(pkg.scripts).toMatchObject({ check: 'node scripts/gradlab.mjs check', hint: 'node scripts/gradlab.mjs hint', lab: 'node lab/lab.mjs' });
    const before = readdirSync(template).sort();
    for (const { node, version } of olds) {
      for (const args of [['scripts/gradlab.mjs', 'check'], ['scripts/gradlab.mjs', 'hint', '02'], ['lab/lab.mjs']]) {
        const r = run(node, args, template);
        expect([r.status, r.stdout, r.stderr], args.join(' ')).toEqual([UNSUPPORTED_NODE_EXIT, '', refusal(version, args[0] === 'lab/lab.mjs' ? 'lab' : 'gradlab')]);
      }
    }
    expect(readdirSync(template).sort()).toEqual(before); // no lab-report, nothing written
  });

  it('and the Node running these tests, a supported one, is let through', () => {
    expect(unsupportedNode()).toBeNull();
    const r = run(process.execPath, [path.join(ROOT, 'bin', 'gradlab.mjs'), 'list'], ROOT);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('01-activations');
  });
});
