import { sqliteHandle } from '@lmarena-bridge/database';
import type Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { BatchRollup, DailyDelta, LatencyDelta, rollUp } from './rollup';
import { SpooledRow } from './usage-spool';

/**
 * Writes one batch of usage rows and their rollups in one transaction, idempotently: a row
 * whose `uid` is already stored is skipped, and the rollups and last_used_at take only the
 * rows inserted now, so a batch written twice (a replay after a crash or a lost COMMIT
 * answer) counts once. Resolves with the number of rows inserted.
 */
export interface UsageWriter {
  write(rows: readonly SpooledRow[]): Promise<number>;
}

const LOG_COLUMNS = [
  'created_at',
  'user_id',
  'token_id',
  'model',
  'endpoint',
  'stream',
  'status_code',
  'response_time_ms',
  'ttft_ms',
  'prompt_tokens',
  'completion_tokens',
  'error_message',
  'usage_estimated',
  'cost_usd',
  'row_uid',
];
const LOG_CONFLICT = 'ON CONFLICT (row_uid) DO NOTHING';
const DAILY_COLUMNS = [
  'day',
  'user_id',
  'token_id',
  'model',
  'status_code',
  'requests',
  'response_time_ms_sum',
  'prompt_tokens',
  'completion_tokens',
  'cost_nano_usd',
  'refused_requests',
];
const DAILY_UPSERT = `ON CONFLICT (day, user_id, token_id, model, status_code) DO UPDATE SET
  requests = usage_daily.requests + excluded.requests,
  response_time_ms_sum = usage_daily.response_time_ms_sum + excluded.response_time_ms_sum,
  prompt_tokens = usage_daily.prompt_tokens + excluded.prompt_tokens,
  completion_tokens = usage_daily.completion_tokens + excluded.completion_tokens,
  cost_nano_usd = usage_daily.cost_nano_usd + excluded.cost_nano_usd,
  refused_requests = usage_daily.refused_requests + excluded.refused_requests`;
const LATENCY_COLUMNS = ['day', 'user_id', 'token_id', 'model', 'bucket', 'count'];
const LATENCY_UPSERT = 'ON CONFLICT (day, user_id, token_id, model, bucket) DO UPDATE SET count = usage_daily_latency.count + excluded.count';
const LAST_USED = 'UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)';

function logValues(r: SpooledRow): unknown[] {
  return [
    r.createdAt,
    r.userId,
    r.tokenId,
    r.model,
    r.endpoint,
    r.stream,
    r.statusCode,
    r.responseTimeMs,
    r.ttftMs,
    r.promptTokens,
    r.completionTokens,
    r.errorMessage,
    r.usageEstimated === true,
    // Absent in spool lines written before prices: no cost.
    r.costUsd ?? null,
    r.uid,
  ];
}
const dailyValues = (d: DailyDelta): unknown[] => [
  d.day,
  d.userId,
  d.tokenId,
  d.model,
  d.statusCode,
  d.requests,
  d.responseTimeMsSum,
  d.promptTokens,
  d.completionTokens,
  d.costNanoUsd,
  d.refusedRequests,
];
const latencyValues = (l: LatencyDelta): unknown[] => [l.day, l.userId, l.tokenId, l.model, l.bucket, l.count];

/**
 * SQLite: prepared statements run synchronously inside one better-sqlite3 transaction, so
 * no other query on the shared connection can interleave with the batch.
 */
class SqliteUsageWriter implements UsageWriter {
  private readonly run: (rows: readonly SpooledRow[]) => number;

  constructor(db: Database.Database) {
    const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    const insertLog = db.prepare(`INSERT INTO usage_logs (${LOG_COLUMNS.join(', ')}) VALUES (${marks(LOG_COLUMNS.length)}) ${LOG_CONFLICT}`);
    const upsertDaily = db.prepare(`INSERT INTO usage_daily (${DAILY_COLUMNS.join(', ')}) VALUES (${marks(DAILY_COLUMNS.length)}) ${DAILY_UPSERT}`);
    const upsertLatency = db.prepare(
      `INSERT INTO usage_daily_latency (${LATENCY_COLUMNS.join(', ')}) VALUES (${marks(LATENCY_COLUMNS.length)}) ${LATENCY_UPSERT}`,
    );
    const touch = db.prepare(LAST_USED.replace(/\$1/g, '@at').replace('$2', '@id'));
    this.run = db.transaction((rows: readonly SpooledRow[]) => {
      const inserted = rows.filter((row) => insertLog.run(logValues(row).map((v) => (typeof v === 'boolean' ? Number(v) : v))).changes === 1);
      const rollup: BatchRollup = rollUp(inserted);
      for (const d of rollup.daily) upsertDaily.run(dailyValues(d));
      for (const l of rollup.latency) upsertLatency.run(latencyValues(l));
      for (const [id, at] of rollup.lastUsed) touch.run({ id, at });
      return inserted.length;
    });
  }

  async write(rows: readonly SpooledRow[]): Promise<number> {
    return this.run(rows);
  }
}

/** PostgreSQL: multi-row statements in one transaction. */
class PostgresUsageWriter implements UsageWriter {
  // 15 parameters a row at most; PostgreSQL allows 65,535 per statement.
  private static readonly ROWS_PER_STATEMENT = 1000;

  constructor(private readonly dataSource: DataSource) {}

  async write(rows: readonly SpooledRow[]): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const insert = async <T>(table: string, columns: string[], items: readonly T[], values: (t: T) => unknown[], suffix = ''): Promise<unknown[]> => {
        const answers: unknown[] = [];
        for (let i = 0; i < items.length; i += PostgresUsageWriter.ROWS_PER_STATEMENT) {
          const chunk = items.slice(i, i + PostgresUsageWriter.ROWS_PER_STATEMENT);
          const params: unknown[] = [];
          const tuples = chunk.map((item) => {
            const v = values(item);
            const start = params.length;
            params.push(...v);
            return `(${v.map((_, j) => `$${start + j + 1}`).join(', ')})`;
          });
          const answer: unknown = await manager.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ${suffix}`, params);
          if (Array.isArray(answer)) answers.push(...answer);
        }
        return answers;
      };
      const stored = await insert('usage_logs', LOG_COLUMNS, rows, logValues, `${LOG_CONFLICT} RETURNING row_uid`);
      const insertedUids = new Set(stored.map((r) => (r as { row_uid: string }).row_uid));
      const inserted = insertedUids.size === rows.length ? rows : rows.filter((r) => insertedUids.has(r.uid));
      const rollup = rollUp(inserted);
      await insert('usage_daily', DAILY_COLUMNS, rollup.daily, dailyValues, DAILY_UPSERT);
      await insert('usage_daily_latency', LATENCY_COLUMNS, rollup.latency, latencyValues, LATENCY_UPSERT);
      for (const [id, at] of rollup.lastUsed) await manager.query(LAST_USED, [at, id]);
      return inserted.length;
    });
  }
}

export function createUsageWriter(dataSource: DataSource): UsageWriter {
  const sqlite = sqliteHandle(dataSource);
  return sqlite ? new SqliteUsageWriter(sqlite) : new PostgresUsageWriter(dataSource);
}
