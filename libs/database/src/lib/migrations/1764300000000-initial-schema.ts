import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

const id: TableColumnOptions = { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const int = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable: nullable });
const counter = (name: string): TableColumnOptions => ({ name, type: 'bigint', isNullable: false, default: 0 });
const userFk = (onDelete: 'CASCADE' | 'SET NULL') => ({
  columnNames: ['user_id'],
  referencedTableName: 'users',
  referencedColumnNames: ['id'],
  onDelete,
});
const tokenFk = (onDelete: 'CASCADE' | 'SET NULL') => ({
  columnNames: ['token_id'],
  referencedTableName: 'api_tokens',
  referencedColumnNames: ['id'],
  onDelete,
});

/**
 * The first schema: accounts, sessions, API tokens, raw usage rows and the per-day rollups
 * the analytics read. Written with TypeORM's portable Table API so the same migration runs
 * on SQLite and PostgreSQL. Timestamps are epoch milliseconds (bigint), see epochMs.
 */
export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          id,
          { name: 'username', type: 'varchar', length: '64', isNullable: false },
          { name: 'email', type: 'varchar', length: '254', isNullable: false },
          { name: 'password_hash', type: 'varchar', length: '100', isNullable: false },
          { name: 'role', type: 'varchar', length: '16', isNullable: false, default: "'user'" },
          { name: 'disabled', type: 'boolean', isNullable: false, default: false },
          ms('created_at'),
          ms('updated_at'),
          ms('last_login_at', true),
        ],
      }),
    );
    // Usernames and emails are unique regardless of case; both engines index expressions.
    await q.query('CREATE UNIQUE INDEX "UQ_users_username_lower" ON "users" (lower("username"))');
    await q.query('CREATE UNIQUE INDEX "UQ_users_email_lower" ON "users" (lower("email"))');

    await q.createTable(
      new Table({
        name: 'sessions',
        columns: [
          id,
          int('user_id'),
          { name: 'session_hash', type: 'varchar', length: '64', isNullable: false, isUnique: true },
          ms('created_at'),
          ms('expires_at'),
          ms('revoked_at', true),
        ],
        foreignKeys: [userFk('CASCADE')],
        indices: [{ name: 'IDX_sessions_user', columnNames: ['user_id'] }],
        uniques: [],
      }),
    );

    await q.createTable(
      new Table({
        name: 'api_tokens',
        columns: [
          id,
          int('user_id'),
          { name: 'name', type: 'varchar', length: '100', isNullable: false },
          { name: 'token_hash', type: 'varchar', length: '64', isNullable: false, isUnique: true },
          { name: 'hint', type: 'varchar', length: '32', isNullable: false },
          // JSON array of model names the token may use; null means every model.
          { name: 'allowed_models', type: 'text', isNullable: true },
          ms('created_at'),
          ms('last_used_at', true),
          ms('expires_at', true),
          ms('revoked_at', true),
        ],
        foreignKeys: [userFk('CASCADE')],
        indices: [{ name: 'IDX_api_tokens_user', columnNames: ['user_id', 'created_at'] }],
      }),
    );

    await q.createTable(
      new Table({
        name: 'usage_logs',
        columns: [
          id,
          ms('created_at'),
          int('user_id', true),
          int('token_id', true),
          { name: 'model', type: 'varchar', length: '200', isNullable: false },
          { name: 'endpoint', type: 'varchar', length: '100', isNullable: false },
          { name: 'stream', type: 'boolean', isNullable: false, default: false },
          int('status_code'),
          int('response_time_ms'),
          int('ttft_ms', true),
          int('prompt_tokens', true),
          int('completion_tokens', true),
          { name: 'error_message', type: 'text', isNullable: true },
        ],
        foreignKeys: [userFk('SET NULL'), tokenFk('SET NULL')],
        indices: [
          // Request log and export: newest first per owner / per token, keyset (created_at, id).
          { name: 'IDX_usage_logs_user_time', columnNames: ['user_id', 'created_at', 'id'] },
          { name: 'IDX_usage_logs_token_time', columnNames: ['token_id', 'created_at', 'id'] },
          // Admin-wide log and the retention job's range delete.
          { name: 'IDX_usage_logs_time', columnNames: ['created_at', 'id'] },
        ],
      }),
    );

    // Per UTC day (days since the epoch) and owner, token, model and status: what the
    // summary sums, so it reads O(days x models) rows instead of every request.
    const rollupKey = [int('day'), int('user_id'), int('token_id'), { name: 'model', type: 'varchar', length: '200', isNullable: false }];
    await q.createTable(
      new Table({
        name: 'usage_daily',
        columns: [
          ...rollupKey.map((c) => ({ ...c, isPrimary: true })),
          { ...int('status_code'), isPrimary: true },
          counter('requests'),
          counter('response_time_ms_sum'),
          counter('prompt_tokens'),
          counter('completion_tokens'),
        ],
        foreignKeys: [userFk('CASCADE'), tokenFk('CASCADE')],
        indices: [
          { name: 'IDX_usage_daily_user_day', columnNames: ['user_id', 'day'] },
          { name: 'IDX_usage_daily_day', columnNames: ['day'] },
        ],
      }),
    );
    // Response-time histogram per day, owner, token and model: count of requests per
    // latency bucket, from which percentiles are read.
    await q.createTable(
      new Table({
        name: 'usage_daily_latency',
        columns: [...rollupKey.map((c) => ({ ...c, isPrimary: true })), { ...int('bucket'), isPrimary: true }, counter('count')],
        foreignKeys: [userFk('CASCADE'), tokenFk('CASCADE')],
        indices: [
          { name: 'IDX_usage_daily_latency_user_day', columnNames: ['user_id', 'day'] },
          { name: 'IDX_usage_daily_latency_day', columnNames: ['day'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['usage_daily_latency', 'usage_daily', 'usage_logs', 'api_tokens', 'sessions', 'users']) {
      await q.dropTable(table);
    }
  }
}
