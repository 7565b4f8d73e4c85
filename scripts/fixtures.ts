/**
 * npm run fixtures                 regenerate fixtures/NN-slug/*.json from solutions/ (fixed seeds)
 * npm run fixtures -- --check      regenerate in memory; exit 1 naming file and JSON path of each difference
 * npm run fixtures -- --check --dir <folder>   compare another copy of fixtures/ (used by the tests)
 */
import path from 'node:path';
import { checkFixtures, formatCheck, writeFixtures } from './fixtures/check';

function usage(problem: string): never {
  console.error(`fixtures: ${problem}; usage: npm run fixtures [-- --check [--dir <folder>]]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let check = false;
let dir: string | undefined;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--check') check = true;
  else if (args[i] === '--dir' && args[i + 1]) dir = path.resolve(args[++i]);
  else usage(`unknown argument ${args[i]}`);
}
if (dir && !check) usage('--dir works with --check only');

const started = performance.now();
if (check) {
  const result = await checkFixtures({ dir });
  console.log(formatCheck(result));
  process.exit(result.ok ? 0 : 1);
} else {
  const { written, unchanged, removed } = await writeFixtures();
  for (const f of written) console.log(`  wrote   fixtures/${f}`);
  for (const f of removed) console.log(`  removed fixtures/${f}`);
  console.log(`fixtures: ${written.length} written, ${unchanged.length} unchanged, ${removed.length} removed in ${Math.round(performance.now() - started)} ms`);
}
