/**
 * Runs one command of a command table: the shared entry of the course CLI (cli.ts) and of the
 * student template's (student-cli.ts). A CliError prints its message and exits with its code; any
 * other error is the grader's fault: one line for the user, the details only with GRADLAB_DEBUG=1.
 * On a Node.js the course does not support, no command runs at all (node-support.ts says why).
 */
import { CliError } from './errors.js';
import { UNSUPPORTED_NODE_EXIT, unsupportedNode } from './node-support.js';

export interface Command { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }

export async function dispatch(argv: string[], commands: Record<string, Command>, usage: () => string, program: string): Promise<number> {
  const refusal = unsupportedNode();
  if (refusal) {
    process.stderr.write(`gradlab: ${refusal}.\n`);
    return UNSUPPORTED_NODE_EXIT;
  }
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  try {
    if (!command) throw new CliError('E_UNKNOWN_COMMAND', `unknown command '${name}': use one of ${Object.keys(commands).join(', ')} (see \`${program} --help\`)`);
    return await (await command.load()).run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`gradlab: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`gradlab: internal error: ${(err as Error)?.message ?? String(err)}\n` +
      'This is a bug in the grader, not in your code. Re-run with GRADLAB_DEBUG=1 for details and tell the course staff.\n');
    if (process.env.GRADLAB_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return 1;
  }
}
