/**
 * The command line the student template ships (`npm run check`, `npm run hint -- 02`): `gradlab
 * export` bundles this file into the template's scripts/gradlab.mjs. Only the commands that need
 * nothing but the template itself: no grading code, no suites, no fixtures.
 */
import { dispatch, type Command } from './dispatch.js';

const COMMANDS: Record<string, Command> = {
  check: { summary: 'run the public tests of your exercises and show your progress', load: () => import('./commands/check.js') },
  hint: { summary: 'show the hints of an exercise', load: () => import('./commands/hint.js') },
};

function usage(): string {
  return [
    'Usage: npm run check [-- <exercise>… --watch] | npm run hint -- <exercise>',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(6)} ${c.summary}`),
  ].join('\n');
}

process.exitCode = await dispatch(process.argv.slice(2), COMMANDS, usage, 'npm run');
