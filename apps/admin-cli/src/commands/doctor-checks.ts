import { authEntities } from '@lmarena-bridge/auth';
import { bridgeEntities } from '@lmarena-bridge/bridge';
import { AppConfig } from '@lmarena-bridge/config';
import { checkReadiness, createDataSource } from '@lmarena-bridge/database';
import { usageEntities } from '@lmarena-bridge/usage';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

export type CheckLevel = 'ok' | 'warn' | 'fail' | 'skip';
export interface CheckResult {
  name: string;
  level: CheckLevel;
  detail: string;
}

const TIMEOUT_MS = 3_000;

/** Where the built files are: the workspace (or install) root, two levels above dist/apps/admin-cli. */
export function installRoot(): string {
  return process.env['LMB_ROOT'] ?? resolve(__dirname, '..', '..', '..');
}

/** The database opens without migrating (doctor changes nothing) and readiness holds. */
export async function checkDatabase(config: AppConfig): Promise<CheckResult> {
  const name = `database (${config.database.target.type})`;
  const target = config.database.target;
  // Opening a missing SQLite file would create it (and its folders): doctor changes nothing.
  if (target.type === 'sqlite' && !existsSync(target.path)) return sqliteToBe(name, target.path);
  const ds = createDataSource(config.database.target, [...authEntities, ...usageEntities, ...bridgeEntities]);
  if (ds.options.type === 'postgres') Object.assign(ds.options, { extra: { ...ds.options.extra, connectionTimeoutMillis: TIMEOUT_MS } });
  try {
    await ds.initialize();
  } catch (err) {
    return { name, level: 'fail', detail: `cannot open: ${(err as { code?: string }).code ?? (err as Error).message}` };
  }
  try {
    const r = await checkReadiness(ds, TIMEOUT_MS);
    if (r.ready) return { name, level: 'ok', detail: 'answers; every migration applied' };
    if (r.database === 'ok') return { name, level: 'warn', detail: `${r.detail} (the first server start applies them): ${(r.pending ?? []).join(', ')}` };
    return { name, level: 'fail', detail: r.detail ?? 'down' };
  } finally {
    await ds.destroy().catch(() => undefined);
  }
}

/** A SQLite file not created yet: fine if the first server start can create it. */
function sqliteToBe(name: string, path: string): CheckResult {
  let dir = dirname(path);
  while (!existsSync(dir)) dir = dirname(dir);
  try {
    if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    return { name, level: 'fail', detail: `${path} does not exist and cannot be created: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  return { name, level: 'warn', detail: `${path} does not exist yet (the first server start creates and migrates it)` };
}

/** A RESP PING over a plain socket: no client library needed to see Redis answer. */
export function checkRedis(config: AppConfig): Promise<CheckResult> {
  if (config.redis.url === '') return Promise.resolve({ name: 'redis', level: 'skip', detail: 'not configured' });
  const url = new URL(config.redis.url);
  if (url.protocol === 'rediss:') return Promise.resolve({ name: 'redis', level: 'skip', detail: 'TLS (rediss://) is not probed' });
  return new Promise((done) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 6379) });
    let answer = '';
    const finish = (result: CheckResult) => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(TIMEOUT_MS, () => finish({ name: 'redis', level: 'fail', detail: `no answer within ${TIMEOUT_MS} ms` }));
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ name: 'redis', level: 'fail', detail: `cannot connect: ${err.code ?? err.message}` }));
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (!answer.includes('\r\n')) return;
      if (answer.startsWith('+PONG')) finish({ name: 'redis', level: 'ok', detail: 'answers PING' });
      else if (/^-NOAUTH/.test(answer)) finish({ name: 'redis', level: 'warn', detail: 'answers, asks for a password (not checked)' });
      else finish({ name: 'redis', level: 'fail', detail: `unexpected answer ${JSON.stringify(answer.slice(0, 40))}` });
    });
  });
}

function probeHost(host: string): string {
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

/** Our server answering /healthz there, another program holding the port, or free to bind. */
export async function checkPort(label: string, host: string, port: number): Promise<CheckResult> {
  const name = `${label} port ${host}:${port}`;
  const target = probeHost(host);
  try {
    const res = await fetch(`http://${target.includes(':') ? `[${target}]` : target}:${port}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = await res.text();
    if (res.ok && body.includes('"ok"')) return { name, level: 'ok', detail: `${label} is listening (GET /healthz answers)` };
    return { name, level: 'fail', detail: `another program answers HTTP there (GET /healthz: ${res.status})` };
  } catch {
    // Nothing answering HTTP: free, or held by something else.
  }
  return new Promise((done) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => done({ name, level: 'fail', detail: `cannot listen: ${err.code ?? err.message}` }));
    server.listen(port, host, () => server.close(() => done({ name, level: 'ok', detail: 'free' })));
  });
}

export function checkBuild(root: string): CheckResult[] {
  const results: CheckResult[] = [];
  for (const app of ['proxy-api', 'dashboard-api']) {
    const main = join(root, 'dist', 'apps', app, 'main.js');
    results.push(
      existsSync(main)
        ? { name: `${app} build`, level: 'ok', detail: main }
        : { name: `${app} build`, level: 'fail', detail: `${main} missing: run "npm run build"` },
    );
  }
  const web = resolve(process.env['LMB_WEB_DIST'] ?? join(root, 'dist', 'apps', 'dashboard-web', 'browser'));
  const index = join(web, 'index.html');
  const userscript = resolve(process.env['LMB_USERSCRIPT'] ?? join(root, 'dist', 'apps', 'lmarena-userscript', 'lmarena-bridge.user.js'));
  results.push(
    existsSync(userscript)
      ? { name: 'bridge userscript', level: 'ok', detail: userscript }
      : {
          name: 'bridge userscript',
          level: 'warn',
          detail: `${userscript} missing: the Bridge page and bridge-userscript cannot hand out the userscript (npx nx build lmarena-userscript)`,
        },
  );
  results.push(
    existsSync(index)
      ? { name: 'dashboard SPA', level: 'ok', detail: index }
      : { name: 'dashboard SPA', level: 'fail', detail: `${index} missing: run "npm run build" (the dashboard answers 404 for its pages)` },
  );
  return results;
}
