/** The manifest is the single source of truth: it validates, and it matches the files on disk. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { loadManifest, MANIFEST_PATH } from '../grader/manifest';
import { ROOT } from '../grader/paths';

const manifest = loadManifest();
const schema = JSON.parse(readFileSync(path.join(ROOT, 'exercises', 'exercises.schema.json'), 'utf8'));

// The contract's points per exercise (../shared/spec/COURSE.md), 100 in all.
const CONTRACT_POINTS: Record<string, number> = {
  '01-activations': 15, '02-backprop': 20, '03-initialization': 15, '04-batchnorm': 15, '05-residual': 10, '06-dead-neurons': 10,
  '07-training': 15,
};

describe('exercises/exercises.json', () => {
  it('validates against its schema', () => {
    const ajv = new Ajv({ allErrors: true });
    const validate = ajv.compile(schema);
    const ok = validate(JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema rejects an unknown field and a missing one', () => {
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const broken = structuredClone(manifest) as unknown as { exercises: Record<string, unknown>[] };
    broken.exercises[0].surprise = 1;
    delete broken.exercises[1].points;
    expect(validate(broken)).toBe(false);
    const messages = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    expect(messages).toContain('/exercises/0 must NOT have additional properties');
    expect(messages).toContain("/exercises/1 must have required property 'points'");
  });

  it('documents every property of the schema', () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties) {
        for (const [k, v] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
          if (typeof v.description !== 'string' || v.description.length < 10) undocumented.push(`${where}.${k}`);
          walk(v, `${where}.${k}`);
        }
      }
      if (n.items) walk(n.items, `${where}[]`);
    };
    walk(schema, '$');
    expect(undocumented).toEqual([]);
  });

  it('has the contract’s exercises and points, and tests that add up to them', () => {
    expect(manifest.exercises.map((e) => e.slug)).toEqual(Object.keys(CONTRACT_POINTS));
    for (const ex of manifest.exercises) {
      expect(ex.points).toBe(CONTRACT_POINTS[ex.slug]);
      const sum = ex.tests.reduce((a, t) => a + t.points, 0);
      expect(Math.abs(sum - ex.points)).toBeLessThanOrEqual(1e-9);
    }
    expect(manifest.exercises.reduce((a, e) => a + e.points, 0)).toBe(100);
  });

  it('weighs the tests of one exercise equally (the Classroom reporter needs it) and keeps ids unique', () => {
    const ids = manifest.exercises.flatMap((e) => e.tests.map((t) => t.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const ex of manifest.exercises) {
      expect(new Set(ex.tests.map((t) => t.points)).size).toBe(1);
    }
  });

  it('has real hints, 1 to 3 per exercise', () => {
    for (const ex of manifest.exercises) {
      expect(ex.hints.length).toBeGreaterThanOrEqual(1);
      expect(ex.hints.length).toBeLessThanOrEqual(3);
      for (const h of ex.hints) expect(h).not.toMatch(/TODO/);
    }
  });
});

describe('the files behind the manifest', () => {
  for (const ex of manifest.exercises) {
    it(`${ex.slug}: stub, README, public tests, solution and hidden suite exist`, () => {
      const dir = path.join(ROOT, 'exercises', ex.folder);
      for (const f of [ex.file, ex.file.replace(/\.ts$/, '.test.ts'), 'README.md']) expect(existsSync(path.join(dir, f)), f).toBe(true);
      expect(existsSync(path.join(ROOT, 'solutions', ex.folder, ex.file))).toBe(true);
      expect(existsSync(path.join(ROOT, 'grader', 'suites', `${ex.slug}.suite.ts`))).toBe(true);
      expect(readdirSync(path.join(ROOT, 'exercises')).filter((d) => /^\d\d-/.test(d))).toContain(ex.folder);
    });

    it(`${ex.slug}: the stub exports exactly the manifest's functions, the solution at least them`, async () => {
      const stub = await import(path.join(ROOT, 'exercises', ex.folder, ex.file));
      const stubFns = Object.keys(stub).filter((k) => typeof stub[k] === 'function').sort();
      expect(stubFns).toEqual([...ex.functions].sort());
      const solution = await import(path.join(ROOT, 'solutions', ex.folder, ex.file));
      for (const f of ex.functions) expect(typeof solution[f], f).toBe('function');
    });

    it(`${ex.slug}: every manifest test is defined in the hidden suite and vice versa`, () => {
      const suite = readFileSync(path.join(ROOT, 'grader', 'suites', `${ex.slug}.suite.ts`), 'utf8');
      const defined = [...suite.matchAll(/\btest\(\s*'([^']+)'/g)].map((m) => m[1]).sort();
      expect(defined).toEqual(ex.tests.map((t) => t.id).sort());
    });
  }

  it('no exercise folder exists outside the manifest', () => {
    const folders = readdirSync(path.join(ROOT, 'exercises')).filter((d) => /^\d\d-/.test(d)).sort();
    expect(folders).toEqual(manifest.exercises.map((e) => e.folder).sort());
  });
});
