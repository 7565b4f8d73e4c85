/**
 * Compiles one exercise file of a submission into a single ES module string, in the trusted
 * process, so the sandbox can load it from a `data:` URL without touching the file system.
 *
 * Imports are resolved as the contract says: `../lib/*` to the grader's own exercises/lib (never
 * the submission's copy), another exercise's module to the reference solution (one mistake costs
 * points once), and files inside the exercise's own folder as written. Anything else — a package,
 * a path outside the submission — is refused with a message that says what is allowed.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { rolldown, type Plugin } from 'rolldown';
import { LIB_DIR, SOLUTIONS_DIR } from '../paths.js';

/** The virtual entry: the student's exports, plus the course's createRng for seeded Rng arguments. */
const ENTRY_ID = '\0gradlab-entry';

export type CompileResult =
  | { ok: true; code: string }
  | { ok: false; kind: 'missing' | 'compile'; message: string };

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '/index.ts', '/index.js'];

function resolveFile(base: string): string | null {
  if (existsSync(base) && statSync(base).isFile()) return base;
  const stripped = base.replace(/\.(js|mjs)$/, '');
  for (const ext of EXTENSIONS) {
    const candidate = stripped + ext;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The resolver plugin: maps a submission's imports to the files the grader trusts. */
function submissionResolver(submissionDir: string, folder: string, entryFile: string, problems: string[]): Plugin {
  const ownDir = path.join(submissionDir, folder);
  const courseDirs = [LIB_DIR, SOLUTIONS_DIR];
  return {
    name: 'gradlab-submission-resolver',
    load(id) {
      if (id !== ENTRY_ID) return null;
      const student = JSON.stringify(path.join(ownDir, entryFile));
      const rng = JSON.stringify(path.join(LIB_DIR, 'rng.ts'));
      // the sandbox turns { __gradlabRng: seed } arguments into createRng(seed) with this export
      return `export * from ${student};\nexport { createRng as __gradlabCreateRng } from ${rng};\n`;
    },
    resolveId(source, importer) {
      if (source === ENTRY_ID) return ENTRY_ID;
      if (!importer || importer === ENTRY_ID) return null; // the entry point and what it names
      if (source.startsWith('node:')) return { id: source, external: true };
      if (!source.startsWith('.')) {
        problems.push(`imports '${source}': a submission may only import ../lib/<module>, another exercise (../01-activations/activations) or files in its own folder`);
        return { id: source, external: true };
      }
      const wanted = path.resolve(path.dirname(importer), source);
      let target: string | null = null;
      if (courseDirs.some((d) => inside(d, importer) || inside(path.resolve(d), importer))) {
        target = resolveFile(wanted); // the course's own files import each other as written
        // ...except the graded exercise itself: a reference file that imports it gets the student's own
        const ownRef = path.join(SOLUTIONS_DIR, folder);
        if (target && inside(ownRef, target)) target = resolveFile(path.join(ownDir, path.relative(ownRef, target)));
      } else if (inside(path.join(submissionDir, 'lib'), wanted)) {
        target = resolveFile(path.join(LIB_DIR, path.relative(path.join(submissionDir, 'lib'), wanted)));
      } else if (inside(ownDir, wanted)) {
        target = resolveFile(wanted);
        if (target && !inside(submissionDir, realpathSync(target))) {
          problems.push(`imports '${source}', a link to a file outside the submission`);
          return { id: source, external: true };
        }
      } else if (inside(submissionDir, wanted)) {
        // another exercise: always the reference solution, so its mistakes are not graded twice
        target = resolveFile(path.join(SOLUTIONS_DIR, path.relative(submissionDir, wanted)));
      } else {
        problems.push(`imports '${source}', which is outside the submission folder`);
        return { id: source, external: true };
      }
      if (!target) {
        problems.push(`imports '${source}', which does not exist`);
        return { id: source, external: true };
      }
      return target;
    },
  };
}

/** Bundles `<submissionDir>/<folder>/<file>` with its allowed imports into one ES module. */
export async function compileExercise(dir: string, folder: string, file: string): Promise<CompileResult> {
  // real paths: a symlink inside the submission must not smuggle in a file from elsewhere (the
  // reference solutions, the fixtures, the grader checked out next to it)
  const submissionDir = existsSync(dir) ? realpathSync(path.resolve(dir)) : path.resolve(dir);
  const entry = path.join(submissionDir, folder, file);
  if (!existsSync(entry)) {
    return { ok: false, kind: 'missing', message: `${folder}/${file} is missing from the submission: create it from the exercise's stub (exercises/${folder}/${file}).` };
  }
  if (!inside(submissionDir, realpathSync(entry))) {
    return { ok: false, kind: 'compile', message: `${folder}/${file} is a link to a file outside the submission: submit the file itself.` };
  }
  const problems: string[] = [];
  try {
    const bundle = await rolldown({
      input: ENTRY_ID,
      plugins: [submissionResolver(submissionDir, folder, file, problems)],
      logLevel: 'silent',
      treeshake: false,
      platform: 'node',
    });
    const { output } = await bundle.generate({ format: 'esm' });
    await bundle.close();
    if (problems.length > 0) {
      return { ok: false, kind: 'compile', message: `${folder}/${file} ${problems.join('; ')}.` };
    }
    return { ok: true, code: output[0].code };
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return { ok: false, kind: 'compile', message: `${folder}/${file} does not compile: ${cleanCompileMessage(text, submissionDir)} Fix it and check with \`npx tsc --noEmit\`.` };
  }
}

/** Keeps the first lines of a compiler error and shows paths relative to the submission. */
function cleanCompileMessage(text: string, submissionDir: string): string {
  const rel = path.relative(process.cwd(), submissionDir) + path.sep;
  return text.replace(/\u001b\[[0-9;]*m/g, '').split(submissionDir + path.sep).join('').split(rel).join('').split('\n').slice(0, 8).join('\n').trim();
}
