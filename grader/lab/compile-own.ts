/**
 * How the lab compiles, in the student template and in the course alike: the student's exercise
 * file bundled with rolldown into one ES module, its relative imports resolved as written (their
 * own lib/ and their own other exercises: no reference solution is mixed in, and none ships with
 * the template), for the same Sandbox and limits as grading. Grading compiles differently
 * (grader/sandbox/compile.ts): the lab shows the student's code, it does not grade it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { rolldown } from 'rolldown';
import type { CompileResult } from '../sandbox/compile.js';

const ENTRY = '\0gradlab-lab-entry';

/** The export compile-own adds to every module: `fn` of the exercise on every entry of a matrix (see StudentCode.entrywise). */
export const ENTRYWISE = '__gradlabEntrywise';

/**
 * The module the sandbox loads: the exercise's exports; createRng, with which the sandbox turns
 * { __gradlabRng: seed } arguments into createRng(seed); and ENTRYWISE, so that the lab applies
 * the student's activation to a whole matrix in one call instead of one call per entry.
 */
function entryModule(entry: string, rng: string): string {
  return `export * from ${JSON.stringify(entry)};
export { createRng as __gradlabCreateRng } from ${JSON.stringify(rng)};
import * as exercise from ${JSON.stringify(entry)};
export function ${ENTRYWISE}(fn, m) {
  const f = exercise[fn];
  if (typeof f !== 'function') throw Object.assign(new Error(\`does not export a function '\${fn}'\`), { name: 'MissingExport' });
  return m.map((row) => row.map((v) => f(v)));
}
`;
}

export async function compileOwn(dir: string, folder: string, file: string): Promise<CompileResult> {
  const entry = path.join(dir, folder, file);
  if (!existsSync(entry)) return { ok: false, kind: 'missing', message: `${folder}/${file} is missing: restore it from the stub` };
  const rng = path.join(dir, 'lib', 'rng.ts');
  const refused: string[] = [];
  try {
    const bundle = await rolldown({
      input: ENTRY,
      logLevel: 'silent',
      treeshake: false,
      platform: 'node',
      plugins: [{
        name: 'gradlab-lab-entry',
        resolveId(source, importer) {
          if (source === ENTRY) return ENTRY;
          if (importer && importer !== ENTRY && !source.startsWith('.') && !source.startsWith('node:')) {
            refused.push(source);
            return { id: source, external: true };
          }
          return null;
        },
        load: (id) => (id === ENTRY ? entryModule(entry, rng) : null),
      }],
    });
    const { output } = await bundle.generate({ format: 'esm' });
    await bundle.close();
    if (refused.length > 0) return { ok: false, kind: 'compile', message: `${folder}/${file} imports ${refused.join(', ')}: exercises may only import ../lib/<module>, another exercise or files beside them` };
    return { ok: true, code: output[0].code };
  } catch (err) {
    const text = (err instanceof Error ? err.message : String(err)).replace(/\u001b\[[0-9;]*m/g, '').split(dir + path.sep).join('');
    return { ok: false, kind: 'compile', message: `${folder}/${file} does not compile: ${text.split('\n').slice(0, 6).join('\n')} (check it with \`npx tsc --noEmit\`)` };
  }
}
