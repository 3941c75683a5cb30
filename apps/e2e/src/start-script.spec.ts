import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempSqliteDatabase } from '@lmarena-bridge/database/testing';
import { WORKSPACE_ROOT, writeTestConfig } from './support/servers';

/** `npm start` runs tools/scripts/start.mjs: build if needed, both servers, signals passed on. */
describe('npm start (tools/scripts/start.mjs)', () => {
  it('builds, serves both servers and stops both with status 0 on SIGINT', async () => {
    const db = tempSqliteDatabase();
    const dir = writeTestConfig({ database: { url: db.url } });
    const child = spawn(process.execPath, [join(WORKSPACE_ROOT, 'tools/scripts/start.mjs')], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, LMB_CONFIG: dir.configPath, PROXY_PORT: '0', DASHBOARD_PORT: '0', LMB_REPORT_PORT: '1', NX_DAEMON: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const ports = await new Promise<Record<string, number>>((resolve, reject) => {
        const found: Record<string, number> = {};
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          for (const m of output.matchAll(/LMB_LISTENING (\S+) (\d+)/g)) found[m[1]] = Number(m[2]);
          if (found['proxy-api'] && found['dashboard-api']) resolve(found);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then((code) => reject(new Error(`start.mjs exited (${code}) before both servers listened:\n${output}`)));
      });
      const models = (await (await fetch(`http://127.0.0.1:${ports['proxy-api']}/v1/models`)).json()) as { data: Array<{ id: string }> };
      expect(models.data.map((m) => m.id)).toEqual(['echo']);
      const page = await fetch(`http://127.0.0.1:${ports['dashboard-api']}/tokens`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await db.drop();
      dir.cleanup();
    }
  }, 180_000);

  it('SIGTERM to `npm start` stops npm, start.mjs and both servers', async () => {
    const db = tempSqliteDatabase();
    const dir = writeTestConfig({ database: { url: db.url } });
    // Its own process group, so the test can clean up whatever would be left behind.
    const npm: ChildProcess = spawn('npm', ['start', '--silent'], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, LMB_CONFIG: dir.configPath, PROXY_PORT: '0', DASHBOARD_PORT: '0', LMB_REPORT_PORT: '1', NX_DAEMON: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    try {
      const ports = await new Promise<Record<string, number>>((resolve, reject) => {
        const found: Record<string, number> = {};
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          for (const m of output.matchAll(/LMB_LISTENING (\S+) (\d+)/g)) found[m[1]] = Number(m[2]);
          if (found['proxy-api'] && found['dashboard-api']) resolve(found);
        };
        npm.stdout?.on('data', onData);
        npm.stderr?.on('data', onData);
        void exited.then((code) => reject(new Error(`npm start exited (${code}) before both servers listened:\n${output}`)));
      });
      for (const port of Object.values(ports)) expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      npm.kill('SIGTERM');
      await exited;
      // Both servers stopped (and start.mjs with them): nothing listens any more, and the
      // process group is empty.
      for (const port of Object.values(ports)) await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      const groupGone = await waitFor(() => !processGroupAlive(npm.pid ?? 0));
      expect(groupGone).toBe(true);
      expect(output).toMatch(/proxy-api: SIGTERM received, shutting down/);
      expect(output).toMatch(/dashboard-api: SIGTERM received, shutting down/);
    } finally {
      if (npm.pid && processGroupAlive(npm.pid)) process.kill(-npm.pid, 'SIGKILL');
      await db.drop();
      dir.cleanup();
    }
  }, 180_000);
});

function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls a condition that no event announces (other processes exiting), for at most 10 s. */
async function waitFor(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}
