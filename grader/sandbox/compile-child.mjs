// The compiler's own process (see compile.ts): bundles the exercise files of ONE submission's
// intake copy into ES module strings, one exercise after another, and writes one JSON line per
// exercise to stdout. It runs under Node's permission model with read access to the copy, the
// grader's exercises/lib and solutions/ and rolldown's own package only, under time and memory
// limits set by the parent; a crash here (rolldown's parser overflowing its stack on a few thousand
// nested brackets) costs the exercise being compiled and nothing else.
//
// Every file is read here, by Node's fs (so the permission model checks it), in the `load` hook:
// rolldown's native side never opens a file itself, and its tsconfig discovery is off.
//
// Imports are resolved as the course contract says (spec/COURSE.md, "Layout of a submission"):
// - `../lib/<module>`: the grader's own exercises/lib, whatever the submission holds;
// - a file of the exercise's own folder: the student's;
// - another exercise's file (`../02-backprop/backprop`): the names the contract lists for that
//   exercise behave as the reference solution, every other name comes from the student's own file;
//   the student's file is bundled only when the importer asks for such a name (or for all of them:
//   `import * as`, `export *`, `import()`), so a broken file elsewhere costs nothing otherwise.
//   When grading (mode 'oracle'), a contract name is a stub that asks the trusted side, which runs
//   the reference in a process of its own (client.ts, Oracle): no byte of the reference is bundled.
//   The names the oracle does not serve (oracle-access.ts: the graded exercise's own, those of an
//   exercise whose reference is built on it, 03's) come from the student's own file. The lab
//   (mode 'reference') still bundles the reference, in the course only;
// - the graded exercise itself, from anywhere (also from a reference file), is the student's own
//   file: no exercise is ever graded against its own reference;
// - anything else (a package, a path outside the submission) is refused, in one capped sentence.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const request = JSON.parse(readFileSync(0, 'utf8'));
/** @type {{ root: string, libDir: string, solutionsDir: string, rolldown: string, experimental: string,
 *   exercises: Array<{ folder: string, file: string, functions: string[] }>, jobs: string[] }} */
const { root, libDir, solutionsDir, exercises, jobs } = request;
/** 'oracle' (grading: stubs), 'reference' (the lab: the reference bundled), 'bundle' (the oracle's own module). */
const mode = request.mode ?? 'reference';
/** graded folder → target folder → the contract functions the oracle serves (oracle mode). */
const served = request.served ?? {};
/**
 * Exercises (01, 02: oracle-access.ts, OWN_EXERCISES) whose own module is also written as a plain
 * script (`own`, an IIFE) that a child grading ANOTHER exercise runs in a realm of its own
 * (child.mjs): the student's own functions are then used where they pass their own exercise's
 * checks (harness.ts), without their import-time code touching the graded module's realm.
 */
const ownExercises = new Set(request.own ?? []);
const { rolldown } = await import(request.rolldown);
const { parseSync, transformSync } = await import(request.experimental);

const ENTRY = '\0gradlab-entry';
const CROSS = '\0gradlab-cross:';
const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '/index.ts', '/index.js'];
const MAX_PROBLEMS_SHOWN = 3;
const MAX_PROBLEMS_KEPT = 100;
class TooManyProblems extends Error {}

const isFile = (f) => statSync(f, { throwIfNoEntry: false })?.isFile() === true;
function resolveFile(base) {
  if (isFile(base)) return base;
  const stripped = base.replace(/\.(js|mjs|ts|mts)$/, '');
  for (const ext of EXTENSIONS) if (isFile(stripped + ext)) return stripped + ext;
  return null;
}
const inside = (dir, file) => {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};
const exerciseOf = (folder) => exercises.find((e) => e.folder === folder);

/**
 * What a student module imports from each specifier: a set of names, or '*' for all of them.
 * Read from the module after TypeScript is stripped (an import used only as a type is gone), with
 * oxc's parser (rolldown's own): static imports, re-exports and literal dynamic imports.
 */
function importsOf(id, code) {
  /** @type {Map<string, { names: Set<string> | '*', line: number }>} */
  const out = new Map();
  const starts = [0];
  for (let i = code.indexOf('\n'); i >= 0; i = code.indexOf('\n', i + 1)) starts.push(i + 1);
  const lineAt = (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  // lines from the source as written; names from the stripped module
  const written = parseSync(id, code);
  const lines = new Map();
  for (const imp of written.module.staticImports) if (!lines.has(imp.moduleRequest.value)) lines.set(imp.moduleRequest.value, lineAt(imp.moduleRequest.start));
  for (const exp of written.module.staticExports) for (const e of exp.entries) if (e.moduleRequest && !lines.has(e.moduleRequest.value)) lines.set(e.moduleRequest.value, lineAt(e.moduleRequest.start));
  const js = transformSync(id, code, { tsconfig: false, sourcemap: false }).code;
  const stripped = parseSync(id.replace(/\.[mc]?ts$/, '.js'), js);
  const add = (spec, name) => {
    const cur = out.get(spec) ?? { names: new Set(), line: lines.get(spec) ?? 1 };
    if (name === '*' || cur.names === '*') cur.names = '*';
    else cur.names.add(name);
    out.set(spec, cur);
  };
  for (const imp of stripped.module.staticImports) {
    if (imp.entries.length === 0) add(imp.moduleRequest.value, '*'); // `import './x'`: evaluated for its effects
    for (const e of imp.entries) {
      if (e.isType) continue;
      add(imp.moduleRequest.value, e.importName.kind === 'Name' ? e.importName.name : e.importName.kind === 'Default' ? 'default' : '*');
    }
  }
  for (const exp of stripped.module.staticExports) {
    for (const e of exp.entries) {
      if (!e.moduleRequest || e.isType) continue;
      add(e.moduleRequest.value, e.importName.kind === 'Name' ? e.importName.name : '*');
    }
  }
  for (const d of stripped.module.dynamicImports) {
    const text = js.slice(d.moduleRequest.start, d.moduleRequest.end).trim();
    const literal = /^(['"])([^'"\\]*)\1$/.exec(text) ?? /^`([^`$\\]*)`$/.exec(text);
    if (literal) add(literal[2] ?? literal[1], '*');
  }
  return out;
}

/** Bundles one exercise of the submission; returns the result line for the parent. */
async function compileOne(folder) {
  const ex = exerciseOf(folder);
  const entryFile = path.join(root, folder, ex.file);
  /** @type {Array<{ where: string, text: string, order: number }>} */
  const problems = [];
  /** importer id → its imports (student modules only) */
  const importsByModule = new Map();
  /** another exercise's folder → the contract functions of it this module imports (stubs of the oracle) */
  const stubUses = new Map();
  const relToRoot = (f) => path.relative(root, f).split(path.sep).join('/');

  const problem = (importer, source, text) => {
    const line = importsByModule.get(importer)?.get(source)?.line;
    // thousands of bad imports say nothing more than a few: stop resolving (the build fails at once)
    if (problems.length >= MAX_PROBLEMS_KEPT) throw new TooManyProblems();
    problems.push({ where: `${relToRoot(importer)}${line ? `:${line}` : ''}`, text, order: (importer === entryFile ? 0 : 1e9) + (line ?? 0) });
    return { id: source, external: true };
  };

  /** The module another exercise's main file resolves to, for this importer's names. */
  const crossModule = (importer, source, target) => {
    const names = importsByModule.get(importer)?.get(source)?.names ?? '*';
    if (mode === 'oracle') return oracleModule(importer, source, target, names);
    const contract = new Set(target.exercise.functions);
    const own = names === '*' ? ['*'] : [...names].filter((n) => !contract.has(n));
    if (own.length === 0) return `${CROSS}${target.exercise.folder}:reference`;
    if (!target.student) {
      const which = own[0] === '*' ? 'all of its exports' : own.map((n) => `'${n}'`).join(', ');
      return problem(importer, source, `imports ${which} from '${source}', but ${target.exercise.folder}/${target.exercise.file} is not in the submission (only the contract's functions, ${target.exercise.functions.slice(0, 3).join(', ')}…, come from the course)`);
    }
    return `${CROSS}${target.exercise.folder}:mixed`;
  };

  /**
   * Grading: the contract names the oracle serves are stubs (`:oracle`, with the student's file
   * beside them for any other name: `:oracle-mixed`); everything else is the student's own file.
   */
  const oracleModule = (importer, source, target, names) => {
    const stubs = new Set(served[folder]?.[target.exercise.folder] ?? []);
    const used = stubUses.get(target.exercise.folder) ?? new Set();
    for (const n of names === '*' ? stubs : names) if (stubs.has(n)) used.add(n);
    if (used.size > 0) stubUses.set(target.exercise.folder, used);
    const own = names === '*' ? ['*'] : [...names].filter((n) => !stubs.has(n));
    if (own.length === 0) return `${CROSS}${target.exercise.folder}:oracle`;
    if (!target.student) {
      const which = own[0] === '*' ? 'all of its exports' : own.map((n) => `'${n}'`).join(', ');
      const why = stubs.size > 0
        ? `only the contract's functions, ${[...stubs].slice(0, 3).join(', ')}…, come from the course`
        : `while ${folder} is graded, ${target.exercise.folder}'s functions come from your own file${target.exercise.folder === '03-initialization' ? '' : ` (its reference is built on ${folder})`}`;
      return problem(importer, source, `imports ${which} from '${source}', but ${target.exercise.folder}/${target.exercise.file} is not in the submission (${why})`);
    }
    if (stubs.size === 0) return target.student;
    return `${CROSS}${target.exercise.folder}:oracle-mixed`;
  };

  const plugin = {
    name: 'gradlab-submission-resolver',
    resolveId(source, importer) {
      if (source === ENTRY) return ENTRY;
      if (!importer || importer === ENTRY || importer.startsWith(CROSS)) return source; // ids the grader wrote
      if (source.startsWith('node:')) return { id: source, external: true };
      if (!source.startsWith('.')) {
        return problem(importer, source, `imports '${source}': a submission may only import ../lib/<module>, another exercise (../01-activations/activations) or files in its own folder`);
      }
      const wanted = path.resolve(path.dirname(importer), source);
      const course = inside(solutionsDir, importer) || inside(libDir, importer);
      const base = course ? (inside(libDir, importer) ? path.dirname(libDir) : solutionsDir) : root;
      const rel = path.relative(base, wanted);
      const [first] = rel.split(path.sep);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        if (course) return null;
        return problem(importer, source, `imports '${source}', which is outside the submission folder`);
      }
      if (first === 'lib') return resolveFile(path.join(libDir, path.relative('lib', rel))) ?? problem(importer, source, `imports '${source}', which is not one of the course's helpers (exercises/lib)`);
      const target = exerciseOf(first);
      // the graded exercise, from anywhere: the student's own file
      if (first === folder) return resolveFile(path.join(root, rel)) ?? problem(importer, source, `imports '${source}', which does not exist in the submission`);
      if (course) return target ? resolveFile(path.join(solutionsDir, rel)) : null;
      const student = resolveFile(path.join(root, rel));
      const ownFolder = relToRoot(importer).split('/')[0];
      if (target && first !== ownFolder) {
        const reference = resolveFile(path.join(solutionsDir, rel));
        if (reference && path.basename(reference) === target.file && path.dirname(path.relative(solutionsDir, reference)) === first) {
          return crossModule(importer, source, { exercise: target, student });
        }
      }
      return student ?? problem(importer, source, `imports '${source}', which does not exist in the submission`);
    },
    load(id) {
      if (id === ENTRY) {
        // the student's exports, plus the course's createRng for seeded Rng arguments (see the sandbox)
        return `export * from ${JSON.stringify(entryFile)};\nexport { createRng as __gradlabCreateRng } from ${JSON.stringify(path.join(libDir, 'rng.ts'))};\n`;
      }
      if (id.startsWith(CROSS)) {
        const [target, variant] = id.slice(CROSS.length).split(':');
        const ex = exerciseOf(target);
        if (variant.startsWith('oracle')) {
          // stubs that call out to the trusted side (child.mjs, __gradlabOracle): no reference code
          const lines = ['const oracle = globalThis.__gradlabOracle;'];
          for (const fn of served[folder]?.[target] ?? []) {
            lines.push(`export function ${fn}(...args) { return oracle(${JSON.stringify(target)}, ${JSON.stringify(fn)}, args); }`);
          }
          if (variant === 'oracle-mixed') lines.push(`export * from ${JSON.stringify(path.join(root, target, ex.file))};`);
          return lines.join('\n') + '\n';
        }
        const reference = JSON.stringify(path.join(solutionsDir, target, ex.file));
        const lines = [`export { ${ex.functions.join(', ')} } from ${reference};`];
        // explicit exports win over `export *`: the contract's names stay the reference's
        if (variant === 'mixed') lines.push(`export * from ${JSON.stringify(path.join(root, target, ex.file))};`);
        return lines.join('\n') + '\n';
      }
      if (!path.isAbsolute(id) || !(inside(root, id) || inside(libDir, id) || (mode !== 'oracle' && inside(solutionsDir, id)))) {
        throw new Error(`refused to read ${id}`);
      }
      const code = readFileSync(id, 'utf8');
      if (inside(root, id)) importsByModule.set(id, importsOf(id, code));
      return { code, moduleType: /\.[mc]?ts$/.test(id) ? 'ts' : 'js' };
    },
  };

  try {
    const bundle = await rolldown({
      input: ENTRY,
      plugins: [plugin],
      logLevel: 'silent',
      treeshake: false,
      platform: 'node',
      tsconfig: false,
    });
    const { output } = await bundle.generate({ format: 'esm', codeSplitting: false });
    const own = problems.length === 0 && mode === 'oracle' && ownExercises.has(folder) ? await ownScript(bundle) : undefined;
    await bundle.close();
    if (problems.length > 0) return problemsLine(problems, false);
    const line = { ok: true, code: withoutModuleMarks(output[0]), ...(mode === 'oracle' ? { uses: usesOf(stubUses) } : {}) };
    return own === undefined ? line : { ...line, own };
  } catch (err) {
    if (problems.length > 0) return problemsLine(problems, problems.length >= MAX_PROBLEMS_KEPT);
    return { ok: false, kind: 'syntax', message: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The chunk's code without rolldown's module marks: a line `// <the module's path from the working
 * folder>` (indented in a script) where each module starts. For the course's exercises/lib that path
 * runs up to where the grader is installed, which the student's code could read from its own source;
 * each mark becomes an empty line, so line numbers stay as they were.
 */
function withoutModuleMarks(chunk) {
  const marks = new Set(chunk.moduleIds.map((id) => `// ${path.relative(process.cwd(), id)}`));
  return chunk.code.split('\n').map((line) => (marks.has(line.trim()) ? '' : line)).join('\n');
}

/** The stubs a module imports, by exercise (the trusted side offers the student's own of those only). */
function usesOf(stubUses) {
  return Object.fromEntries([...stubUses].map(([target, names]) => [target, [...names].sort()]));
}

/**
 * The same bundle as a plain script that leaves its exports in `var __gradlabOwnExports`, for a
 * realm of its own in another exercise's child; none where it cannot be one (top-level await):
 * the reference then answers for all of that exercise.
 */
async function ownScript(bundle) {
  try {
    const { output } = await bundle.generate({ format: 'iife', name: '__gradlabOwnExports', codeSplitting: false });
    return withoutModuleMarks(output[0]);
  } catch {
    return undefined;
  }
}

/** The result line for imports that do not resolve: the first few in source order, and how many more. */
function problemsLine(problems, cut) {
  problems.sort((a, b) => a.order - b.order); // rolldown resolves in parallel: report in source order
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `${p.where} ${p.text}`);
  const rest = problems.length - shown.length;
  const more = rest > 0 ? `; and ${cut ? 'more than ' : ''}${rest} more imports like these` : '';
  return { ok: false, kind: 'imports', message: shown.join('; ') + more };
}

/**
 * The oracle's own module: every served exercise's reference, its contract functions exported as
 * oracle$<folder>$<name> (client.ts, oracleExport), imports between references resolved to the
 * references and `../lib` to the course's exercises/lib. It runs in a sandbox of its own, never
 * beside student code.
 */
async function bundleReference() {
  const lines = request.bundle.map((ex) => {
    const names = ex.functions.map((fn) => `${fn} as oracle$${ex.folder.replace(/[^A-Za-z0-9]/g, '_')}$${fn}`);
    return `export { ${names.join(', ')} } from ${JSON.stringify(path.join(solutionsDir, ex.folder, ex.file))};`;
  });
  lines.push(`export { createRng as __gradlabCreateRng } from ${JSON.stringify(path.join(libDir, 'rng.ts'))};`);
  const plugin = {
    name: 'gradlab-reference',
    resolveId(source, importer) {
      if (source === ENTRY) return ENTRY;
      if (!importer || importer === ENTRY) return source;
      if (!source.startsWith('.')) return null;
      const wanted = path.resolve(path.dirname(importer), source);
      if (inside(libDir, importer)) return resolveFile(wanted);
      const rel = path.relative(solutionsDir, wanted);
      if (rel.split(path.sep)[0] === 'lib') return resolveFile(path.join(libDir, path.relative('lib', rel)));
      return resolveFile(wanted);
    },
    load(id) {
      if (id === ENTRY) return lines.join('\n') + '\n';
      if (!path.isAbsolute(id) || !(inside(libDir, id) || inside(solutionsDir, id))) throw new Error(`refused to read ${id}`);
      return { code: readFileSync(id, 'utf8'), moduleType: /\.[mc]?ts$/.test(id) ? 'ts' : 'js' };
    },
  };
  try {
    const bundle = await rolldown({ input: ENTRY, plugins: [plugin], logLevel: 'silent', treeshake: false, platform: 'node', tsconfig: false });
    const { output } = await bundle.generate({ format: 'esm' });
    await bundle.close();
    return { ok: true, code: output[0].code };
  } catch (err) {
    return { ok: false, kind: 'syntax', message: err instanceof Error ? err.message : String(err) };
  }
}

if (mode === 'bundle') {
  process.stdout.write(JSON.stringify({ folder: jobs[0], ...(await bundleReference()) }) + '\n');
} else {
  for (const folder of jobs) {
    process.stdout.write(JSON.stringify({ folder, ...(await compileOne(folder)) }) + '\n');
  }
}
