import { DataSource } from 'typeorm';
import { TestDatabase, testDatabaseKinds } from '../../testing';
import { dataSourceOptions } from '../data-source';
import { runMigrations } from '../migrate';
import { migrations } from '.';
import { UsageCost1764500000005 } from './1764500000005-usage-cost';

const DAY = 20_161;

/** Columns of an index, in order. */
async function indexColumns(ds: DataSource, index: string): Promise<string[]> {
  if (ds.options.type === 'postgres') {
    const rows: Array<{ column: string }> = await ds.query(
      `SELECT a.attname AS column FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON TRUE
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE c.relname = $1 ORDER BY k.n`,
      [index],
    );
    return rows.map((r) => r.column);
  }
  const rows: Array<{ name: string }> = await ds.query(`PRAGMA index_info("${index}")`);
  return rows.map((r) => r.name);
}

async function columnNames(ds: DataSource, table: string): Promise<string[]> {
  const runner = ds.createQueryRunner();
  try {
    return ((await runner.getTable(table))?.columns ?? []).map((c) => c.name);
  } finally {
    await runner.release();
  }
}

describe.each(testDatabaseKinds())('migration UsageCost1764500000005 on $kind', ({ create }) => {
  let db: TestDatabase;
  let ds: DataSource;
  let tokenId: number;
  let userId: number;
  const p = (i: number) => (ds.options.type === 'postgres' ? `$${i}` : '?');
  const marks = (n: number) => Array.from({ length: n }, (_, i) => p(i + 1)).join(', ');

  beforeAll(async () => {
    db = await create();
    // The schema as it was before this migration, with usage already in it.
    const before = new DataSource({ ...dataSourceOptions(db.target, []), migrations: migrations.slice(0, migrations.indexOf(UsageCost1764500000005)) });
    await before.initialize();
    try {
      await runMigrations(before);
      const q = (sql: string, params: unknown[]) =>
        before.query(
          sql.replace(/\$(\d+)/g, (m) => (before.options.type === 'postgres' ? m : '?')),
          params,
        );
      await q(`INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES ($1, $2, 'x', 0, 0)`, ['old', 'old@example.com']);
      userId = Number((await before.query(`SELECT id FROM users WHERE username = 'old'`))[0].id);
      await q(`INSERT INTO api_tokens (user_id, name, token_hash, hint, created_at) VALUES ($1, 't', 'h', 'x', 0)`, [userId]);
      tokenId = Number((await before.query('SELECT id FROM api_tokens'))[0].id);
      await q(
        `INSERT INTO usage_logs (created_at, user_id, token_id, model, endpoint, status_code, response_time_ms, prompt_tokens, completion_tokens)
         VALUES ($1, $2, $3, 'echo', '/v1/chat/completions', 200, 12, 3, 5)`,
        [DAY * 86_400_000, userId, tokenId],
      );
      await q(
        `INSERT INTO usage_daily (day, user_id, token_id, model, status_code, requests, response_time_ms_sum, prompt_tokens, completion_tokens)
         VALUES ($1, $2, $3, 'echo', 200, 1, 12, 3, 5)`,
        [DAY, userId, tokenId],
      );
    } finally {
      await before.destroy();
    }
    ds = new DataSource(dataSourceOptions(db.target, []));
    await ds.initialize();
    expect((await runMigrations(ds)).map((m) => m.name)).toEqual(migrations.slice(migrations.indexOf(UsageCost1764500000005)).map((m) => new m().name));
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  it('keeps existing rows: no cost on the old request, 0 cost and 0 refused in the old rollup', async () => {
    expect(await ds.query('SELECT prompt_tokens, cost_usd FROM usage_logs')).toEqual([{ prompt_tokens: 3, cost_usd: null }]);
    const [daily] = await ds.query('SELECT requests, cost_nano_usd, refused_requests FROM usage_daily');
    expect([daily.requests, daily.cost_nano_usd, daily.refused_requests].map(Number)).toEqual([1, 0, 0]);
  });

  it('stores a cost exactly and adds nano-dollars in the rollup upsert', async () => {
    await ds.query(
      `INSERT INTO usage_logs (created_at, user_id, token_id, model, endpoint, status_code, response_time_ms, cost_usd) VALUES (${marks(3)}, 'echo', '/x', 200, 1, ${p(4)})`,
      [DAY * 86_400_000 + 1, userId, tokenId, 3.8e-8],
    );
    const [row] = await ds.query(`SELECT cost_usd FROM usage_logs WHERE cost_usd IS NOT NULL`);
    expect(row.cost_usd).toBe(3.8e-8);
    await ds.query(
      `INSERT INTO usage_daily (day, user_id, token_id, model, status_code, requests, cost_nano_usd, refused_requests) VALUES (${marks(3)}, 'echo', 200, 2, 38, 1)
       ON CONFLICT (day, user_id, token_id, model, status_code) DO UPDATE SET requests = usage_daily.requests + excluded.requests,
         cost_nano_usd = usage_daily.cost_nano_usd + excluded.cost_nano_usd, refused_requests = usage_daily.refused_requests + excluded.refused_requests`,
      [DAY, userId, tokenId],
    );
    const [daily] = await ds.query('SELECT requests, cost_nano_usd, refused_requests FROM usage_daily');
    expect([daily.requests, daily.cost_nano_usd, daily.refused_requests].map(Number)).toEqual([3, 38, 1]);
  });

  it('indexes the rollup by (token_id, day) and keeps the summary indexes covering, cost included', async () => {
    expect(await indexColumns(ds, 'IDX_usage_daily_token_day')).toEqual(['token_id', 'day']);
    expect(await indexColumns(ds, 'IDX_usage_daily_day_cover')).toEqual([
      'day',
      'status_code',
      'model',
      'token_id',
      'requests',
      'response_time_ms_sum',
      'prompt_tokens',
      'completion_tokens',
      'cost_nano_usd',
    ]);
    expect((await indexColumns(ds, 'IDX_usage_daily_user_day_cover')).slice(0, 2)).toEqual(['user_id', 'day']);
    expect((await indexColumns(ds, 'IDX_usage_daily_user_day_cover')).at(-1)).toBe('cost_nano_usd');
    if (ds.options.type !== 'postgres') {
      // SQLite plans without statistics: a token's month goes through the new index.
      const plan: Array<{ detail: string }> = await ds.query(
        'EXPLAIN QUERY PLAN SELECT SUM(requests) FROM usage_daily WHERE token_id = ? AND day >= ? AND day < ?',
        [tokenId, DAY - 30, DAY + 1],
      );
      expect(plan.map((r) => r.detail).join(' ')).toMatch(/IDX_usage_daily_token_day/);
      // The summary's sums, cost included, still come from an index alone.
      const summary: Array<{ detail: string }> = await ds.query(
        `EXPLAIN QUERY PLAN SELECT day, status_code, SUM(requests), SUM(response_time_ms_sum), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_nano_usd)
           FROM usage_daily WHERE day >= ? AND day <= ? AND user_id = ? GROUP BY day, status_code ORDER BY day, status_code`,
        [DAY - 30, DAY, userId],
      );
      expect(summary.map((r) => r.detail).join(' ')).toMatch(/USING COVERING INDEX IDX_usage_daily_(user_)?day_cover/);
    }
  });

  it('goes down cleanly: the columns and the new index go, the summary indexes are as before', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new UsageCost1764500000005().down(runner);
      expect(await columnNames(ds, 'usage_logs')).not.toContain('cost_usd');
      expect(await columnNames(ds, 'usage_daily')).not.toContain('cost_nano_usd');
      expect(await columnNames(ds, 'usage_daily')).not.toContain('refused_requests');
      expect(await indexColumns(ds, 'IDX_usage_daily_token_day')).toEqual([]);
      expect((await indexColumns(ds, 'IDX_usage_daily_day_cover')).at(-1)).toBe('completion_tokens');
      // And up again, on the same rows.
      await new UsageCost1764500000005().up(runner);
      expect(await columnNames(ds, 'usage_daily')).toEqual(expect.arrayContaining(['cost_nano_usd', 'refused_requests']));
    } finally {
      await runner.release();
    }
  });
});
