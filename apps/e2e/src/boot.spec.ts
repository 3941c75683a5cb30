import { ApiTokenEntity, authEntities } from '@lmarena-bridge/auth';
import { createDataSource, migrations } from '@lmarena-bridge/database';
import { TestDatabase, testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { usageEntities } from '@lmarena-bridge/usage';
import { RunningServer, startServer, TestConfigDir, writeTestConfig } from './support/servers';

describe.each(testDatabaseKinds())('both servers on a fresh $kind database', ({ create }) => {
  let db: TestDatabase;
  let dir: TestConfigDir;
  let proxy: RunningServer;
  let dashboard: RunningServer;

  beforeAll(async () => {
    db = await create();
    dir = writeTestConfig({ database: { url: db.url } });
    // Started together on purpose: both race to migrate the empty database.
    [proxy, dashboard] = await Promise.all([startServer('proxy-api', dir.configPath), startServer('dashboard-api', dir.configPath)]);
  });

  afterAll(async () => {
    await Promise.all([proxy?.stop(), dashboard?.stop()]);
    await db?.drop();
    dir?.cleanup();
  });

  it('migrated the database exactly once, with every table', async () => {
    const ds = await createDataSource(db.target, [...authEntities, ...usageEntities]).initialize();
    try {
      const runner = ds.createQueryRunner();
      for (const table of ['users', 'sessions', 'api_tokens', 'usage_logs', 'usage_daily', 'usage_day_status', 'usage_month_model']) {
        expect(await runner.hasTable(table)).toBe(true);
      }
      await runner.release();
      const rows: Array<{ n: number | string }> = await ds.query('SELECT COUNT(*) AS n FROM migrations');
      expect(Number(rows[0].n)).toBe(migrations.length);
      // The entities match the migrated columns.
      expect(await ds.getRepository(ApiTokenEntity).count()).toBe(0);
    } finally {
      await ds.destroy();
    }
  });

  it('proxy answers /healthz and lists models.json at /v1/models', async () => {
    expect(await (await fetch(`${proxy.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const models = (await (await fetch(`${proxy.url}/v1/models`)).json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(models.object).toBe('list');
    expect(models.data).toEqual([{ id: 'echo', object: 'model', created: expect.any(Number), owned_by: 'echo' }]);
  });

  it('dashboard reports a measured database status', async () => {
    const status = (await (await fetch(`${dashboard.url}/api/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ status: 'ok', database: 'ok', database_type: db.target.type });
    expect(status['database_latency_ms']).toEqual(expect.any(Number));
  });

  it('both serve Swagger UI at /docs and the OpenAPI document at /docs-json', async () => {
    for (const [server, path] of [
      [proxy, '/v1/models'],
      [dashboard, '/api/status'],
    ] as const) {
      const ui = await fetch(`${server.url}/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger-ui');
      const doc = (await (await fetch(`${server.url}/docs-json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });

  it('both stop cleanly with exit status 0 on SIGTERM', async () => {
    const [a, b] = await Promise.all([proxy.stop('SIGTERM'), dashboard.stop('SIGTERM')]);
    expect([a, b]).toEqual([0, 0]);
    expect(proxy.output()).toContain('SIGTERM received, shutting down');
  });
});
