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
});
