import { ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { runAdmin } from './support/admin-cli';
import { DashboardClient } from './support/dashboard-client';
import { WORKSPACE_ROOT } from './support/servers';

/**
 * The Dockerfile's runtime stage, outside a container: a fresh folder with only the built
 * output (dist/apps), package.json, package-lock.json and the start scripts;
 * `npm ci --omit=dev` there; both servers started from it by tools/scripts/start.mjs. If a
 * run-time package were a devDependency, a server would fail to start here.
 */
describe('a production install (npm ci --omit=dev of the built output)', () => {
  let app: string;
  let start: ChildProcess | undefined;
  let npm: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'lmb-prod-'));
    for (const name of ['proxy-api', 'dashboard-api', 'dashboard-web', 'admin-cli']) {
      const built = join(WORKSPACE_ROOT, 'dist', 'apps', name);
      if (!existsSync(built)) throw new Error(`${built} is missing: build first (npx nx run-many -t build)`);
      cpSync(built, join(app, 'dist', 'apps', name), { recursive: true });
    }
    for (const file of ['package.json', 'package-lock.json']) cpSync(join(WORKSPACE_ROOT, file), join(app, file));
    mkdirSync(join(app, 'tools', 'scripts'), { recursive: true });
    for (const script of ['start.mjs', 'admin.mjs', 'healthcheck.mjs'])
      cpSync(join(WORKSPACE_ROOT, 'tools/scripts', script), join(app, 'tools/scripts', script));
  });
  afterAll(() => {
    if (start && start.exitCode === null) start.kill('SIGKILL');
    if (npm && npm.exitCode === null) npm.kill('SIGKILL');
    rmSync(app, { recursive: true, force: true });
  });

  it('installs only the production dependencies', async () => {
    // The npm cache is warm after the workspace's own `npm ci`: no network needed.
    const started = Date.now();
    npm = spawn('npm', ['ci', '--omit=dev', '--ignore-scripts=false', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let log = '';
    npm.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    npm.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    const code = await new Promise<number | null>((resolve) => npm?.once('exit', resolve));
    if (code !== 0) throw new Error(`npm ci --omit=dev failed (${code}):\n${log}`);
    process.stdout.write(`npm ci --omit=dev took ${Math.round((Date.now() - started) / 1000)} s\n`);
    for (const prod of ['@nestjs/core', 'typeorm', 'better-sqlite3', 'bcrypt', 'prom-client']) expect(existsSync(join(app, 'node_modules', prod))).toBe(true);
    // (typescript itself may come along: the lockfile marks it devOptional, an optional peer chain from typeorm.)
    for (const dev of ['nx', '@angular/core', 'jest', 'webpack-cli', 'chart.js', 'pino-pretty']) expect(existsSync(join(app, 'node_modules', dev))).toBe(false);
  }, 1_800_000); // compiling better-sqlite3 takes ~70 s on an idle machine, over 10 min on a loaded one

  it('starts both servers from the copy; the SPA, the dashboard API and a chat completion work', async () => {
    const dataDir = join(app, 'data');
    mkdirSync(dataDir);
    const configPath = join(dataDir, 'config.jsonc');
    writeFileSync(configPath, JSON.stringify({ database: { url: 'sqlite:dashboard.db' } }));
    writeFileSync(join(dataDir, 'models.json'), JSON.stringify({ echo: { provider: 'echo' } }));
    start = spawn(process.execPath, [join(app, 'tools/scripts/start.mjs')], {
      cwd: app,
      // A terminal-less service: no pino-pretty in a production install, JSON logs.
      env: { PATH: process.env['PATH'], LMB_CONFIG: configPath, PROXY_PORT: '0', DASHBOARD_PORT: '0', LMB_REPORT_PORT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => start?.once('exit', (code) => resolve(code)));
    const ports = await new Promise<Record<string, number>>((resolve, reject) => {
      const found: Record<string, number> = {};
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        for (const m of output.matchAll(/LMB_LISTENING (\S+) (\d+)/g)) found[m[1]] = Number(m[2]);
        if (found['proxy-api'] && found['dashboard-api']) resolve(found);
      };
      start?.stdout?.on('data', onData);
      start?.stderr?.on('data', onData);
      void exited.then((code) => reject(new Error(`start.mjs exited (${code}) before both servers listened:\n${output}`)));
    });
    const dashboardUrl = `http://127.0.0.1:${ports['dashboard-api']}`;
    const proxyUrl = `http://127.0.0.1:${ports['proxy-api']}`;

    for (const path of ['/', '/tokens']) {
      const page = await fetch(`${dashboardUrl}${path}`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<!doctype html>/i);
    }
    for (const url of [proxyUrl, dashboardUrl]) expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const admin = new DashboardClient(dashboardUrl);
    await admin.signUp('admin', 'correct horse battery', true);
    const token = await admin.createToken('prod');
    const answer = await new OpenAI({ apiKey: token.token, baseURL: `${proxyUrl}/v1`, maxRetries: 0 }).chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'from a production install' }],
    });
    expect(answer.choices[0].message.content).toContain('from a production install');
    expect(existsSync(join(dataDir, 'dashboard.db'))).toBe(true);
    // JSON log lines, since stdout is no terminal.
    expect(output).toMatch(/^\{"level":30,.*"msg":"proxy-api listening on/m);

    // The admin CLI of the install finds its own built files.
    const doctor = await runAdmin(
      ['doctor'],
      { LMB_CONFIG: configPath, PROXY_PORT: '0', DASHBOARD_PORT: '0' },
      undefined,
      join(app, 'dist/apps/admin-cli/main.js'),
    );
    expect(doctor.stdout).toMatch(
      new RegExp(`^ok {4}dashboard SPA +${app.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/dist/apps/dashboard-web/browser/index.html`, 'm'),
    );
    expect(doctor.code).toBe(0);

    start.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
