import { testDatabaseKinds, TestDatabase } from '@lmarena-bridge/database/testing';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CliRun, runAdmin } from './support/admin-cli';
import { DashboardClient } from './support/dashboard-client';
import { RunningServer, startServer, TestConfigDir, WORKSPACE_ROOT, writeTestConfig } from './support/servers';

// Every step spawns the CLI (a Nest start, bcrypt at cost 12): generous on a loaded machine.
jest.setTimeout(240_000);

const ADMIN_PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new password';

interface Seeded {
  username: string;
  password: string;
  tokenIds: number[];
}

/** `npm run seed:usage`: a user with two tokens and 40 requests over the last 10 days, through the real recorder. */
function seedUsage(databaseUrl: string): Seeded {
  const run = spawnSync(
    'npm',
    ['run', '--silent', 'seed:usage', '--', '--rows', '40', '--days', '10', '--tokens', '2', '--models', '2', '--seed', '7', '--database-url', databaseUrl],
    {
      cwd: WORKSPACE_ROOT,
      encoding: 'utf8',
    },
  );
  const m = /Sign in to the dashboard as (\S+) \/ (\S+) \(user id \d+, tokens ([\d, ]+)\)/.exec(run.stdout);
  if (run.status !== 0 || !m) throw new Error(`seed:usage failed (${run.status}):\n${run.stdout}${run.stderr}`);
  return { username: m[1], password: m[2], tokenIds: m[3].split(', ').map(Number) };
}

/** `npm run admin -- <command>`: every command on a fresh database of each kind. */
describe.each(testDatabaseKinds())('admin CLI on $kind', ({ create }) => {
  let db: TestDatabase;
  let dir: TestConfigDir;
  let dashboard: RunningServer | undefined;
  let seeded: Seeded;
  const env = () => ({ DATABASE_URL: db.url, PROXY_PORT: '0', DASHBOARD_PORT: '0' });
  const admin = (args: string[], extra: NodeJS.ProcessEnv = {}, input?: string) =>
    runAdmin(['--config', dir.configPath, ...args], { ...env(), ...extra }, input);
  const expectExit = (run: CliRun, code: number) => {
    if (run.code !== code) throw new Error(`expected exit ${code}, got ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  };
  const login = (username: string, password: string) => new DashboardClient(dashboard?.url ?? '').request('POST', '/api/auth/login', { username, password });

  beforeAll(async () => {
    db = await create();
    const redis = process.env['TEST_REDIS_URL'];
    dir = writeTestConfig(redis ? { redis: { url: redis } } : {});
  });
  afterAll(async () => {
    await dashboard?.stop();
    await db?.drop();
    dir?.cleanup();
  });

  it('doctor on a fresh database: migrations pending is a warning, everything else passes', async () => {
    const run = await admin(['doctor']);
    expectExit(run, 0);
    expect(run.stdout).toMatch(/^ok {4}config/m);
    expect(run.stdout).toMatch(
      db.target.type === 'sqlite' ? /^WARN {2}database \(sqlite\) .*does not exist yet/m : /^WARN {2}database \(postgres\) .*\d+ migration\(s\) not applied/m,
    );
    expect(run.stdout).toMatch(/^(ok {4}redis .*answers PING|skip {2}redis .*not configured)/m);
    expect(run.stdout).toMatch(/^ok {4}proxy-api port 127\.0\.0\.1:0 +free/m);
    expect(run.stdout).toMatch(/^ok {4}dashboard SPA/m);
    expect(run.stdout).toContain('all checks passed');
    if (db.target.type === 'sqlite') expect(existsSync(db.target.path)).toBe(false); // it changed nothing
  });

  it('create-admin: the password from the environment or stdin, never argv; clear failures', async () => {
    expectExit(await admin(['create-admin', '--username', 'root', '--email', 'root@example.com']), 2);
    expectExit(await admin(['create-admin', '--username', 'root', '--email', 'root@example.com'], { ADMIN_PASSWORD: 'short' }), 2);
    expectExit(await admin(['create-admin', '--email', 'root@example.com'], { ADMIN_PASSWORD }), 2);
    const ok = await admin(['create-admin', '--username', 'root', '--email', 'root@example.com'], { ADMIN_PASSWORD });
    expectExit(ok, 0);
    expect(ok.stdout).toMatch(/created admin "root" \(id \d+\)/);
    expect(ok.stdout + ok.stderr).not.toContain(ADMIN_PASSWORD);
    const again = await admin(['create-admin', '--username', 'ROOT', '--email', 'other@example.com', '--password-stdin'], {}, `${ADMIN_PASSWORD}\n`);
    expectExit(again, 1);
    expect(again.stderr).toBe('error: That username is already taken.\n');

    // The database is migrated now; the servers find it ready.
    dashboard = await startServer('dashboard-api', dir.configPath, { DATABASE_URL: db.url });
    expect((await login('root', ADMIN_PASSWORD)).status).toBe(200);
    seeded = seedUsage(db.url);
  });

  it('doctor after start-up: database ready, the dashboard port is ours', async () => {
    const run = await admin(['doctor'], { DASHBOARD_PORT: String(dashboard?.port) });
    expectExit(run, 0);
    expect(run.stdout).toMatch(/^ok {4}database \(\w+\) +answers; every migration applied/m);
    expect(run.stdout).toMatch(/^ok {4}dashboard-api port .* dashboard-api is listening/m);
  });

  it('doctor fails (1) when the database cannot be reached', async () => {
    const url = db.target.type === 'sqlite' ? `sqlite:${join(dir.configPath, 'under-a-file.db')}` : 'postgres://root@127.0.0.1:9/none';
    const run = await admin(['doctor'], { DATABASE_URL: url });
    expectExit(run, 1);
    expect(run.stdout).toMatch(/^FAIL {2}database/m);
    expect(run.stderr).toBe('error: 1 check(s) failed\n');
  });

  it('list-tokens and revoke-token', async () => {
    const list = await admin(['list-tokens']);
    expectExit(list, 0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID +USER +NAME +TOKEN +STATUS/);
    expect(list.stdout).toContain('seed token 1');
    expect(list.stdout).not.toMatch(/sk-lmarena-[A-Za-z0-9_-]{20,}/);
    const json = await admin(['list-tokens', '--json', '--user', seeded.username]);
    const tokens = (JSON.parse(json.stdout) as { tokens: Array<{ id: number; status: string; token?: string }> }).tokens;
    expect(tokens.map((t) => t.id).sort()).toEqual([...seeded.tokenIds].sort());
    expect(tokens.every((t) => t.token === undefined && t.status === 'active')).toBe(true);

    expectExit(await admin(['revoke-token', String(seeded.tokenIds[0])]), 0);
    const after = JSON.parse((await admin(['list-tokens', '--json', '--status', 'revoked'])).stdout) as { tokens: Array<{ id: number }> };
    expect(after.tokens.map((t) => t.id)).toEqual([seeded.tokenIds[0]]);
    const missing = await admin(['revoke-token', '999999']);
    expectExit(missing, 1);
    expect(missing.stderr).toBe('error: token 999999: Token not found.\n');
    expectExit(await admin(['revoke-token', 'abc']), 2);
    expectExit(await admin(['list-tokens', '--status', 'gone']), 2);
  });

  it('reset-password signs the user out everywhere; disable-user and --enable', async () => {
    const client = new DashboardClient(dashboard?.url ?? '');
    expect((await client.request('POST', '/api/auth/login', { username: 'root', password: ADMIN_PASSWORD })).status).toBe(200);
    expect((await client.request('GET', '/api/auth/me')).status).toBe(200);
    const reset = await admin(['reset-password', 'root', '--password-stdin'], {}, NEW_PASSWORD);
    expectExit(reset, 0);
    expect(reset.stdout).toBe('password of "root" changed; their sessions are signed out\n');
    expect((await client.request('GET', '/api/auth/me')).status).toBe(401);
    expect((await login('root', ADMIN_PASSWORD)).status).toBe(401);
    expect((await login('root', NEW_PASSWORD)).status).toBe(200);
    expectExit(await admin(['reset-password', 'nobody'], { ADMIN_PASSWORD: NEW_PASSWORD }), 1);

    expectExit(await admin(['disable-user', seeded.username]), 0);
    expect((await login(seeded.username, seeded.password)).status).toBe(401);
    expectExit(await admin(['disable-user', seeded.username, '--enable']), 0);
    expect((await login(seeded.username, seeded.password)).status).toBe(200);
    const last = await admin(['disable-user', 'root']);
    expectExit(last, 1);
    expect(last.stderr).toContain('last active admin');
    expectExit(await admin(['disable-user']), 2);
  });

  it('export-usage (JSON to stdout, CSV to a file) and prune-usage', async () => {
    const exported = await admin(['export-usage', '--format', 'json']);
    expectExit(exported, 0);
    const rows = JSON.parse(exported.stdout) as Array<{ created_at: string }>;
    expect(rows).toHaveLength(40);
    const file = join(dir.dir, 'usage.csv');
    const csv = await admin(['export-usage', '--user', seeded.username, '--days', '3', '-o', file]);
    expectExit(csv, 0);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    const recent = rows.filter(
      (r) => Date.parse(r.created_at) >= Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - 2 * 86_400_000,
    );
    expect(lines.length - 1).toBe(recent.length);
    expectExit(await admin(['export-usage', '--format', 'xml']), 2);

    const cutoff = Date.now() - 5 * 86_400_000;
    const old = rows.filter((r) => Date.parse(r.created_at) < cutoff).length;
    expect(old).toBeGreaterThan(0);
    const pruned = await admin(['prune-usage', '--older-than-days', '5']);
    expectExit(pruned, 0);
    expect(pruned.stdout).toBe(`deleted ${old} usage row(s) older than 5 day(s)\n`);
    expect(JSON.parse((await admin(['export-usage', '--format', 'json'])).stdout)).toHaveLength(40 - old);
    expectExit(await admin(['prune-usage', '--older-than-days', '0']), 2);
  });

  it('bridge-userscript: a new bridge key, the userscript written to a file (owner-only), the key never printed', async () => {
    const template = join(dir.dir, 'template.user.js');
    writeFileSync(template, '// ==UserScript==\nconst PROXY = "__LMB_PROXY_URL__";\nconst KEY = "__LMB_BRIDGE_KEY__";\n');
    const client = new DashboardClient(dashboard?.url ?? '');
    await client.request('POST', '/api/auth/login', { username: 'root', password: NEW_PASSWORD });
    const keysNow = async () => (await client.request<{ keys: Array<{ id: number; name: string }> }>('GET', '/api/bridge')).body.keys;
    const before = (await keysNow()).length;

    const out = join(dir.dir, 'lmb.user.js');
    const run = await admin(['bridge-userscript', '--name', 'office pc', '-o', out], { LMB_USERSCRIPT: template, PROXY_HOST: '127.0.0.1', PROXY_PORT: '6102' });
    expectExit(run, 0);
    expect(run.stdout).toMatch(
      new RegExp(`^bridge key \\d+ "office pc" created; the userscript holding it is ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
    );
    const script = readFileSync(out, 'utf8');
    expect(script).toContain('const PROXY = "ws://127.0.0.1:6102/ws";');
    const key = /const KEY = "([^"]+)";/.exec(script)?.[1] ?? '';
    expect(key.length).toBeGreaterThan(20);
    expect(run.stdout + run.stderr).not.toContain(key);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect((await keysNow()).map((k) => k.name)).toContain('office pc');

    const again = await admin(['bridge-userscript', '--name', 'office pc', '-o', out], { LMB_USERSCRIPT: template });
    expectExit(again, 1);
    expect(again.stderr).toContain('exists: choose another --output or pass --force');
    const broken = join(dir.dir, 'broken.user.js');
    writeFileSync(broken, 'const KEY = "__LMB_BRIDGE_KEY__"; // no proxy URL placeholder\n');
    const refused = await admin(['bridge-userscript', '--name', 'x', '-o', join(dir.dir, 'b.user.js')], { LMB_USERSCRIPT: broken });
    expectExit(refused, 1);
    expect(refused.stderr).toContain('instead of once: rebuild it');
    expect((await keysNow()).length).toBe(before + 1); // no key for a broken build
    expectExit(await admin(['bridge-userscript']), 2);
  });

  it('--help for every command; no command is a usage error', async () => {
    for (const cmd of [
      'bridge-userscript',
      'create-admin',
      'reset-password',
      'disable-user',
      'list-tokens',
      'revoke-token',
      'prune-usage',
      'export-usage',
      'doctor',
    ]) {
      const help = await runAdmin([cmd, '--help']);
      expectExit(help, 0);
      expect(help.stdout).toContain(`Usage: admin ${cmd}`);
    }
    expectExit(await runAdmin([]), 2);
    expectExit(await runAdmin(['no-such-command']), 2);
  });
});
