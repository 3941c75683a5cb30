import { usageError } from './cli-error';

/** Reads all of stdin (a pipe), without the final line break. */
async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) text += chunk.toString();
  return text.replace(/\r?\n$/, '');
}

/**
 * A new password, never from the command line (argv is visible to every user in `ps`):
 * `--password-stdin` reads it from a pipe, otherwise the environment variable named
 * (ADMIN_PASSWORD by default) must hold it.
 */
export async function readNewPassword(
  opts: { passwordStdin?: boolean; passwordEnv: string },
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadableStream,
): Promise<string> {
  if (opts.passwordStdin) {
    const password = await readStdin(stdin);
    if (password === '') throw usageError('--password-stdin: nothing was read from standard input');
    return password;
  }
  const password = env[opts.passwordEnv];
  if (password === undefined || password === '') {
    throw usageError(`no password given: set ${opts.passwordEnv} or pipe it with --password-stdin`);
  }
  return password;
}
