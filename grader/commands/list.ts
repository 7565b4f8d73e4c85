/** `gradlab list`: the exercises, their points and their graded tests, from the manifest. */
import { loadManifest } from '../manifest.js';

export async function run(_argv: string[]): Promise<number> {
  const m = loadManifest();
  const lines: string[] = [m.course, ''];
  for (const ex of m.exercises) {
    lines.push(`${ex.slug.padEnd(18)} ${String(ex.points).padStart(3)} pts  ${ex.title}`);
    for (const t of ex.tests) lines.push(`    ${String(t.points).padStart(5)}  ${t.visibility.padEnd(14)} ${t.id}`);
  }
  const total = m.exercises.reduce((a, e) => a + e.points, 0);
  lines.push('', `Total: ${total} points. Start with \`npm run check\`.`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
