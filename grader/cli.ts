/**
 * `gradlab <command>`: the entry point only dispatches; each command is a small module, loaded
 * lazily so that `gradlab hint` does not pay for vitest.
 */
import { dispatch, type Command } from './dispatch.js';

const COMMANDS: Record<string, Command> = {
  grade: { summary: 'grade a submission with the hidden suites and write the reports', load: () => import('./commands/grade.js') },
  collect: { summary: 'clone one student\'s repository into a class folder: only the exercise files, within intake\'s limits', load: () => import('./commands/collect.js') },
  class: { summary: 'grade every student of a class folder in one run: records, gradebook, class report', load: () => import('./commands/class.js') },
  merge: { summary: 'merge class results folders (e.g. shards) into one, as one run would have written it', load: () => import('./commands/merge.js') },
  diff: { summary: 'what changed between two class results folders: who, by how much, which tests', load: () => import('./commands/diff.js') },
  lms: { summary: 'the class grades as Canvas and Moodle import files, through a Classroom roster', load: () => import('./commands/lms.js') },
  similarity: { summary: 'which submissions are alike, or close to the reference or an earlier year (never a grade)', load: () => import('./commands/similarity.js') },
  comment: { summary: 'one student\'s grade as a Markdown comment for their graded commit (their text made inert)', load: () => import('./commands/comment.js') },
  check: { summary: 'run the public tests of your exercises and show your progress', load: () => import('./commands/check.js') },
  lab: { summary: 'run the experiments on your own functions: tables, charts, and --html plots', load: () => import('./commands/lab.js') },
  hint: { summary: 'show the hints of an exercise', load: () => import('./commands/hint.js') },
  list: { summary: 'list the exercises, their points and tests', load: () => import('./commands/list.js') },
  export: { summary: 'write the student template repository into a new folder', load: () => import('./commands/export.js') },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`);
  return [
    'Usage: gradlab <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Examples:',
    '  npx gradlab check --watch              # your progress on the public tests, again on each save',
    '  npx gradlab hint 02-backprop',
    '  npx gradlab lab --html lab-report     # your code\'s gradients and activations, drawn',
    '  npx gradlab grade solutions            # grade a folder shaped like exercises/',
    '  npx gradlab grade sub --format gradescope --out results.json',
    '  npx gradlab class submissions/ --results results/',
    '  npx gradlab similarity submissions/ --results results/',
    '',
    'Run `gradlab <command> --help` for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  return dispatch(argv, COMMANDS, usage, 'gradlab');
}
