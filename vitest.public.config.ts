/**
 * Runs the exercises' public tests against a chosen implementation:
 * GRADLAB_PUBLIC_TARGET=solutions (the default) redirects each test's `./<module>` import to
 * solutions/NN-slug/<module>.ts; GRADLAB_PUBLIC_TARGET=exercises leaves the stubs in place.
 * test/public-tests.test.ts uses both; `npm test` runs the solutions variant as a project.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';

const root = path.dirname(fileURLToPath(import.meta.url));

/** Redirects `./module` imports of exercises/NN-slug/*.test.ts to solutions/NN-slug/module.ts. */
export function publicTestsAgainst(target: 'solutions' | 'exercises'): Plugin {
  return {
    name: 'gradlab-public-target',
    enforce: 'pre',
    resolveId(source, importer) {
      if (target !== 'solutions' || !importer || !source.startsWith('./')) return null;
      const m = /[\\/]exercises[\\/](\d\d-[^\\/]+)[\\/][^\\/]+\.test\.ts$/.exec(importer);
      if (!m) return null;
      return path.join(root, 'solutions', m[1], source.replace(/\.(ts|js)$/, '') + '.ts');
    },
  };
}

const target = process.env.GRADLAB_PUBLIC_TARGET === 'exercises' ? 'exercises' : 'solutions';

export default defineConfig({
  plugins: [publicTestsAgainst(target)],
  test: {
    include: ['exercises/*/*.test.ts'],
    pool: 'forks',
  },
});
