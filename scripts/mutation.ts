/**
 * npm run mutation                          mutate every exercise's reference solution and grade each mutant
 * npm run mutation -- -e 06-dead-neurons    one exercise (repeat -e for more); --concurrency N (default 2)
 * npm run mutation -- --check-only          re-check the last report (reports/mutation/mutation.json)
 *
 * StrykerJS (stryker.config.mjs) mutates solutions/; scripts/mutation/grade-mutant.mjs grades
 * each mutant with the hidden suites. Prints a Markdown table per exercise and exits 1 unless
 * every mutant is killed or listed in docs/equivalent-mutants.json (docs/mutation.md).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { checkSurvivors, mutationScore, type EquivalentMutant, type MutationReport } from './mutation/survivors';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reportFile = path.join(root, 'reports', 'mutation', 'mutation.json');
const graderErrors = path.join(root, 'reports', 'mutation', 'grader-errors.log');
const { exercises } = JSON.parse(readFileSync(path.join(root, 'exercises', 'exercises.json'), 'utf8')) as { exercises: { slug: string; folder: string; file: string }[] };

function usage(problem: string): never {
  console.error(`mutation: ${problem}; usage: npm run mutation [-- [-e <exercise>]… [--concurrency N] [--check-only]]`);
  process.exit(2);
}

let args: { exercise?: string[]; concurrency?: string; 'check-only'?: boolean };
try {
  args = parseArgs({ options: { exercise: { type: 'string', short: 'e', multiple: true }, concurrency: { type: 'string' }, 'check-only': { type: 'boolean' } } }).values;
} catch (err) {
  usage((err as Error).message.split(/\.\s/)[0]);
}
const slugs = args.exercise ?? exercises.map((e) => e.slug);
for (const s of slugs) if (!exercises.some((e) => e.slug === s)) usage(`unknown exercise '${s}' (one of ${exercises.map((e) => e.slug).join(', ')})`);
const concurrency = args.concurrency === undefined ? undefined : Number(args.concurrency);
if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) usage(`--concurrency must be a whole number ≥ 1, got '${args.concurrency}'`);
const files = exercises.filter((e) => slugs.includes(e.slug)).map((e) => `solutions/${e.folder}/${e.file}`);

let seconds: number | undefined;
if (!args['check-only']) {
  rmSync(graderErrors, { force: true });
  const { Stryker } = await import('@stryker-mutator/core');
  const start = Date.now();
  process.chdir(root); // Stryker copies the project it starts in into its sandbox
  await new Stryker({ configFile: path.join(root, 'stryker.config.mjs'), mutate: files, ...(concurrency ? { concurrency } : {}) }).runMutationTest();
  seconds = (Date.now() - start) / 1000;
}

if (!existsSync(reportFile)) usage('no report at reports/mutation/mutation.json yet: run without --check-only first');
const report = JSON.parse(readFileSync(reportFile, 'utf8')) as MutationReport;
const { mutants: equivalents } = JSON.parse(readFileSync(path.join(root, 'docs', 'equivalent-mutants.json'), 'utf8')) as { mutants: EquivalentMutant[] };
const { scores, problems, unlisted } = checkSurvivors(report, equivalents, files);
if (existsSync(graderErrors) && readFileSync(graderErrors, 'utf8').trim() !== '') {
  problems.push(`the grader could not grade some mutants (counted as neither killed nor survived by this check): see ${path.relative(root, graderErrors)}`);
}

console.log('\n| file | mutants | killed | timeout | equivalent | survived | score |');
console.log('|---|--:|--:|--:|--:|--:|--:|');
for (const s of scores) {
  console.log(`| ${s.file} | ${s.mutants} | ${s.killed} | ${s.timeout} | ${s.equivalent} | ${s.survived} | ${(100 * mutationScore(s)).toFixed(1)}% |`);
}
if (seconds !== undefined) console.log(`\n${scores.reduce((n, s) => n + s.mutants, 0)} mutants in ${seconds.toFixed(0)} s.`);
if (problems.length > 0) {
  console.log(`\n${problems.length} problem(s):\n${problems.map((p) => `- ${p}`).join('\n')}`);
  if (unlisted.length > 0) {
    const draft = path.join(root, 'reports', 'mutation', 'unlisted-survivors.json');
    writeFileSync(draft, `${JSON.stringify(unlisted, null, 2)}\n`);
    console.log(`\nThe survivors as entries for docs/equivalent-mutants.json (fill in "why" for those that are truly equivalent): ${path.relative(root, draft)}`);
  }
  process.exit(1);
}
console.log('\nEvery mutant is killed by the hidden suites or listed, with its reason, as equivalent.');
