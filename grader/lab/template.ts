/**
 * The lab in the student template (`gradlab export`): template-main.ts bundled into one file,
 * lab/main.mjs, with the grader's paths replaced by the template's own (the sandbox child ships as
 * lab/child.mjs, with lab/codec.mjs), started by lab/lab.mjs (template-entry.ts: the Node check, bundled alone); the reference's curves, from the lab's own seeds, saved as lab/reference.json.
 * vega, vega-lite, sparkly and rolldown stay packages, pinned in the template's package.json.
 *
 * The reference comes from the same tree as the rest of the template (the export passes HEAD's
 * files), computed by the lab code the template ships: a small entry bundled from that tree's
 * grader/lab exactly as main.mjs is, run in a child process on that tree's solutions/, compiled as
 * the template compiles (imports resolved as written: the tree's own solutions and lib). A solution,
 * a lib file or an experiment edited in the working tree and not committed never reaches
 * reference.json.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { rolldown } from 'rolldown';
import { CliError } from '../errors.js';
import { ROOT } from '../paths.js';
import { makeTempFolder, removeTempFolder } from '../temp-folders.js';

/** The packages lab/lab.mjs imports: the template's package.json pins them to the course's versions. */
export const TEMPLATE_LAB_PACKAGES = ['rolldown', 'sparkly', 'vega', 'vega-lite'];

const PATHS_ID = '\0gradlab-template-paths';
// the template's layout: <root>/lab/lab.mjs, <root>/exercises; no solutions, suites or fixtures
const TEMPLATE_PATHS = `import path from 'node:path';
import { fileURLToPath } from 'node:url';
export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const EXERCISES_DIR = path.join(ROOT, 'exercises');
export const LIB_DIR = path.join(EXERCISES_DIR, 'lib');
export const SOLUTIONS_DIR = path.join(ROOT, 'no-reference-in-the-template');
export const SUITES_DIR = SOLUTIONS_DIR;
export const CHILD_SCRIPT = path.join(ROOT, 'lab', 'child.mjs');
export const CODEC_SCRIPT = path.join(ROOT, 'lab', 'codec.mjs');
`;

/** A module given as text, bundled in place of template-main.ts. */
interface Entry { id: string; code: string }

/** Bundles `entry`, or the file grader/lab/`file` of the tree at `root`, into one ES module. */
async function bundle(root: string, entry: Entry | null = null, file = 'template-main.ts'): Promise<string> {
  const grader = path.join(root, 'grader');
  const build = await rolldown({
    input: entry?.id ?? path.join(grader, 'lab', file),
    platform: 'node',
    logLevel: 'silent',
    external: (id) => id.startsWith('node:') || TEMPLATE_LAB_PACKAGES.some((p) => id === p || id.startsWith(`${p}/`)),
    plugins: [{
      name: 'gradlab-template-paths',
      resolveId(source, importer) {
        if (source === PATHS_ID || source === entry?.id) return source;
        if (!importer || !source.startsWith('.')) return null;
        const ts = path.resolve(path.dirname(importer), source).replace(/\.js$/, '.ts');
        return ts === path.join(grader, 'paths.ts') ? PATHS_ID : null;
      },
      load: (id) => (id === PATHS_ID ? TEMPLATE_PATHS : id === entry?.id ? entry.code : null),
    }],
  });
  const { output } = await build.generate({ format: 'esm', codeSplitting: false, comments: false });
  await build.close();
  return `// The gradlab lab (npm run lab), built by \`gradlab export\` from the course's grader/lab/.\n${output[0].code}`;
}

/** Prints the reference's findings on the folder named by argv[2], as lab/reference.json holds them. */
function referenceEntry(root: string): Entry {
  const lab = (file: string) => JSON.stringify(path.join(root, 'grader', 'lab', file));
  return {
    id: '\0gradlab-reference-main',
    code: `import { runLab } from ${lab('run.ts')};
import { compileOwn } from ${lab('compile-own.ts')};
import { encodeFindings } from ${lab('saved.ts')};
const found = {};
for (const o of await runLab({ dir: process.argv[2], compile: compileOwn, reference: null })) {
  // the reference must run: a template whose lab compares with nothing would hide it
  if (o.mine instanceof Error) throw new Error(\`the lab's \${o.experiment.id} experiment does not run on the reference solutions: \${o.mine.message}\`);
  if (o.experiment.comparable) found[o.experiment.id] = o.mine;
}
process.stdout.write(encodeFindings(found));
`,
  };
}

/**
 * lab/reference.json for the tree at `root`: its reference entry bundled and run in a child, laid
 * out as a template (lab/ with the sandbox child, the tree's exercises/ for the manifest, and the
 * grader's own node_modules for rolldown, which the template's compiler imports).
 */
async function referenceFindings(root: string): Promise<string> {
  const work = makeTempFolder('gradlab-reference-');
  try {
    mkdirSync(path.join(work, 'lab'));
    const main = path.join(work, 'lab', 'reference-main.mjs');
    writeFileSync(main, await bundle(root, referenceEntry(root)));
    for (const f of ['child.mjs', 'codec.mjs']) copyFileSync(path.join(root, 'grader', 'sandbox', f), path.join(work, 'lab', f));
    symlinkSync(path.join(root, 'exercises'), path.join(work, 'exercises'));
    const rolldownPackage = createRequire(path.join(ROOT, 'package.json')).resolve('rolldown/package.json');
    symlinkSync(path.dirname(path.dirname(rolldownPackage)), path.join(work, 'node_modules'));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [main, path.join(root, 'solutions')], { maxBuffer: 1 << 28, encoding: 'utf8' });
      return stdout;
    } catch (err) {
      const said = ((err as { stderr?: string }).stderr ?? '').trim().split('\n').filter((l) => /Error/.test(l)).pop() ?? (err as Error).message;
      throw new CliError('E_USAGE', `the lab's reference curves could not be computed from the committed solutions/ (${said}): fix the reference solutions and commit them, then export again`);
    }
  } finally {
    removeTempFolder(work);
  }
}

/**
 * Writes lab/lab.mjs (the Node check, template-entry.ts), lab/main.mjs (the lab), lab/child.mjs and
 * lab/reference.json into the template at `target`, all from
 * the course tree at `root` (the export passes its committed tree, so the template holds what was
 * committed).
 */
export async function writeTemplateLab(target: string, root: string): Promise<void> {
  const dir = path.join(target, 'lab');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'lab.mjs'), await bundle(root, null, 'template-entry.ts'));
  writeFileSync(path.join(dir, 'main.mjs'), await bundle(root));
  // the sandbox child and the message encoding it shares with main.mjs
  for (const f of ['child.mjs', 'codec.mjs']) copyFileSync(path.join(root, 'grader', 'sandbox', f), path.join(dir, f));
  writeFileSync(path.join(dir, 'reference.json'), await referenceFindings(root));
}
