/**
 * `node dist/grader/build-validators.js` (run by `npm run build` and `prepare`): precompiles the
 * fixture schemas' validators into dist/fixture-validators.cjs and the report schemas' into
 * dist/report-validators.cjs (see fixture-validators.ts).
 */
import path from 'node:path';
import { precompiledFile, writeValidators } from './fixture-validators.js';
import { ROOT } from './paths.js';
import { AJV_OPTIONS as REPORT_OPTIONS } from './report/validate.js';

writeValidators(path.join(ROOT, 'fixtures', 'schemas'), precompiledFile(ROOT));
writeValidators(path.join(ROOT, 'grader', 'schemas'), precompiledFile(ROOT, 'report-validators'), REPORT_OPTIONS);
