/** `gradlab hint <exercise>`: the manifest's hints, one at a time as questions. */
import { CliError } from '../errors.js';
import { findExercise, loadManifest } from '../manifest.js';

export async function run(argv: string[]): Promise<number> {
  const slug = argv[0];
  const slugs = loadManifest().exercises.map((e) => e.slug);
  if (!slug || slug.startsWith('-')) {
    throw new CliError('E_USAGE', `which exercise? \`npm run hint -- <exercise>\` with one of ${slugs.join(', ')}`);
  }
  // accept '2', '02' or 'backprop' as well as '02-backprop'
  const match = slugs.find((s) => s === slug || s.startsWith(slug.padStart(2, '0') + '-') || s.endsWith('-' + slug));
  if (!match) throw new CliError('E_UNKNOWN_EXERCISE', `unknown exercise '${slug}': use one of ${slugs.join(', ')}`);
  const ex = findExercise(match);
  const lines = [`Hints for ${ex.slug} (${ex.title}):`, ...ex.hints.map((h, i) => `  ${i + 1}. ${h}`), '',
    `Read exercises/${ex.folder}/README.md, then run \`npx vitest run exercises/${ex.folder}\`.`];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
