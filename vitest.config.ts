import { defineConfig } from 'vitest/config';
import { publicTestsAgainst } from './vitest.public.config.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        test: { name: 'repo', include: ['test/**/*.test.ts'], exclude: ['test/submissions/**'], pool: 'forks', testTimeout: 120_000, hookTimeout: 120_000 },
      },
      {
        plugins: [publicTestsAgainst('solutions')],
        test: { name: 'public-on-solutions', include: ['exercises/*/*.test.ts'], pool: 'forks' },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['solutions/**/*.ts', 'exercises/lib/**/*.ts', 'grader/**/*.ts'],
      exclude: ['**/*.test.ts', 'grader/suites/**'],
      thresholds: { lines: 90 },
      reporter: ['text-summary', 'json-summary'],
    },
  },
});
