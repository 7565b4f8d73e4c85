// StrykerJS over the reference solutions, scored by the hidden suites (`npm run mutation`,
// scripts/mutation/run.mjs; docs/mutation.md). Each mutant is graded by the course's own grader
// through scripts/mutation/grade-mutant.mjs, one exercise at a time.
import { fileURLToPath } from 'node:url';

const gradeMutant = fileURLToPath(new URL('./scripts/mutation/grade-mutant.mjs', import.meta.url));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'command',
  commandRunner: { command: `node ${JSON.stringify(gradeMutant)}` },
  mutate: ['solutions/*/*.ts'],
  // Only the solutions go into Stryker's sandbox (the grader runs from this folder), and not
  // solutions/lib: it is a link to exercises/lib, and the grader uses its own lib anyway.
  ignorePatterns: ['/*', '!/solutions', '/solutions/lib'],
  coverageAnalysis: 'off', // the command runner cannot measure it; each mutant grades its exercise
  concurrency: 2,
  // The grader's own per-call limits stop a mutant that loops; Stryker's timeout is only a
  // backstop, generous so that a loaded machine never turns a survivor into a "timeout".
  timeoutMS: 180_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
