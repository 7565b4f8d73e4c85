/**
 * npm run measure               re-measure the README numbers over seeds 1…300 with the course's own
 *                               code and write scripts/measure/measurements.json (per-seed values)
 * npm run measure -- --check    measure again in memory; exit 1 naming each series that differs
 *
 * Prints, for each phenomenon the exercise READMEs describe, the range over the seeds. The READMEs
 * quote these ranges; test/readme-claims.test.ts checks every README number against this file and
 * re-measures a spread of its seeds, so the file cannot drift from the code either.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { MEASUREMENTS_FILE, measureAll, summary, type Measurements } from './measure/phenomena';

const args = process.argv.slice(2);
const check = args.includes('--check');
if (args.some((a) => a !== '--check')) {
  console.error(`measure: unknown argument ${args.find((a) => a !== '--check')}; usage: npm run measure [-- --check]`);
  process.exit(2);
}

const got = await measureAll();
const g = (x: number) => x.toPrecision(3);
for (const [name, values] of Object.entries(got.series)) {
  const s = summary(values);
  console.log(`${name.padEnd(34)} n ${String(s.n).padStart(3)}  min ${g(s.min)}  median ${g(s.median)}  max ${g(s.max)}`);
}
for (const [name, v] of Object.entries(got.single)) console.log(`${name.padEnd(34)} ${v}`);

if (check) {
  const stored = JSON.parse(readFileSync(MEASUREMENTS_FILE, 'utf8')) as Measurements;
  const differ = [...Object.keys(got.series), ...Object.keys(stored.series)].filter((k, i, all) => all.indexOf(k) === i)
    .filter((k) => JSON.stringify(got.series[k]) !== JSON.stringify(stored.series[k]))
    .concat(Object.keys({ ...got.single, ...stored.single }).filter((k) => got.single[k] !== stored.single[k]));
  if (differ.length) {
    console.error(`measure --check: ${differ.join(', ')} differ from ${MEASUREMENTS_FILE}; run npm run measure and review the READMEs`);
    process.exit(1);
  }
  console.log('measure --check: the stored measurements are what the code gives');
} else {
  writeFileSync(MEASUREMENTS_FILE, `${JSON.stringify(got, null, 1)}\n`);
  console.log(`wrote ${MEASUREMENTS_FILE}`);
}
