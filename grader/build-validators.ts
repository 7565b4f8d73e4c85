/**
 * `node dist/grader/build-validators.js` (run by `npm run build` and `prepare`): precompiles the
 * fixture schemas' validators into dist/fixture-validators.cjs (see fixture-validators.ts).
 */
import path from 'node:path';
import { precompiledFile, writeValidators } from './fixture-validators.js';
import { ROOT } from './paths.js';

writeValidators(path.join(ROOT, 'fixtures', 'schemas'), precompiledFile(ROOT));
