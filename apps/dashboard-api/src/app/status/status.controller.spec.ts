import { BridgeBrowsersService, BridgeModelsService } from '@lmarena-bridge/bridge';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { DashboardHarness } from '../../testing/dashboard-harness';

describe.each(testDatabaseKinds())('GET /api/status on $kind', ({ kind, create }) => {
  let h: DashboardHarness;

  beforeAll(async () => {
    h = await DashboardHarness.start(create);
  });
  afterAll(() => h?.close());

  it('answers 200 without a session, with a measured database ping', async () => {
    const res = await h.http().get('/api/status').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'ok', database_type: kind });
    expect(typeof res.body.database_latency_ms).toBe('number');
    expect(res.body.database_latency_ms).toBeGreaterThan(0);
  });

  it('reports the database down, still with 200, when it cannot be reached', async () => {
    const ds = h.dataSource;
    const query = jest.spyOn(ds, 'query').mockRejectedValueOnce(new Error('connection refused'));
    try {
      const res = await h.http().get('/api/status').expect(200);
      expect(res.body).toMatchObject({ status: 'degraded', database: 'down', database_latency_ms: null });
    } finally {
      query.mockRestore();
    }
  });

  it('reports the bridge: browsers seen by a proxy in the last 30 s and the reported models', async () => {
    expect((await h.http().get('/api/status').expect(200)).body.bridge).toEqual({ browsers: 0, models: 0 });
    const now = Date.now();
    const browser = { instanceId: 'proxy-1', keyId: null, origin: 'https://arena.ai', version: '1.0.0', connectedAt: now, inFlight: 0, lastError: null };
    await h.get(BridgeBrowsersService).upsert({ ...browser, browserId: 'a', seenAt: now });
    await h.get(BridgeBrowsersService).upsert({ ...browser, browserId: 'b', seenAt: now });
    await h.get(BridgeBrowsersService).upsert({ ...browser, browserId: 'stale', seenAt: now - 120_000 });
    await h.get(BridgeModelsService).saveReported([{ id: 'm-1' }, { id: 'm-2' }], now);
    expect((await h.http().get('/api/status').expect(200)).body.bridge).toEqual({ browsers: 2, models: 2 });
    await h.get(BridgeBrowsersService).removeInstance('proxy-1');
    expect((await h.http().get('/api/status').expect(200)).body.bridge).toEqual({ browsers: 0, models: 2 });
  });
});
