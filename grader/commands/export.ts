/**
 * `gradlab export <dir>`: writes the student template repository (the one GitHub Classroom hands
 * out) from this course repository, the way otter-grader builds the student copy: exercises/ with
 * its stubs, READMEs, public tests, helpers and manifest; a package.json that runs the public
 * tests; the Classroom workflow; a README. Nothing from solutions/, grader/, fixtures/ or test/.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { TEMPLATE_LAB_PACKAGES, writeTemplateLab } from '../lab/template.js';
import { loadManifest } from '../manifest.js';
import { ROOT } from '../paths.js';

const HINT_SCRIPT = `#!/usr/bin/env node
// npm run hint -- <exercise>: the hints of an exercise, from exercises/exercises.json.
import { readFileSync } from 'node:fs';

const { exercises } = JSON.parse(readFileSync(new URL('./exercises/exercises.json', import.meta.url), 'utf8'));
const wanted = process.argv[2] ?? '';
const ex = exercises.find((e) => e.slug === wanted || e.slug.startsWith(wanted.padStart(2, '0') + '-') || e.slug.endsWith('-' + wanted));
if (!wanted || !ex) {
  console.error(\`Which exercise? npm run hint -- <exercise>, one of \${exercises.map((e) => e.slug).join(', ')}\`);
  process.exit(2);
}
console.log(\`Hints for \${ex.slug} (\${ex.title}):\`);
ex.hints.forEach((h, i) => console.log(\`  \${i + 1}. \${h}\`));
console.log(\`\\nRead exercises/\${ex.folder}/README.md, then run \\\`npx vitest run exercises/\${ex.folder}\\\`.\`);
`;

function studentPackageJson(): string {
  const course = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const pin = (name: string) => course.dependencies[name] ?? course.devDependencies[name];
  return JSON.stringify({
    name: 'gradlab-student',
    private: true,
    type: 'module',
    engines: { node: '>=20' },
    scripts: { test: 'vitest run exercises', check: 'vitest run exercises', hint: 'node hint.mjs', lab: 'node lab/lab.mjs', typecheck: 'tsc --noEmit' },
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

function studentReadme(): string {
  const m = loadManifest();
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
    '```sh',
    'npm install                          # once',
    'npx vitest run exercises/01-activations   # one exercise\'s public tests',
    'npm test                             # all public tests',
    'npm run hint -- 02                   # hints for exercise 02, as questions',
    'npm run lab                          # your code\'s gradients, activations and dead units, per layer',
    'npm run lab -- 02 --html lab-report  # the same drawn as plots in lab-report/index.html',
    '```',
    '',
    'Every push is graded by hidden tests (GitHub Actions, "Autograding Tests"): they use other',
    'inputs, check each backward pass against finite differences of your own forward pass, and',
    'replay the phenomena of each exercise. Keep the file and function names of the stubs: the',
    'grader imports them by name. Your code runs in a sandbox with no file system access.',
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

export async function exportTemplate(target: string): Promise<string[]> {
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new CliError('E_USAGE', `'${target}' is not empty: export into a new or empty folder`);
  }
  mkdirSync(target, { recursive: true });
  cpSync(path.join(ROOT, 'exercises'), path.join(target, 'exercises'), { recursive: true, dereference: true });
  mkdirSync(path.join(target, '.github', 'workflows'), { recursive: true });
  cpSync(path.join(ROOT, '.github', 'workflows', 'classroom.yml'), path.join(target, '.github', 'workflows', 'classroom.yml'));
  writeFileSync(path.join(target, 'package.json'), studentPackageJson());
  writeFileSync(path.join(target, 'tsconfig.json'), TSCONFIG);
  writeFileSync(path.join(target, 'README.md'), studentReadme());
  writeFileSync(path.join(target, 'hint.mjs'), HINT_SCRIPT);
  writeFileSync(path.join(target, '.gitignore'), 'node_modules/\nlab-report/\n');
  await writeTemplateLab(target);
  return listFiles(target);
}

export async function run(argv: string[]): Promise<number> {
  const target = argv.find((a) => !a.startsWith('-'));
  if (!target || argv.includes('--help')) {
    process.stdout.write('Usage: gradlab export <folder>\n\nWrites the student template repository (exercises, public tests, the Classroom workflow)\ninto a new folder; nothing from solutions/, grader/, fixtures/ or test/ goes into it.\n');
    return target ? 0 : 2;
  }
  const files = await exportTemplate(path.resolve(target));
  process.stdout.write(`Wrote ${files.length} files to ${target}. Next: push it as the template repository of your GitHub Classroom assignment.\n`);
  return 0;
}
