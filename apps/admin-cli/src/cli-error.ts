/** Exit statuses of `npm run admin`: documented in the README and `--help`. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the user should read: printed as "error: <message>", no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT_USAGE);

/**
 * The message of a service error: Nest's HttpExceptions carry the user-facing text (e.g.
 * "That username is already taken."), validation errors a list of them.
 */
export function describeError(err: unknown): string {
  const response = (err as { getResponse?: () => unknown }).getResponse?.();
  if (response && typeof response === 'object') {
    const message = (response as { message?: unknown }).message;
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string') return message;
  }
  return err instanceof Error ? err.message : String(err);
}
