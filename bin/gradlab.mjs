#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm ci` through the `prepare` script): no TypeScript
// is type-checked or transformed at start-up.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/grader/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('gradlab: the grader is not built yet. Run `npm ci` (or `npm run build`) in the course folder, then try again.\n');
  process.exit(2);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
