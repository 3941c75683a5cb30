import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const WORKSPACE_ROOT = resolve(__dirname, '../../../..');

export type AppName = 'proxy-api' | 'dashboard-api';

export interface RunningServer {
  name: AppName;
  port: number;
  url: string;
  process: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Sends the signal and resolves with the exit code (or the signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** A temp folder with config.jsonc and models.json, removed by cleanup(). */
export interface TestConfigDir {
  dir: string;
  configPath: string;
  cleanup(): void;
}

export function writeTestConfig(config: Record<string, unknown>, models: Record<string, unknown> = { echo: { provider: 'echo' } }): TestConfigDir {
  const dir = mkdtempSync(join(tmpdir(), 'lmb-e2e-'));
  const configPath = join(dir, 'config.jsonc');
  writeFileSync(configPath, `// written by the e2e suite\n${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, 'models.json'), JSON.stringify(models, null, 2));
  return { dir, configPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function builtMain(name: AppName): string {
  const main = join(WORKSPACE_ROOT, 'dist', 'apps', name, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx nx run-many -t build)`);
  return main;
}

/**
 * Starts a built server on a free port (port 0) and resolves once it listens; rejects with
 * its output if it exits first or does not listen within the time limit. `main`: another
 * copy of the built bundle (an install elsewhere) instead of this checkout's dist/.
 */
export function startServer(
  name: AppName,
  configPath: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
  main = builtMain(name),
): Promise<RunningServer> {
  const portVar = name === 'proxy-api' ? 'PROXY_PORT' : 'DASHBOARD_PORT';
  const child = spawn(process.execPath, [main], {
    cwd: WORKSPACE_ROOT,
    env: {
      PATH: process.env['PATH'],
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      LMB_CONFIG: configPath,
      [portVar]: '0',
      LMB_REPORT_PORT: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? -1)));
  return new Promise<RunningServer>((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`${name} did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = new RegExp(`LMB_LISTENING ${name} (\\d+)`).exec(output);
      if (match) {
        clearTimeout(timer);
        const port = Number(match[1]);
        resolveStart({
          name,
          port,
          url: `http://127.0.0.1:${port}`,
          process: child,
          output: () => output,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      rejectStart(new Error(`${name} exited (${code}) before listening:\n${output}`));
    });
  });
}

/** Runs a built server that is expected to fail at start; resolves with its exit code and output. */
export function runToExit(name: AppName, configPath: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [builtMain(name)], {
    cwd: WORKSPACE_ROOT,
    env: { PATH: process.env['PATH'], NODE_ENV: 'production', LMB_CONFIG: configPath, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((done) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    }),
  );
}
