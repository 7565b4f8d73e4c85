import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type AjvClass from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { renderClassroom } from '../grader/report/classroom.ts';
import { renderGradescope } from '../grader/report/gradescope.ts';
import { DEFAULT_FILE, isReportFormat, renderReport, REPORT_FORMATS, writeReports } from '../grader/report/index.ts';
import { renderJson } from '../grader/report/json.ts';
import { renderJunit } from '../grader/report/junit.ts';
import { renderText } from '../grader/report/text.ts';
import { loadPrecompiled, precompiledFile } from '../grader/fixture-validators.ts';
import { AJV_OPTIONS, ReportValidationError, SCHEMA_NAMES, schemaErrors, schemaPath, validate, validatorOrigin } from '../grader/report/validate.ts';
import { everyStatusReport, mixedCourseReport } from './report.fixtures.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'gradlab-reports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ajvLoaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /[\\/]node_modules[\\/]ajv[\\/]/.test(k)).map((k) => k.replace(/.*[\\/]node_modules[\\/]/, ''));
const ROOT = path.resolve(import.meta.dirname, '..');

describe('validate', () => {
  // First in the file, which imports ajv only lazily: nothing in this worker has validated yet.
  it('loads nothing of ajv until a report is validated, then only the runtime helper of the validators the build precompiled', () => {
    expect(ajvLoaded()).toEqual([]);
    renderText(mixedCourseReport());
    renderJunit(mixedCourseReport());
    expect(ajvLoaded()).toEqual([]);
    renderJson(mixedCourseReport());
    // npm ci (prepare) and npm run build write dist/report-validators.cjs; ajv itself (≈ 0.15 s of
    // CPU to load and compile the results schema) stays unloaded on the grader's path
    expect(validatorOrigin(), 'run `npm run build` to precompile the report validators').toBe('precompiled');
    expect(ajvLoaded()).toEqual(['ajv/dist/runtime/ucs2length.js']);
  });

  it('judges with the precompiled validators exactly as ajv compiling the schemas at run time: the same verdicts and the same errors', () => {
    const Ajv = (createRequire(import.meta.url)('ajv') as { default: typeof AjvClass }).default;
    const ajv = new Ajv(AJV_OPTIONS);
    const runtime = Object.fromEntries(SCHEMA_NAMES.map((name) => [name, ajv.compile(JSON.parse(readFileSync(schemaPath(name), 'utf8')) as object)]));
    const errorsOf = (name: string, data: unknown) => (runtime[name](data) ? [] : runtime[name].errors);
    const reports = [mixedCourseReport(), everyStatusReport()];
    const valid: Array<[string, Record<string, any>]> = reports.flatMap((r) => [
      ['results', JSON.parse(renderJson(r)) as Record<string, any>],
      ['gradescope', JSON.parse(renderGradescope(r)) as Record<string, any>],
      ...JSON.parse(renderClassroom(r)).runners.map((x: { result: unknown }) => ['classroom', x.result]),
    ] as Array<[string, Record<string, any>]>);
    expect(new Set(valid.map(([name]) => name))).toEqual(new Set(SCHEMA_NAMES));
    let broken = 0;
    for (const [name, data] of valid) {
      expect(schemaErrors(name as never, data), name).toEqual([]);
      expect(errorsOf(name, data), name).toEqual([]);
      // each broken four ways, every error compared (the report options keep all errors)
      const [first] = Object.keys(data);
      const variants = [{ ...data, extra: true }, { ...data, [first]: null }, Object.fromEntries(Object.entries(data).slice(1)), { ...data, tests: [{ name: 7 }] }];
      for (const v of variants) {
        const pre = schemaErrors(name as never, v);
        expect(pre.length, `${name} broken`).toBeGreaterThan(0);
        expect(pre).toEqual(errorsOf(name, v));
        broken++;
      }
    }
    expect(broken).toBe(4 * valid.length);
  });

  it('ignores a precompiled module built from other options or other schemas', () => {
    const dir = path.join(ROOT, 'grader', 'schemas');
    const built = precompiledFile(ROOT, 'report-validators');
    expect(loadPrecompiled(dir, built, AJV_OPTIONS)).not.toBeNull();
    expect(loadPrecompiled(dir, built, { ...AJV_OPTIONS, allErrors: false })).toBeNull();
    expect(loadPrecompiled(path.join(ROOT, 'fixtures', 'schemas'), built, AJV_OPTIONS)).toBeNull();
  });

  it('finds the schemas from the repository root', () => {
    for (const name of SCHEMA_NAMES) {
      expect(schemaPath(name)).toBe(path.resolve(import.meta.dirname, '..', 'grader', 'schemas', `${name}.schema.json`));
    }
  });

  it('has schemas that are valid draft-07 in strict mode, with a description on every property', () => {
    const Ajv = (createRequire(import.meta.url)('ajv') as { default: typeof AjvClass }).default;
    const ajv = new Ajv({ ...AJV_OPTIONS, validateSchema: true, code: { optimize: true } });
    const missing: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (!node || typeof node !== 'object') return;
      const obj = node as Record<string, unknown>;
      if (obj.properties && typeof obj.properties === 'object') {
        for (const [key, sub] of Object.entries(obj.properties as Record<string, Record<string, unknown>>)) {
          if (typeof sub.description !== 'string' || !sub.description) missing.push(`${at}/${key}`);
        }
      }
      for (const [key, sub] of Object.entries(obj)) walk(sub, `${at}/${key}`);
    };
    for (const name of SCHEMA_NAMES) {
      const schema = JSON.parse(readFileSync(schemaPath(name), 'utf8')) as Record<string, unknown>;
      expect(ajv.validateSchema(schema), name).toBe(true);
      expect(() => ajv.compile(schema)).not.toThrow();
      walk(schema, name);
    }
    expect(missing).toEqual([]);
  });

  it('throws a ReportValidationError that names the schema and the offending path', () => {
    try {
      validate('classroom', { version: 2 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ReportValidationError);
      const err = e as ReportValidationError;
      expect(err.code).toBe('E_REPORT_INVALID');
      expect(err.schema).toBe('classroom');
      expect(err.message).toMatch(/^gradlab: the classroom report does not match grader\/schemas\/classroom\.schema\.json: /);
      expect(err.message).toContain('/version must be equal to constant');
      expect(err.message).toContain('/ must have required property');
    }
  });
});

describe('renderReport', () => {
  it('renders each format with its module', () => {
    const report = everyStatusReport();
    expect(renderReport('text', report, { color: true })).toBe(renderText(report, { color: true }));
    expect(renderReport('json', report)).toBe(renderJson(report));
    expect(renderReport('gradescope', report)).toBe(renderGradescope(report));
    expect(renderReport('classroom', report)).toBe(renderClassroom(report));
    expect(renderReport('junit', report)).toBe(renderJunit(report));
    expect(REPORT_FORMATS).toEqual(['text', 'json', 'gradescope', 'classroom', 'junit']);
    expect(Object.keys(DEFAULT_FILE)).toEqual([...REPORT_FORMATS]);
  });

  it('refuses an unknown format with the list of known ones', () => {
    expect(isReportFormat('junit')).toBe(true);
    expect(isReportFormat('xml')).toBe(false);
    expect(() => renderReport('xml' as 'json', mixedCourseReport())).toThrow(
      "gradlab: unknown report format 'xml': use one of text, json, gradescope, classroom, junit",
    );
  });
});

describe('writeReports', () => {
  it('writes files whole, prints the rest, and hands the classroom runners to Actions', () => {
    const dir = path.join(tmp, 'ok', 'nested');
    const envFile = path.join(tmp, 'github-env');
    writeFileSync(envFile, '');
    const printed: string[] = [];
    const report = mixedCourseReport();
    const written = writeReports(
      report,
      [
        { format: 'json', file: path.join(dir, 'results.json') },
        { format: 'junit', file: path.join(dir, 'junit.xml') },
        { format: 'classroom', file: path.join(dir, 'classroom.json') },
        { format: 'text' },
      ],
      { print: (t) => printed.push(t), env: { GITHUB_ENV: envFile } },
    );
    expect(written).toEqual([path.join(dir, 'results.json'), path.join(dir, 'junit.xml'), path.join(dir, 'classroom.json'), envFile]);
    expect(readdirSync(dir).sort()).toEqual(['classroom.json', 'junit.xml', 'results.json']);
    expect(readFileSync(path.join(dir, 'results.json'), 'utf8')).toBe(renderJson(report));
    expect(printed).toEqual([renderText(report)]);
    expect(readFileSync(envFile, 'utf8')).toMatch(/^EX01ACTIVATIONS_RESULTS=[A-Za-z0-9+/]+=*\n/);
  });

  it('writes nothing when a report fails validation', () => {
    const dir = path.join(tmp, 'bad');
    const bad = mixedCourseReport();
    (bad.exercises[0] as { status: string }).status = 'partial';
    expect(() =>
      writeReports(bad, [
        { format: 'junit', file: path.join(dir, 'junit.xml') },
        { format: 'json', file: path.join(dir, 'results.json') },
      ]),
    ).toThrow(/\/exercises\/0\/status must be equal to one of the allowed values/);
    expect(existsSync(dir)).toBe(false);
  });

  it('replaces an existing file', () => {
    const file = path.join(tmp, 'replace', 'results.json');
    writeReports(mixedCourseReport(), [{ format: 'gradescope', file }]);
    writeReports(everyStatusReport(), [{ format: 'gradescope', file }]);
    expect(readFileSync(file, 'utf8')).toBe(renderGradescope(everyStatusReport()));
    expect(readdirSync(path.dirname(file))).toEqual(['results.json']);
  });
});
