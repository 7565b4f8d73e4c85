/**
 * lab/lab.mjs in the student template (`npm run lab`): refuses a Node.js the course does not
 * support, then runs the lab, lab/main.mjs (template-main.ts bundled). The check cannot live in the
 * bundle itself: its imports of rolldown and vega are evaluated before any of its code, and on Node
 * 18 rolldown's fails first, with an error that says nothing of the Node version.
 */
import { UNSUPPORTED_NODE_EXIT, unsupportedNode } from '../node-support.js';

const refusal = unsupportedNode();
if (refusal) {
  process.stderr.write(`lab: ${refusal}.\n`);
  process.exitCode = UNSUPPORTED_NODE_EXIT;
} else {
  // a specifier computed at run time: the bundler leaves this import to the template's own file
  await import(new URL('./main.mjs', import.meta.url).href);
}
