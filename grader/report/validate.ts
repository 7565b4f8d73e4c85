/**
 * Validates report objects against the JSON schemas in grader/schemas/ with ajv.
 *
 * Loading is lazy, so importing the reports costs nothing until a report is validated. The build
 * precompiles the three validators (dist/report-validators.cjs, grader/fixture-validators.ts), and
 * they are used when their stamp matches the schemas and the options below; otherwise ajv is
 * required on first use (through createRequire, which keeps `validate()` synchronous) and each
 * schema is read and compiled on first use, then cached for the process. Either way the same
 * errors come out (test/report.index.test.ts).
 *
 * The schemas stay JSON files (editors, other tools and the docs read them as they are) and are
 * found from the repository root: the first folder above this module that holds package.json and
 * grader/schemas/. That works for grader/report/validate.ts run by vitest and for
 * dist/grader/report/validate.js run by node alike, because tsc does not copy JSON files into
 * dist/ and both sit below the same root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { default as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { loadPrecompiled, precompiledFile } from '../fixture-validators.js';

export type SchemaName = 'results' | 'gradescope' | 'classroom';

export const SCHEMA_NAMES: readonly SchemaName[] = ['results', 'gradescope', 'classroom'];

/** A report that does not match its schema: a bug in the grader, never the student's fault. */
export class ReportValidationError extends Error {
  readonly code = 'E_REPORT_INVALID';
  constructor(
    readonly schema: SchemaName,
    readonly errors: ErrorObject[],
  ) {
    const detail = errors
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` ('${String(e.params.additionalProperty)}')` : ''}`)
      .join('; ');
    super(
      `gradlab: the ${schema} report does not match grader/schemas/${schema}.schema.json: ${detail}. ` +
        'This is a bug in the grader, not in the submission: report it with the command you ran.',
    );
    this.name = 'ReportValidationError';
  }
}

function findSchemasDir(start: string): string {
  for (let dir = start; ; ) {
    const candidate = path.join(dir, 'grader', 'schemas');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`gradlab: cannot find grader/schemas/ above ${start}; reinstall with \`npm ci\``);
    dir = up;
  }
}

let schemasDir: string | undefined;

/** Absolute path of a schema file. */
export function schemaPath(name: SchemaName): string {
  schemasDir ??= findSchemasDir(path.dirname(fileURLToPath(import.meta.url)));
  return path.join(schemasDir, `${name}.schema.json`);
}

/**
 * Ajv's options here. At run time the schemas are not checked against the JSON Schema meta-schema
 * and the generated code is not optimized: that halves the first compile (~25 ms saved on the
 * CLI's path) and changes nothing about what is accepted. test/report.index.test.ts compiles
 * every schema with `validateSchema: true` in strict mode instead, so a broken schema still fails CI.
 */
export const AJV_OPTIONS = {
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
  validateSchema: false,
  code: { optimize: false },
} as const;

let ajv: AjvClass | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();
let precompiled: Record<string, ValidateFunction> | null | undefined;

/** The build's validators when they were compiled from these schemas with these options, else null. */
function builtValidators(): Record<string, ValidateFunction> | null {
  if (precompiled === undefined) {
    const dir = path.dirname(schemaPath('results'));
    precompiled = loadPrecompiled(dir, precompiledFile(path.dirname(path.dirname(dir)), 'report-validators'), AJV_OPTIONS);
  }
  return precompiled;
}

/** 'precompiled' when the build's validators are in use, 'compiled' when ajv compiles them here. */
export function validatorOrigin(): 'precompiled' | 'compiled' {
  return builtValidators() ? 'precompiled' : 'compiled';
}

function validator(name: SchemaName): ValidateFunction {
  let fn = compiled.get(name) ?? builtValidators()?.[name];
  if (fn) return fn;
  if (!ajv) {
    const load = createRequire(import.meta.url)('ajv') as { default: typeof AjvClass };
    ajv = new load.default(AJV_OPTIONS);
  }
  fn = ajv.compile(JSON.parse(readFileSync(schemaPath(name), 'utf8')) as object);
  compiled.set(name, fn);
  return fn;
}

/** Throws a ReportValidationError unless `data` matches the schema; returns `data` typed. */
export function validate<T>(name: SchemaName, data: T): T {
  const fn = validator(name);
  if (!fn(data)) throw new ReportValidationError(name, fn.errors ?? []);
  return data;
}

/** The schema's errors for `data` (empty when it matches), for tests and diagnostics. */
export function schemaErrors(name: SchemaName, data: unknown): ErrorObject[] {
  const fn = validator(name);
  return fn(data) ? [] : [...(fn.errors ?? [])];
}
