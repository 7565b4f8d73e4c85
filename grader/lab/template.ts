/**
 * The lab in the student template (`gradlab export`): template-main.ts bundled into one file,
 * lab/lab.mjs, with the grader's paths replaced by the template's own (the sandbox child ships as
 * lab/child.mjs); the reference's curves, from the lab's own seeds, saved as lab/reference.json.
 * vega, vega-lite, sparkly and rolldown stay packages, pinned in the template's package.json.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rolldown } from 'rolldown';
import { ROOT, SOLUTIONS_DIR } from '../paths.js';
import { compileExercise } from '../sandbox/compile.js';
import type { Finding } from './experiments.js';
import { runLab } from './run.js';
import { encodeFindings } from './saved.js';

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
`;

async function bundle(root: string): Promise<string> {
  const grader = path.join(root, 'grader');
  const build = await rolldown({
    input: path.join(grader, 'lab', 'template-main.ts'),
    platform: 'node',
    logLevel: 'silent',
    external: (id) => id.startsWith('node:') || TEMPLATE_LAB_PACKAGES.some((p) => id === p || id.startsWith(`${p}/`)),
    plugins: [{
      name: 'gradlab-template-paths',
      resolveId(source, importer) {
        if (source === PATHS_ID) return PATHS_ID;
        if (!importer || !source.startsWith('.')) return null;
        const ts = path.resolve(path.dirname(importer), source).replace(/\.js$/, '.ts');
        return ts === path.join(grader, 'paths.ts') ? PATHS_ID : null;
      },
      load: (id) => (id === PATHS_ID ? TEMPLATE_PATHS : null),
    }],
  });
  const { output } = await build.generate({ format: 'esm', codeSplitting: false, comments: false });
  await build.close();
  return `// The gradlab lab (npm run lab), built by \`gradlab export\` from the course's grader/lab/.\n${output[0].code}`;
}

/**
 * Writes lab/lab.mjs, lab/child.mjs and lab/reference.json into the template at `target`; the code
 * from the course at `root` (the export passes its committed tree, so the template holds what was
 * committed).
 */
export async function writeTemplateLab(target: string, root = ROOT): Promise<void> {
  const dir = path.join(target, 'lab');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'lab.mjs'), await bundle(root));
  copyFileSync(path.join(root, 'grader', 'sandbox', 'child.mjs'), path.join(dir, 'child.mjs'));
  const reference: Record<string, Finding> = {};
  // the reference runs from the course's own solutions/: the intake refuses a folder inside a tree
  // that holds a grader, as the committed tree does
  for (const o of await runLab({ dir: SOLUTIONS_DIR, compile: compileExercise, reference: null })) {
    // the reference must run: a template whose lab compares with nothing would hide it
    if (o.mine instanceof Error) throw new Error(`the lab's ${o.experiment.id} experiment does not run on the reference solutions: ${o.mine.message}`);
    if (o.experiment.comparable) reference[o.experiment.id] = o.mine;
  }
  writeFileSync(path.join(dir, 'reference.json'), encodeFindings(reference));
}
