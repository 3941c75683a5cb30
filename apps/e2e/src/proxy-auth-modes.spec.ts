import { tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import OpenAI from 'openai';
import { DashboardClient } from './support/dashboard-client';
import { RunningServer, startServer, TestConfigDir, writeTestConfig } from './support/servers';
import { UsageDb } from './support/usage-db';

const SHARED_KEY = 'shared-key-of-the-original-design';
const hello = [{ role: 'user' as const, content: 'hi' }];

/** The seed's authentication order: use_dashboard_tokens x api_key. */
describe.each([
  { useDashboardTokens: true, apiKey: SHARED_KEY, dashboardToken: 200, sharedKey: 200, wrong: 401, none: 401 },
  { useDashboardTokens: true, apiKey: '', dashboardToken: 200, sharedKey: 401, wrong: 401, none: 401 },
  { useDashboardTokens: false, apiKey: SHARED_KEY, dashboardToken: 401, sharedKey: 200, wrong: 401, none: 401 },
  { useDashboardTokens: false, apiKey: '', dashboardToken: 200, sharedKey: 200, wrong: 200, none: 200 },
])('use_dashboard_tokens=$useDashboardTokens, api_key="$apiKey"', (mode) => {
  let db: TestDatabase;
  let dir: TestConfigDir;
  let proxy: RunningServer;
  let dashboard: RunningServer;
  let token: { id: number; token: string };
  let usage: UsageDb;

  beforeAll(async () => {
    db = tempSqliteDatabase();
    dir = writeTestConfig({ database: { url: db.url }, use_dashboard_tokens: mode.useDashboardTokens, api_key: mode.apiKey, usage: { flush_interval_ms: 20 } });
    [proxy, dashboard] = await Promise.all([startServer('proxy-api', dir.configPath), startServer('dashboard-api', dir.configPath)]);
    const client = new DashboardClient(dashboard.url);
    await client.signUp('owner', 'correct horse battery', true);
    token = await client.createToken('mode');
    usage = new UsageDb(db.target.type === 'sqlite' ? db.target.path : '');
  });
  afterAll(async () => {
    usage?.close();
    await Promise.all([proxy?.stop(), dashboard?.stop()]);
    await db?.drop();
    dir?.cleanup();
  });

  const call = (apiKey: string) =>
    new OpenAI({ apiKey, baseURL: `${proxy.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: 'echo', messages: hello }).then(
      () => 200,
      (err: { status?: number }) => err.status ?? -1,
    );

  it('dashboard token', async () => expect(await call(token.token)).toBe(mode.dashboardToken));
  it('shared api_key', async () => expect(await call(SHARED_KEY)).toBe(mode.sharedKey));
  it('a wrong key', async () => expect(await call('sk-wrong')).toBe(mode.wrong));
  it('no Authorization header', async () => {
    const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'echo', messages: hello }) });
    expect(res.status).toBe(mode.none);
  });

  it('records usage only for requests authenticated by a dashboard token', async () => {
    await call(SHARED_KEY);
    const expected = mode.useDashboardTokens ? 1 : 0;
    const rows = await usage.waitForRows(token.id, expected, expected ? 5000 : 300);
    expect(rows).toHaveLength(expected);
  });

  if (!mode.useDashboardTokens && mode.apiKey === '') {
    it('warns at start-up that the proxy is open', () => {
      expect(proxy.output()).toContain('WITHOUT authentication');
    });
  }
});
