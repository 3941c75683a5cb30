import { sqliteHandle } from '@lmarena-bridge/database';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aUsageConfig, aUsageRow, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { ROLLUP_TABLES } from '../recorder/rollup-tables';
import { UsageRecorder } from '../recorder/usage-recorder.service';
import { DAY_MS } from '../recorder/usage-row';
import {
  nextRetentionBatch,
  RETENTION_FIRST_RUN_MS,
  RETENTION_INTERVAL_MS,
  RETENTION_PACING,
  RetentionPacing,
  UsageRetentionService,
} from './usage-retention.service';
import { UsageSummaryService } from './usage-summary.service';

const NOW = Date.UTC(2025, 2, 20, 15, 30);
const RETENTION_DAYS = 30;
const CUTOFF = NOW - RETENTION_DAYS * DAY_MS;

describe('nextRetentionBatch', () => {
  const pacing: RetentionPacing = { firstBatch: 500, minBatch: 20, maxBatch: 5000, stepBudgetMs: 15, minPauseMs: 25 };

  it('shrinks a step that took longer than the budget in proportion', () => {
    expect(nextRetentionBatch(pacing, 1000, 1000, 30)).toBe(500);
    expect(nextRetentionBatch(pacing, 1000, 1000, 16)).toBe(937);
    expect(nextRetentionBatch(pacing, 100, 100, 10_000)).toBe(20);
  });

  it('keeps the size of a step that took between half the budget and the budget', () => {
    expect(nextRetentionBatch(pacing, 1000, 1000, 15)).toBe(1000);
    expect(nextRetentionBatch(pacing, 1000, 1000, 7.6)).toBe(1000);
  });

  it('doubles a step that took at most half the budget, up to maxBatch', () => {
    expect(nextRetentionBatch(pacing, 500, 500, 7.5)).toBe(1000);
    expect(nextRetentionBatch(pacing, 4000, 4000, 1)).toBe(5000);
    // A step timed at 0 ms (a coarse clock) doubles like any fast one.
    expect(nextRetentionBatch(pacing, 500, 500, 0)).toBe(1000);
  });

  it('does not grow the steps when each has a fixed cost near the budget (a cold page cache)', () => {
    // 12 ms before the first row, then 0.01 ms a row: sizing by rows per ms would fall to the minimum.
    let size = 100;
    for (let i = 0; i < 50; i++) size = nextRetentionBatch(pacing, size, size, 12 + size * 0.01);
    expect(size).toBe(100);
    // 2 ms fixed: the steps grow until they fill the budget.
    size = 100;
    for (let i = 0; i < 50; i++) size = nextRetentionBatch(pacing, size, size, 2 + size * 0.01);
    expect(2 + size * 0.01).toBeGreaterThan(pacing.stepBudgetMs / 2);
    expect(2 + size * 0.01).toBeLessThanOrEqual(pacing.stepBudgetMs);
  });
});

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

  /** Every DELETE the service runs: its LIMIT and how long it took. */
  function recordDeletes(): Array<{ limit: number; ms: number }> {
    const steps: Array<{ limit: number; ms: number }> = [];
    const createRunner = db.dataSource.createQueryRunner.bind(db.dataSource);
    jest.spyOn(db.dataSource, 'createQueryRunner').mockImplementation((...args) => {
      const runner = createRunner(...args);
      const query = runner.query.bind(runner) as (...a: unknown[]) => Promise<unknown>;
      runner.query = (async (sql: string, params?: unknown[], ...rest: unknown[]) => {
        const started = performance.now();
        const answer = await query(sql, params, ...rest);
        if (sql.startsWith('DELETE')) steps.push({ limit: Number(params?.[params.length - 1]), ms: performance.now() - started });
        return answer;
      }) as typeof runner.query;
      return runner;
    });
    return steps;
  }

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

    const steps = recordDeletes();
    await expect(aService().runRetentionOnce(NOW)).resolves.toBe(12_000);
    // Small first, then growing while the steps stay fast; never more than maxBatch at once.
    expect(steps.length).toBeGreaterThan(2);
    expect(steps[0].limit).toBe(RETENTION_PACING.firstBatch);
    expect(Math.max(...steps.map((s) => s.limit))).toBeLessThanOrEqual(RETENTION_PACING.maxBatch);
    expect((await createdAts()).sort((a, b) => a - b)).toEqual([...kept].sort((a, b) => a - b));
    expect(await rollups()).toBe(before.rollups);
    expect(await summaries.summary(365, { userId: owner.userId }, NOW)).toEqual(before.summary);
    expect(before.summary.total_requests).toBe(12_502);

    // Nothing more to do on a second pass.
    await expect(aService().runRetentionOnce(NOW)).resolves.toBe(0);
    expect(await count('usage_logs')).toBe(kept.length);
  });

  it('stops between batches when the application shuts down', async () => {
    const total = RETENTION_PACING.maxBatch * 2 + 10;
    await seed(Array.from({ length: total }, (_, i) => CUTOFF - 1 - i));
    const service = aService();
    const run = service.runRetentionOnce(NOW);
    await service.beforeApplicationShutdown();
    // The step under way finished; no other started.
    await expect(run).resolves.toBe(RETENTION_PACING.firstBatch);
    expect(await count('usage_logs')).toBe(total - RETENTION_PACING.firstBatch);
  });

  it('shrinks the steps when deleting a row costs more (a trigger on usage_logs), and pauses between steps', async () => {
    await seed(Array.from({ length: 1000 }, (_, i) => CUTOFF - 1 - i));
    // At least 1 ms a deleted row, of wall-clock time (SQLite: a spin; PostgreSQL: pg_sleep), so
    // every step of n rows takes at least n ms however fast or loaded the machine is.
    const sqlite = sqliteHandle(db.dataSource);
    if (sqlite) {
      sqlite.function('retention_spec_cost', () => {
        const until = performance.now() + 1;
        while (performance.now() < until);
        return 0;
      });
      sqlite.exec('CREATE TRIGGER retention_spec_cost AFTER DELETE ON usage_logs BEGIN SELECT retention_spec_cost(); END');
    } else {
      await db.dataSource.query(
        'CREATE FUNCTION retention_spec_cost() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN OLD; END $$',
      );
      await db.dataSource.query('CREATE TRIGGER retention_spec_cost AFTER DELETE ON usage_logs FOR EACH ROW EXECUTE FUNCTION retention_spec_cost()');
    }
    const steps = recordDeletes();
    const service = aService();
    const started = performance.now();
    await expect(service.runRetentionOnce(NOW)).resolves.toBe(1000);
    const wall = performance.now() - started;
    // The first step (100 rows, >= 100 ms) is over the 25 ms budget: the next ones are cut to
    // a quarter or less and, each taking at least its row count in ms, never double again.
    expect(steps[0].limit).toBe(RETENTION_PACING.firstBatch);
    const later = steps.slice(1).map((s) => s.limit);
    expect(later.length).toBeGreaterThan(10);
    expect(Math.max(...later)).toBeLessThanOrEqual(RETENTION_PACING.firstBatch / 4);
    expect(Math.min(...later)).toBeGreaterThanOrEqual(RETENTION_PACING.minBatch);
    // At least minPauseMs between steps.
    expect(wall).toBeGreaterThan((steps.length - 1) * RETENTION_PACING.minPauseMs);
  }, 60_000);

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
