/**
 * `npm test`: the repository's own tests and the public tests against the reference solutions
 * (which must all pass), with coverage thresholds. Not the students' config: see vitest.config.ts.
 */
import { defineConfig } from 'vitest/config';
import { publicOnSolutionsProject, repoProject } from './vitest.projects.ts';

export default defineConfig({
  test: {
    pool: 'forks',
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
