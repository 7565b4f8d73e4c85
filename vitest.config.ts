/**
 * The config a bare `npx vitest run` uses. `npx vitest run exercises/01-activations` runs that
 * exercise's public tests against YOUR file in exercises/ (the stubs fail with
 * NotImplementedError until you write them). `npm test` uses vitest.test.config.ts instead.
 */
import { defineConfig } from 'vitest/config';
import { exercisesProject, repoProject } from './vitest.projects.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [exercisesProject, repoProject],
  },
});
