/** Exit codes: 0 ok, 1 denied or failed, 2 usage error. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A failure the user can act on. Its message is printed as one line; never a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: typeof EXIT_FAILED | typeof EXIT_USAGE = EXIT_FAILED,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** One line, so terminal output and logs stay readable whatever the message holds. */
export function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}

/** A command that has printed its verdict (a denied token, a truststore with errors) and only sets the exit code. */
export class ExitStatus extends Error {
  override readonly name = 'ExitStatus';
  constructor(readonly exitCode: typeof EXIT_FAILED) {
    super(`exit ${exitCode}`);
  }
}
