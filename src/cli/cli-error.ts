// Errors the `ovn-overlay` command reports as one line (no stack trace unless --debug), with an exit code:
// 1 for a failure (unreachable server, bad file), 2 for a usage error (unknown option, missing argument).

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(message: string, readonly exitCode: 1 | 2 = 1, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A usage error: the command line itself is wrong. */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

/** One line for a thrown value (`Name: message`, or just the message when `withName` is false); with `debug` the stack (and causes) too. */
export function describeError(error: unknown, debug = false, withName = true): string {
  if (!isErrorLike(error)) return String(error);
  if (debug && typeof error.stack === 'string') {
    let text = error.stack;
    let cause = (error as { cause?: unknown }).cause;
    while (isErrorLike(cause)) {
      text += `\ncaused by: ${cause.stack ?? cause.message}`;
      cause = (cause as { cause?: unknown }).cause;
    }
    return text;
  }
  const message = error.message.split('\n')[0];
  return !withName || error instanceof CliError || error.name === 'Error' ? message : `${error.name}: ${message}`;
}

/** Errors from another realm (the REPL's context) fail `instanceof Error`; this does not. */
export function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null
    && typeof (value as { message?: unknown }).message === 'string'
    && typeof (value as { name?: unknown }).name === 'string';
}
