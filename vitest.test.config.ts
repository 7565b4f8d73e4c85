/**
 * `npm test`: the repository's own tests and the public tests against the reference solutions
 * (which must all pass), with coverage thresholds. Not the students' config: see vitest.config.ts.
 */
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { unsupportedNode } from './grader/node-support.ts';
import { publicOnSolutionsProject, repoProject } from './vitest.projects.ts';

// every entry of the grader refuses an unsupported Node, so most tests would fail on one: say so once
const refusal = unsupportedNode();
if (refusal) throw new Error(`the tests need a Node.js that gradlab supports (${refusal.replace(/: install.*/, '')}): run them as \`scripts/with-node 24 npm test\` (or \`scripts/with-node 24 npx vitest run …\`), which installs Node.js 24 from the npm registry into a cache folder once`);

export default defineConfig({
  test: {
    pool: 'forks',
    // files at once: vitest's default leaves a core to itself (cores − 1), one file at a time on a
    // 2-core machine, where one file's processes do not keep both cores busy (13 min 39 s to 17 min;
    // two files at once: ≈ 12 min, the machine 97.5% busy, and three no faster): two files there,
    // the default elsewhere (docs/benchmarks.md, npm test)
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [repoProject, publicOnSolutionsProject],
    coverage: {
      provider: 'v8',
      include: ['solutions/**/*.ts', 'exercises/lib/**/*.ts', 'grader/**/*.ts'],
      exclude: ['**/*.test.ts', 'grader/suites/**'],
      thresholds: { lines: 90 },
      reporter: ['text-summary', 'json-summary'],
    },
  },
});
