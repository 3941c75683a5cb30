import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aUsageConfig, aUsageRow, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { ROLLUP_TABLES } from '../recorder/rollup-tables';
import { UsageRecorder } from '../recorder/usage-recorder.service';
import { DAY_MS } from '../recorder/usage-row';
import { RETENTION_BATCH, RETENTION_FIRST_RUN_MS, RETENTION_INTERVAL_MS, UsageRetentionService } from './usage-retention.service';
import { UsageSummaryService } from './usage-summary.service';

const NOW = Date.UTC(2025, 2, 20, 15, 30);
const RETENTION_DAYS = 30;
const CUTOFF = NOW - RETENTION_DAYS * DAY_MS;

describe.each(testDatabaseKinds())('UsageRetentionService on $kind', ({ create }) => {
  let db: UsageTestDatabase;
  const config = aUsageConfig({ retention_days: RETENTION_DAYS, batch_size: 5000 });
  const aService = () => {
    const service = new UsageRetentionService(db.dataSource, config);
    // Each pass logs what it deleted; keep the test output quiet.
    jest.spyOn((service as unknown as { logger: { log: (m: string) => void } }).logger, 'log').mockImplementation(() => undefined);
    return service;
  };

  const count = async (table: string) => Number((await db.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const createdAts = async (): Promise<number[]> =>
    (await db.dataSource.query('SELECT created_at FROM usage_logs')).map((r: { created_at: unknown }) => Number(r.created_at));
  /** Every rollup row, in a stable order, as text. */
  const rollups = async () =>
    // usage_daily and the summary's rollups (AnalyticsRollups1764500000006), each in key order.
    JSON.stringify(await Promise.all(ROLLUP_TABLES.map((t) => db.dataSource.query(`SELECT * FROM ${t.table} ORDER BY ${t.key.join(', ')}`))));

  beforeEach(async () => {
    db = await openUsageTestDatabase(create);
  });
  afterEach(() => db?.close());

  async function seed(times: number[]): Promise<{ userId: number; tokenId: number }> {
    const owner = await db.anOwner();
    const recorder = new UsageRecorder(db.dataSource, config);
    times.forEach((createdAt, i) => recorder.record(aUsageRow({ ...owner, createdAt, responseTimeMs: 10 + (i % 500), statusCode: i % 7 ? 200 : 502 })));
    await recorder.flush();
    return owner;
  }

  it('deletes only raw rows older than retention_days, in batches, and leaves the rollups and old summaries as they were', async () => {
    // 12,000 old rows (three batches' worth) from 31 to 90 days ago, the boundary itself, and 500 recent rows.
    const old = Array.from({ length: 12_000 }, (_, i) => CUTOFF - 1 - (i % 60) * DAY_MS);
    const kept = [CUTOFF, CUTOFF + 1, ...Array.from({ length: 500 }, (_, i) => NOW - i * 60_000)];
    const owner = await seed([...old, ...kept]);
    const summaries = new UsageSummaryService(db.dataSource);
    const before = { rollups: await rollups(), summary: await summaries.summary(365, { userId: owner.userId }, NOW) };

    const statements: string[] = [];
    const createRunner = db.dataSource.createQueryRunner.bind(db.dataSource);
    jest.spyOn(db.dataSource, 'createQueryRunner').mockImplementation((...args) => {
      const runner = createRunner(...args);
      const query = runner.query.bind(runner);
      runner.query = ((sql: string, ...rest: unknown[]) => {
        statements.push(sql);
        return (query as (...a: unknown[]) => Promise<unknown>)(sql, ...rest);
      }) as typeof runner.query;
      return runner;
    });

    await expect(aService().runRetentionOnce(NOW)).resolves.toBe(12_000);
    expect(statements.filter((s) => s.startsWith('DELETE'))).toHaveLength(Math.ceil(12_000 / RETENTION_BATCH) + (12_000 % RETENTION_BATCH === 0 ? 1 : 0));
    expect((await createdAts()).sort((a, b) => a - b)).toEqual([...kept].sort((a, b) => a - b));
    expect(await rollups()).toBe(before.rollups);
    expect(await summaries.summary(365, { userId: owner.userId }, NOW)).toEqual(before.summary);
    expect(before.summary.total_requests).toBe(12_502);

    // Nothing more to do on a second pass.
    await expect(aService().runRetentionOnce(NOW)).resolves.toBe(0);
    expect(await count('usage_logs')).toBe(kept.length);
  });

  it('stops between batches when the application shuts down', async () => {
    await seed(Array.from({ length: RETENTION_BATCH * 2 + 10 }, (_, i) => CUTOFF - 1 - i));
    const service = aService();
    const run = service.runRetentionOnce(NOW);
    await service.beforeApplicationShutdown();
    // The batch under way finished; no other started.
    await expect(run).resolves.toBe(RETENTION_BATCH);
    expect(await count('usage_logs')).toBe(RETENTION_BATCH + 10);
  });

  it('joins a pass already running instead of starting a second one', async () => {
    await seed(Array.from({ length: 100 }, (_, i) => CUTOFF - 1 - i));
    const service = aService();
    const [a, b] = [service.runRetentionOnce(NOW), service.runRetentionOnce(NOW)];
    expect(b).toBe(a);
    await expect(a).resolves.toBe(100);
  });

  it('runs on a timer from application bootstrap until shutdown, without holding the process open', async () => {
    jest.useFakeTimers();
    try {
      const service = aService();
      const run = jest.spyOn(service, 'runRetentionOnce').mockResolvedValue(0);
      service.onApplicationBootstrap();
      expect(run).not.toHaveBeenCalled();
      jest.advanceTimersByTime(RETENTION_FIRST_RUN_MS);
      expect(run).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(RETENTION_INTERVAL_MS);
      expect(run).toHaveBeenCalledTimes(2);
      const timers = (service as unknown as { timers: NodeJS.Timeout[] }).timers;
      expect(timers.map((t) => t.hasRef())).toEqual([false, false]);
      await service.beforeApplicationShutdown();
      jest.advanceTimersByTime(RETENTION_INTERVAL_MS * 3);
      expect(run).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
