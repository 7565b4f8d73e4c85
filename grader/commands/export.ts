/**
 * `gradlab export <dir>`: writes the student template repository (the one GitHub Classroom hands
 * out) from this course repository's committed tree (HEAD), the way otter-grader builds the
 * student copy: exercises/ with its stubs, READMEs, public tests, helpers and manifest; a
 * package.json and a lock file so that `npm ci` installs exactly the course's tested versions;
 * the check and hint commands bundled into scripts/ (so nothing resolves to the npm registry);
 * the lab (grader/lab/template.ts); the Classroom feedback workflow; a README. Nothing from
 * solutions/, grader/suites/, fixtures/ or test/.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rolldown } from 'rolldown';
import { CliError } from '../errors.js';
import { committedTree } from '../export/git.js';
import { studentWorkflow } from '../export/workflow.js';
import { TEMPLATE_LAB_PACKAGES, writeTemplateLab } from '../lab/template.js';
import type { Manifest } from '../manifest.js';
import { enginesRange, RECOMMENDED_NODE_LINE, SUPPORTED_NODE } from '../node-support.js';
import { ROOT } from '../paths.js';
import { removeTempFolder } from '../temp-folders.js';

/**
 * What the template is built from: everything else in the course stays out of the snapshot.
 * solutions/ is read only by the lab's reference curves (lab/reference.json), never copied.
 */
const FROM_HEAD = ['exercises', 'grader', 'solutions', 'package.json', 'package-lock.json'];

function studentPackageJson(course: { dependencies: Record<string, string>; devDependencies: Record<string, string> }): string {
  const pin = (name: string) => course.dependencies[name] ?? course.devDependencies[name];
  return JSON.stringify({
    name: 'gradlab-student',
    private: true,
    type: 'module',
    engines: { node: enginesRange() },
    scripts: { test: 'vitest run exercises', check: 'node scripts/gradlab.mjs check', hint: 'node scripts/gradlab.mjs hint', lab: 'node lab/lab.mjs', typecheck: 'tsc --noEmit' },
    devDependencies: Object.fromEntries(['@types/node', 'typescript', 'vite', 'vitest', ...TEMPLATE_LAB_PACKAGES].sort().map((name) => [name, pin(name)])),
  }, null, 2) + '\n';
}

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022'], types: ['node'],
    strict: true, verbatimModuleSyntax: true, skipLibCheck: true, noEmit: true,
  },
  include: ['exercises'],
}, null, 2) + '\n';

export function studentReadme(m: Manifest): string {
  const rows = m.exercises.map((e, i) => `| ${i + 1} | [\`exercises/${e.folder}\`](exercises/${e.folder}/README.md) | ${e.title} | ${e.points} |`);
  return [
    `# ${m.course}`,
    '',
    'Your copy of the course. Each folder under `exercises/` teaches one idea in its README, gives',
    'you a stub to fill in (every function throws `NotImplementedError` until you write it) and',
    'public tests beside it. The helpers you should not have to write are in `exercises/lib/`.',
    '',
    '| # | exercise | topic | points |',
    '|---|----------|-------|-------:|',
    ...rows,
    '',
    `You need Node.js ${SUPPORTED_NODE.map((l) => (l.from.endsWith('.0.0') ? String(l.line) : `${l.from.replace(/\.0$/, '')} or later`)).join(', ').replace(/, (?=[^,]*$)/, ' or ')}`
      + ` (Node.js ${RECOMMENDED_NODE_LINE} is best): on any other, the check, hint and lab commands say so and stop.`,
    '',
    '```sh',
    'npm ci                                   # once: installs the exact versions of package-lock.json',
    'npm run check                            # progress over all exercises, each failing test, next step',
    'npm run check -- --watch                 # the same, again each time you save',
    'npx vitest run exercises/01-activations  # one exercise\'s public tests',
    'npm test                                 # all public tests',
    'npm run hint -- 02                       # hints for exercise 02, as questions',
    'npm run lab                              # your code\'s gradients, activations and dead units, per layer',
    'npm run lab -- 02 --html lab-report      # the same drawn as plots in lab-report/index.html',
    '```',
    '',
    'Each push runs the public tests on GitHub ("Autograding Tests"): Classroom shows one point per',
    'exercise whose public tests pass. One mistake costs one point: an exercise whose tests fail only',
    'because a function it imports from another exercise fails there keeps its point, and its step',
    'says which exercise to fix first. That is feedback, not your grade: the course staff grade',
    'your last push before the deadline with hidden tests that use other inputs, check each backward',
    'pass against finite differences of your own forward pass and replay the phenomena of each',
    'exercise; your report then appears as a comment on the graded commit. Keep the file and',
    'function names of the stubs: the grader imports them by name. Your code runs in a sandbox with',
    'no file system access.',
    '',
  ].join('\n');
}

/** Every file the template holds, relative to its root (for the tests and the summary line). */
export function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? listFiles(p, base) : [path.relative(base, p)];
  }).sort();
}

/** Bundles HEAD's student-cli.ts (check and hint) and check's watchdog into the template's scripts/. */
async function bundleStudentCli(head: string, target: string): Promise<void> {
  const bundle = await rolldown({
    input: { gradlab: path.join(head, 'grader', 'student-cli.ts'), watchdog: path.join(head, 'grader', 'check', 'watchdog.ts') },
    platform: 'node',
    external: [/^node:/, /^vitest(\/|$)/],
    resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
    // paths.ts's unused folder constants (the grader's own layout) are dropped, not shipped
    treeshake: { manualPureFunctions: ['path.join'] },
    logLevel: 'silent',
  });
  try {
    await bundle.write({ dir: path.join(target, 'scripts'), format: 'esm', entryFileNames: (c) => (c.name === 'gradlab' ? '[name].mjs' : '[name].js'), chunkFileNames: '[name].js' });
  } finally {
    await bundle.close();
  }
}

/** package-lock.json for the template: the course's lock pruned by npm to the template's dependencies, offline. */
function writeLockFile(lock: string, target: string): void {
  cpSync(lock, path.join(target, 'package-lock.json'));
  const npmCli = process.env.npm_execpath && /\.c?js$/.test(process.env.npm_execpath) ? process.env.npm_execpath : null;
  const args = ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'];
  const r = npmCli
    ? spawnSync(process.execPath, [npmCli, ...args], { cwd: target, encoding: 'utf8' })
    : spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd: target, encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    throw new CliError('E_USAGE', `could not write the template's package-lock.json with npm (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}): is npm on your PATH?`);
  }
}

export interface ExportResult { files: string[]; head: string; uncommitted: string[] }

export async function exportTemplate(target: string, root = ROOT): Promise<ExportResult> {
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new CliError('E_USAGE', `'${target}' is not empty: export into a new or empty folder`);
  }
  const tree = committedTree(root, FROM_HEAD);
  try {
    const manifest = JSON.parse(readFileSync(path.join(tree.dir, 'exercises', 'exercises.json'), 'utf8')) as Manifest;
    const course = JSON.parse(readFileSync(path.join(tree.dir, 'package.json'), 'utf8'));
    mkdirSync(target, { recursive: true });
    cpSync(path.join(tree.dir, 'exercises'), path.join(target, 'exercises'), { recursive: true });
    mkdirSync(path.join(target, '.github', 'workflows'), { recursive: true });
    writeFileSync(path.join(target, '.github', 'workflows', 'classroom.yml'), studentWorkflow(manifest));
    writeFileSync(path.join(target, 'package.json'), studentPackageJson(course));
    writeFileSync(path.join(target, 'tsconfig.json'), TSCONFIG);
    writeFileSync(path.join(target, 'README.md'), studentReadme(manifest));
    writeFileSync(path.join(target, '.gitignore'), 'node_modules/\nlab-report/\n');
    await bundleStudentCli(tree.dir, target);
    await writeTemplateLab(target, tree.dir);
    writeLockFile(path.join(tree.dir, 'package-lock.json'), target);
    return { files: listFiles(target), head: tree.head, uncommitted: tree.uncommitted };
  } finally {
    removeTempFolder(tree.dir);
  }
}

const USAGE = `Usage: gradlab export <folder> [--from <course>]

Writes the student template repository (exercises, public tests, check and hint, a lock file,
the Classroom feedback workflow) from the committed tree (HEAD) of the course into a new folder;
nothing from solutions/, grader/suites/, fixtures/ or test/ goes into it.
  --from <course>   the course's git checkout (default: the course this grader belongs to)
`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { from: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    throw new CliError('E_USAGE', `${(err as Error).message}. See \`gradlab export --help\`.`);
  }
  const [target, ...extra] = parsed.positionals;
  if (parsed.values.help || !target || extra.length > 0) {
    process.stdout.write(USAGE);
    return parsed.values.help ? 0 : 2;
  }
  const { files, head, uncommitted } = await exportTemplate(path.resolve(target), parsed.values.from ? path.resolve(parsed.values.from) : ROOT);
  if (uncommitted.length > 0) {
    const shown = uncommitted.slice(0, 5).join(', ') + (uncommitted.length > 5 ? `, and ${uncommitted.length - 5} more` : '');
    process.stderr.write(`gradlab: warning: uncommitted changes (${shown}) are NOT in the template: it was written from the last commit, ${head}. Commit them and export again if they belong in it.\n`);
  }
  process.stdout.write(`Wrote ${files.length} files from commit ${head} to ${target}. Next: push it as the template repository of your GitHub Classroom assignment.\n`);
  return 0;
}
