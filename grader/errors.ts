/** The CLI's one error class: a code, and a message that says what to do next. */
export type CliErrorCode = 'E_USAGE' | 'E_UNKNOWN_COMMAND' | 'E_NO_SUBMISSION' | 'E_UNKNOWN_EXERCISE' | 'E_GRADER' | 'E_RESULTS' | 'E_ROSTER' | 'E_CONFINEMENT';

export class CliError extends Error {
  constructor(readonly code: CliErrorCode, message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'CliError';
  }
}
