import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aUsageConfig, aUsageRow, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { UsageRecorder } from '../recorder/usage-recorder.service';
import { DAY_MS, utcDay } from '../recorder/usage-row';
import { summaryStatements } from './summary-statements';
import { UsageScope } from './usage-scope';
import { UsageSummaryService } from './usage-summary.service';

/** 2025-03-20 15:30 UTC; windows from here start mid-month and cross months and a year. */
const NOW = Date.UTC(2025, 2, 20, 15, 30);
/** The last day of February 2025: a window up to it ends on a month's last day. */
const END_OF_FEBRUARY = Date.UTC(2025, 1, 28, 12);
const WINDOWS: Array<[days: number, now: number]> = [1, 2, 20, 28, 31, 45, 90, 365].flatMap((days) => [
  [days, NOW],
  [days, END_OF_FEBRUARY],
]);

/** One table read of a plan: the table, how (a scan or a key range), and the index. */
interface Access {
  table: string;
  detail: string;
}

describe.each(testDatabaseKinds())('the summary statements on $kind', ({ kind, create }) => {
  let db: UsageTestDatabase;
  let userId: number;
  const scopes = (): Array<[string, UsageScope]> => [
    ['a user', { userId }],
    ['everyone', 'all'],
  ];

  beforeAll(async () => {
    db = await openUsageTestDatabase(create);
    const owner = await db.anOwner();
    userId = owner.userId;
    const recorder = new UsageRecorder(db.dataSource, aUsageConfig());
    // Four years of usage, so that even a 365-day window is a small part of each rollup, as in
    // a database used for a while (PostgreSQL rightly reads a whole index when the window
    // holds nearly every row), and a second user.
    const other = await db.anOwner();
    for (let i = 0; i < 1500; i++) {
      const row = { createdAt: NOW - i * DAY_MS, model: `m${i % 3}`, statusCode: i % 5 ? 200 : 502, responseTimeMs: 1 + (i % 900) };
      recorder.record(aUsageRow({ ...(i % 4 ? owner : other), ...row }));
    }
    await recorder.flush();
    if (kind === 'postgres') for (const { table } of await tables()) await db.dataSource.query(`ANALYZE ${table}`);
  });
  afterAll(() => db?.close());

  const tables = async (): Promise<Array<{ table: string }>> =>
    db.dataSource.query(
      kind === 'postgres'
        ? `SELECT tablename AS table FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'usage%'`
        : `SELECT name AS "table" FROM sqlite_master WHERE type = 'table' AND name LIKE 'usage%'`,
    );

  /** The tables a statement reads and how, from the engine's plan. */
  async function accesses(sql: string, params: unknown[]): Promise<Access[]> {
    if (kind === 'sqlite') {
      const plan: Array<{ detail: string }> = await db.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
      return plan.flatMap(({ detail }) => {
        const m = /^(?:SCAN|SEARCH) (\w+)/.exec(detail);
        return m && m[1].startsWith('usage') ? [{ table: m[1], detail }] : [];
      });
    }
    // Sequential scans off: an index is then used wherever one can serve, and a statement
    // that still reads a table whole (or a whole index) has no index for its filter.
    const runner = db.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('SET LOCAL enable_seqscan = off');
      const [{ 'QUERY PLAN': plan }] = await runner.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      await runner.rollbackTransaction();
      const found: Access[] = [];
      const walk = (node: Record<string, unknown>) => {
        const table = node['Relation Name'];
        if (typeof table === 'string' && table.startsWith('usage')) {
          found.push({ table, detail: `${node['Node Type']} ${node['Index Name'] ?? ''} cond: ${node['Index Cond'] ?? node['Recheck Cond'] ?? 'none'}` });
        }
        for (const child of (node['Plans'] as Array<Record<string, unknown>> | undefined) ?? []) {
          // A bitmap heap scan's condition sits on its bitmap index scan below it.
          if (node['Node Type'] === 'Bitmap Heap Scan' && child['Node Type'] === 'Bitmap Index Scan') {
            if (typeof table === 'string' && table.startsWith('usage')) {
              found.push({ table, detail: `Bitmap Index Scan ${child['Index Name']} cond: ${child['Index Cond'] ?? 'none'}` });
            }
          } else {
            walk(child);
          }
        }
      };
      walk((plan as Array<{ Plan: Record<string, unknown> }>)[0].Plan);
      return found.filter((a) => !a.detail.startsWith('Bitmap Heap Scan'));
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  /**
   * Fails unless every table read is a range of an index on its first column: the primary key
   * (user_id first) for one user, the index led by day or month for everyone.
   */
  function expectKeyRanges(what: string, found: Access[], scope: UsageScope): void {
    const problems = found.filter(({ table, detail }) => {
      if (table === 'usage_logs' || table === 'usage_daily') return true;
      if (kind === 'sqlite') {
        const range =
          scope === 'all' ? /USING COVERING INDEX IDX_usage_\w+_(day|month) \((day|month)>\? AND (day|month)<\?\)/ : /USING PRIMARY KEY \(user_id=\? AND /;
        return !detail.startsWith('SEARCH') || !range.test(detail);
      }
      if (!/^(Index Only Scan|Index Scan|Bitmap Index Scan) /.test(detail)) return true;
      // The condition must hold the index's first column. For one user PostgreSQL may prefer the
      // day index to the key (it weighs the statistics), a range all the same.
      const byPeriod = / IDX_usage_\w+_(day|month) cond: \(\((day|month) >= /.test(detail);
      return scope === 'all' ? !byPeriod : !byPeriod && !/_pkey cond: \(\(user_id = /.test(detail);
    });
    if (problems.length > 0 || found.length === 0) {
      throw new Error(`${what} reads no rollup by a key range:\n${found.map((a) => `  ${a.table}: ${a.detail}`).join('\n') || '  (no table read)'}`);
    }
  }

  it.each(WINDOWS)('reads each rollup of a %i-day window by a key range, never usage_logs or usage_daily', async (days, now) => {
    const lastDay = utcDay(now);
    for (const [who, scope] of scopes()) {
      const statements = summaryStatements(kind === 'postgres', scope, lastDay - days + 1, lastDay);
      for (const [name, { sql, params }] of Object.entries(statements)) {
        expectKeyRanges(`${name} (${who}, ${days} days)`, await accesses(sql, params), scope);
      }
    }
  });

  it('is every rollup statement the service runs; the others read no usage table', async () => {
    const service = new UsageSummaryService(db.dataSource);
    const run = jest.spyOn(db.dataSource, 'query');
    try {
      for (const [, scope] of scopes()) await service.summary(365, scope, NOW);
      const issued = run.mock.calls.map(([sql, params]) => ({ sql, params: params ?? [] }));
      run.mockRestore();
      const lastDay = utcDay(NOW);
      const ours = scopes().flatMap(([, scope]) => Object.values(summaryStatements(kind === 'postgres', scope, lastDay - 364, lastDay)).map((s) => s.sql));
      for (const { sql, params } of issued) {
        if (ours.includes(sql)) continue;
        // The active tokens and token names: api_tokens and users only.
        expect(await accesses(sql, params)).toEqual([]);
      }
      expect(issued.filter(({ sql }) => ours.includes(sql))).toHaveLength(ours.length);
    } finally {
      run.mockRestore();
    }
  });
});
