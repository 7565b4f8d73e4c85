/**
 * The vitest projects of this repository, shared by its two configs:
 * - vitest.config.ts (what a bare `npx vitest run …` uses): the public tests beside each stub run
 *   against the files in exercises/, the student's own code, as the READMEs promise; plus `repo`.
 * - vitest.test.config.ts (what `npm test` uses): `repo`, and the public tests against solutions/,
 *   which must all pass there.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin, TestProjectInlineConfiguration } from 'vitest/config';

const root = path.dirname(fileURLToPath(import.meta.url));

/** Redirects `./module` imports of exercises/NN-slug/*.test.ts to solutions/NN-slug/module.ts. */
export function publicTestsAgainstSolutions(): Plugin {
  return {
    name: 'gradlab-public-on-solutions',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('./')) return null;
      const m = /[\\/]exercises[\\/](\d\d-[^\\/]+)[\\/][^\\/]+\.test\.ts$/.exec(importer);
      if (!m) return null;
      return path.join(root, 'solutions', m[1], source.replace(/\.(ts|js)$/, '') + '.ts');
    },
  };
}

const PUBLIC_TESTS = ['exercises/*/*.test.ts'];

/** The repository's own tests (test/); `npx vitest run --project repo` runs just these. */
export const repoProject: TestProjectInlineConfiguration = {
  test: { name: 'repo', include: ['test/**/*.test.ts'], exclude: ['test/submissions/**'], pool: 'forks', testTimeout: 120_000, hookTimeout: 120_000 },
};

/** The public tests against the student's files in exercises/ (failing with NotImplementedError on the stubs). */
export const exercisesProject: TestProjectInlineConfiguration = {
  test: { name: 'exercises', include: PUBLIC_TESTS, pool: 'forks' },
};

/** The public tests against the reference solutions: every one must pass. */
export const publicOnSolutionsProject: TestProjectInlineConfiguration = {
  plugins: [publicTestsAgainstSolutions()],
  test: { name: 'public-on-solutions', include: PUBLIC_TESTS, pool: 'forks' },
};
