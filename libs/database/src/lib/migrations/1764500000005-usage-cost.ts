import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prices and the limits' counters in usage:
 * - `usage_logs.cost_usd`: what the request cost in USD, rounded to the nano-dollar; NULL when
 *   the model has no price or the request no token counts (and for every row before this).
 * - `usage_daily.cost_nano_usd`: the rollup's sum of those costs in whole nano-dollars, a
 *   64-bit integer rather than a double: integer sums are exact whatever order each engine
 *   adds in, so the summary agrees with the raw rows on SQLite and PostgreSQL alike (see
 *   libs/usage/src/lib/cost.ts). Existing rollups had no price: 0.
 * - `usage_daily.refused_requests`: requests the limits refused (they are in `requests` too);
 *   the daily request quota counts `requests - refused_requests`. Existing rows: 0.
 * - `IDX_usage_daily_token_day`: the limits seed a token's day and month counters from the
 *   rollups by (token_id, day range); the primary key and the other indexes start with day or
 *   user_id, which would read every token's rows of the month.
 * - The summary's covering indexes (UsageSummaryIndexes1764400000000) are rebuilt with
 *   cost_nano_usd at the end, so the summary, which now sums it, still reads the index alone.
 *   refused_requests is not summed by the summary and stays out of them.
 *
 * Plain SQL that both engines take: `double precision` is REAL affinity on SQLite.
 */
const COVERING_BEFORE: Array<[name: string, columns: string[]]> = [
  ['IDX_usage_daily_day_cover', ['day', 'status_code', 'model', 'token_id', 'requests', 'response_time_ms_sum', 'prompt_tokens', 'completion_tokens']],
  [
    'IDX_usage_daily_user_day_cover',
    ['user_id', 'day', 'status_code', 'model', 'token_id', 'requests', 'response_time_ms_sum', 'prompt_tokens', 'completion_tokens'],
  ],
];

const createIndex = (name: string, columns: string[]) => `CREATE INDEX "${name}" ON "usage_daily" (${columns.map((c) => `"${c}"`).join(', ')})`;

export class UsageCost1764500000005 implements MigrationInterface {
  name = 'UsageCost1764500000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "usage_logs" ADD COLUMN "cost_usd" double precision NULL');
    await q.query('ALTER TABLE "usage_daily" ADD COLUMN "cost_nano_usd" bigint NOT NULL DEFAULT 0');
    await q.query('ALTER TABLE "usage_daily" ADD COLUMN "refused_requests" bigint NOT NULL DEFAULT 0');
    for (const [name, columns] of COVERING_BEFORE) {
      await q.query(`DROP INDEX "${name}"`);
      await q.query(createIndex(name, [...columns, 'cost_nano_usd']));
    }
    await q.query(createIndex('IDX_usage_daily_token_day', ['token_id', 'day']));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "IDX_usage_daily_token_day"');
    for (const [name, columns] of COVERING_BEFORE) {
      await q.query(`DROP INDEX "${name}"`);
      await q.query(createIndex(name, columns));
    }
    await q.query('ALTER TABLE "usage_daily" DROP COLUMN "refused_requests"');
    await q.query('ALTER TABLE "usage_daily" DROP COLUMN "cost_nano_usd"');
    await q.query('ALTER TABLE "usage_logs" DROP COLUMN "cost_usd"');
  }
}
