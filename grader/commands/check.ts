/**
 * `gradlab check [exercise]`: runs the public tests beside each exercise (your own files, in this
 * repo) and shows progress the way rustlings does, with the next step to take. It runs your code
 * in-process, like `npx vitest run` does: it is for you, not for grading.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { loadManifest } from '../manifest.js';
import { quietStreams } from '../quiet.js';

interface ExerciseProgress { slug: string; passed: number; total: number; notStarted: boolean }

export function progressBar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${filled < width ? '>' : ''}${'-'.repeat(Math.max(0, width - filled - 1))}]`;
}

export function renderProgress(progress: ExerciseProgress[]): string {
  const lines = progress.map((p) => {
    const mark = p.total > 0 && p.passed === p.total ? '✓' : p.notStarted ? '·' : '✗';
    const state = p.total === 0 ? 'no public tests found' : p.notStarted ? 'not started' : `${p.passed}/${p.total} public tests pass`;
    return `  ${mark} ${p.slug.padEnd(18)} ${state}`;
  });
  const done = progress.filter((p) => p.total > 0 && p.passed === p.total).length;
  lines.push('', `Progress: ${progressBar(done, progress.length)} ${done}/${progress.length}`);
  const next = progress.find((p) => !(p.total > 0 && p.passed === p.total));
  lines.push(next
    ? `Next exercise: ${next.slug}. Read exercises/${next.slug}/README.md; stuck? \`npx gradlab hint ${next.slug}\`.`
    : 'Every public test passes. The hidden suites check more: push your work to be graded.');
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const root = process.cwd();
  const all = loadManifest().exercises;
  const wanted = argv.filter((a) => !a.startsWith('-'));
  for (const w of wanted) if (!all.some((e) => e.slug === w)) throw new CliError('E_UNKNOWN_EXERCISE', `unknown exercise '${w}': use one of ${all.map((e) => e.slug).join(', ')}`);
  const exercises = wanted.length ? all.filter((e) => wanted.includes(e.slug)) : all;
  const files = exercises.map((e) => path.join(root, 'exercises', e.folder, e.file.replace(/\.ts$/, '.test.ts')));
  if (!files.some((f) => existsSync(f))) {
    throw new CliError('E_USAGE', `no public tests under ${path.join(root, 'exercises')}: run \`npx gradlab check\` from the top of your course repository`);
  }
  const { createVitest } = await import('vitest/node');
  const exitCode = process.exitCode;
  const vitest = await createVitest('test', { root, config: false, watch: false, reporters: [{}], pool: 'forks', coverage: { enabled: false } }, {}, quietStreams());
  const progress: ExerciseProgress[] = [];
  try {
    const project = vitest.getRootProject();
    await vitest.runTestSpecifications(files.filter((f) => existsSync(f)).map((f) => project.createSpecification(f)));
    const modules = vitest.state.getTestModules();
    exercises.forEach((ex, i) => {
      const mod = modules.find((m) => path.resolve(m.moduleId) === files[i]);
      const tests = mod ? [...mod.children.allTests()] : [];
      const passed = tests.filter((t) => t.result().state === 'passed').length;
      const notStarted = tests.length > 0 && tests.every((t) => (t.result().errors ?? []).some((e) => /NotImplementedError|is not implemented yet/.test(`${e.name ?? ''} ${e.message ?? ''}`)));
      progress.push({ slug: ex.slug, passed, total: tests.length, notStarted });
    });
  } finally {
    await vitest.close();
    process.exitCode = exitCode;
  }
  process.stdout.write(renderProgress(progress) + '\n');
  return 0;
}
