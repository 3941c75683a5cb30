import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './servers';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built admin CLI (dist/apps/admin-cli/main.js) to its end. */
export function runAdmin(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
  main = join(WORKSPACE_ROOT, 'dist/apps/admin-cli/main.js'),
): Promise<CliRun> {
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx nx build admin-cli)`);
  const child = spawn(process.execPath, [main, ...args], {
    cwd: WORKSPACE_ROOT,
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((done) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    }),
  );
}
