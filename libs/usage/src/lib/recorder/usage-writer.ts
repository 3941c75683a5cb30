import { FTS_TABLE, sqliteHandle } from '@lmarena-bridge/database';
import type Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { rollUp } from './rollup';
import { ROLLUP_TABLES, rollupInsert, rollupUpsert } from './rollup-tables';
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
const LAST_USED = 'UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)';

/** The row's values in LOG_COLUMNS order; `flag` writes the booleans (SQLite binds 0/1). */
function logValues(r: SpooledRow, flag: (value: boolean) => boolean | number = (value) => value): unknown[] {
  return [
    r.createdAt,
    r.userId,
    r.tokenId,
    r.model,
    r.endpoint,
    flag(r.stream),
    r.statusCode,
    r.responseTimeMs,
    r.ttftMs,
    r.promptTokens,
    r.completionTokens,
    r.errorMessage,
    flag(r.usageEstimated === true),
    // Absent in spool lines written before prices: no cost.
    r.costUsd ?? null,
    r.uid,
  ];
}
/**
 * SQLite: prepared statements run synchronously inside one better-sqlite3 transaction, so
 * no other query on the shared connection can interleave with the batch.
 */
class SqliteUsageWriter implements UsageWriter {
  private readonly run: (rows: readonly SpooledRow[]) => number;

  constructor(db: Database.Database) {
    const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    const insertLog = db.prepare(`INSERT INTO usage_logs (${LOG_COLUMNS.join(', ')}) VALUES (${marks(LOG_COLUMNS.length)}) ${LOG_CONFLICT}`);
    const upserts = ROLLUP_TABLES.map((t) => ({
      rows: t.rows,
      run: db.prepare(`${rollupInsert(t)} (${marks(t.key.length + t.sums.length)}) ${rollupUpsert(t)}`),
    }));
    const touch = db.prepare(LAST_USED.replace(/\$1/g, '@at').replace('$2', '@id'));
    // The text search entry of each new row with a message, in the batch's transaction (no trigger: see UsageFtsByWriter1764500000011).
    // Prepared once the table exists: there is none before UsageLogSearch1764500000007 (usage-log-bench's "before" writes to that schema).
    const ftsTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`);
    let ftsInsert: Database.Statement | null = null;
    const indexMessage = (id: number | bigint, message: string) => {
      ftsInsert ??= ftsTable.get(FTS_TABLE) === undefined ? null : db.prepare(`INSERT INTO ${FTS_TABLE} (rowid, error_message) VALUES (?, ?)`);
      ftsInsert?.run(id, message);
    };
    this.run = db.transaction((rows: readonly SpooledRow[]) => {
      const inserted = rows.filter((row) => {
        const result = insertLog.run(logValues(row, Number));
        if (result.changes !== 1) return false;
        if (typeof row.errorMessage === 'string') indexMessage(result.lastInsertRowid, row.errorMessage);
        return true;
      });
      const rollup = rollUp(inserted);
      for (const upsert of upserts) for (const values of upsert.rows(rollup)) upsert.run.run(values);
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
      /** `head VALUES (…), (…) suffix` in statements of ROWS_PER_STATEMENT tuples; resolves with the rows they returned. */
      const insert = async (head: string, items: readonly unknown[][], suffix: string): Promise<unknown[]> => {
        const answers: unknown[] = [];
        for (let i = 0; i < items.length; i += PostgresUsageWriter.ROWS_PER_STATEMENT) {
          const params: unknown[] = [];
          const tuples = items.slice(i, i + PostgresUsageWriter.ROWS_PER_STATEMENT).map((v) => {
            const start = params.length;
            params.push(...v);
            return `(${v.map((_, j) => `$${start + j + 1}`).join(', ')})`;
          });
          const answer: unknown = await manager.query(`${head} ${tuples.join(', ')} ${suffix}`, params);
          if (Array.isArray(answer)) answers.push(...answer);
        }
        return answers;
      };
      const stored = await insert(
        `INSERT INTO usage_logs (${LOG_COLUMNS.join(', ')}) VALUES`,
        rows.map((row) => logValues(row)),
        `${LOG_CONFLICT} RETURNING row_uid`,
      );
      const insertedUids = new Set(stored.map((r) => (r as { row_uid: string }).row_uid));
      const inserted = insertedUids.size === rows.length ? rows : rows.filter((r) => insertedUids.has(r.uid));
      const rollup = rollUp(inserted);
      for (const t of ROLLUP_TABLES) await insert(rollupInsert(t), t.rows(rollup), rollupUpsert(t));
      for (const [id, at] of rollup.lastUsed) await manager.query(LAST_USED, [at, id]);
      return inserted.length;
    });
  }
}

export function createUsageWriter(dataSource: DataSource): UsageWriter {
  const sqlite = sqliteHandle(dataSource);
  return sqlite ? new SqliteUsageWriter(sqlite) : new PostgresUsageWriter(dataSource);
}
