import { Logger } from '@nestjs/common';
import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the request log's filters and text search (GET /api/usage/logs), at millions
 * of rows. Every read is a keyset page in (created_at DESC, id DESC) order, so each filter
 * gets an index that ends in (created_at, id), once for everyone's rows and once behind
 * user_id for one owner's: a page of a filtered log then reads about `limit` index entries
 * however rare the value is, and a value no row has costs one index seek.
 * - model, endpoint, status_code: equality filters. `status=success|error` is read as one
 *   ordered stream per stored status code of that class (the codes are found by a skip scan
 *   over the same index), so it needs no index of its own.
 * - token_id: IDX_usage_logs_token_time exists already; (token_id, model) for the two together,
 *   the combination the dashboard offers most (a token's tab, then a model).
 * - `error_message IS NOT NULL`, partial: the ordered walk over the rows that have a message,
 *   which text search takes when its candidates are many. Only those rows (errors, a few
 *   per cent) pay for it on insert.
 * - Text search in error messages:
 *   - SQLite: `usage_logs_fts`, a contentless FTS5 table with the trigram tokenizer (SQLite
 *     3.43+ for contentless_delete; better-sqlite3 ships 3.5x), rowid = usage_logs.id, kept
 *     exact by triggers on insert, delete and update, so the writer's batch transaction,
 *     its ON CONFLICT (row_uid) DO NOTHING (no row, no trigger) and the retention's deletes
 *     maintain it with no code of theirs. Its Unicode case folding is looser than LOWER()'s
 *     ASCII folding: the service uses it only to find candidates and re-checks them with
 *     the LIKE the query always had.
 *   - PostgreSQL: a pg_trgm GIN index on LOWER(error_message), the very expression the query
 *     matches with LIKE, so the planner uses it directly. The extension may need rights the
 *     migration's role lacks: then the index is skipped with a warning (search stays exact
 *     and scans; create the extension as a superuser and run the migration's index by hand,
 *     see README "Troubleshooting").
 *
 * Write cost (tools/bench/usage-log-bench.ts --rate-only, the UsageWriter appending batches of
 * 500 on a loaded 2-core machine, so roughly): SQLite about 15-20k rows/s before, 2.5-4.5k after,
 * most of it the b-trees (each batch dirties a page per hot key range: token x model alone has
 * up to 2,000), the FTS triggers about a third more; PostgreSQL 4.2k -> 2.4k rows/s. A team's
 * 10 M rows a year are 0.3 rows/s on average; the rate matters for replaying a long spool.
 */
const BTREES: Array<[name: string, columns: string[]]> = [
  ['IDX_usage_logs_model_time', ['model', 'created_at', 'id']],
  ['IDX_usage_logs_user_model_time', ['user_id', 'model', 'created_at', 'id']],
  ['IDX_usage_logs_endpoint_time', ['endpoint', 'created_at', 'id']],
  ['IDX_usage_logs_user_endpoint_time', ['user_id', 'endpoint', 'created_at', 'id']],
  ['IDX_usage_logs_status_time', ['status_code', 'created_at', 'id']],
  ['IDX_usage_logs_user_status_time', ['user_id', 'status_code', 'created_at', 'id']],
  // A token's rows of one model (its own tab of the dashboard): without it a model the token
  // never used reads every row of the token.
  ['IDX_usage_logs_token_model_time', ['token_id', 'model', 'created_at', 'id']],
];
/** The WHERE of the partial indexes: the service writes exactly this term (SQLite matches it literally). */
export const HAS_MESSAGE = '"error_message" IS NOT NULL';
const PARTIALS: Array<[name: string, columns: string[]]> = [
  ['IDX_usage_logs_message_time', ['created_at', 'id']],
  ['IDX_usage_logs_user_message_time', ['user_id', 'created_at', 'id']],
];
export const TRGM_INDEX = 'IDX_usage_logs_message_trgm';
export const FTS_TABLE = 'usage_logs_fts';
/** The insert trigger this migration makes; UsageFtsByWriter1764500000011 drops it (the usage writer adds the entries). */
export const FTS_INSERT_TRIGGER = 'usage_logs_fts_insert';
export const CREATE_FTS_INSERT_TRIGGER = `CREATE TRIGGER "${FTS_INSERT_TRIGGER}" AFTER INSERT ON "usage_logs" WHEN new."error_message" IS NOT NULL BEGIN
      INSERT INTO "${FTS_TABLE}" (rowid, error_message) VALUES (new."id", new."error_message"); END`;
const FTS_TRIGGERS = [FTS_INSERT_TRIGGER, 'usage_logs_fts_delete', 'usage_logs_fts_update'];

const list = (columns: string[]) => columns.map((c) => `"${c}"`).join(', ');

export class UsageLogSearch1764500000007 implements MigrationInterface {
  name = 'UsageLogSearch1764500000007';
  private readonly logger = new Logger(UsageLogSearch1764500000007.name);

  async up(q: QueryRunner): Promise<void> {
    for (const [name, columns] of BTREES) await q.query(`CREATE INDEX "${name}" ON "usage_logs" (${list(columns)})`);
    for (const [name, columns] of PARTIALS) await q.query(`CREATE INDEX "${name}" ON "usage_logs" (${list(columns)}) WHERE ${HAS_MESSAGE}`);
    if (q.connection.options.type === 'postgres') await this.upTrigram(q);
    else await this.upFts(q);
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      await q.query(`DROP INDEX IF EXISTS "${TRGM_INDEX}"`);
    } else {
      for (const trigger of FTS_TRIGGERS) await q.query(`DROP TRIGGER IF EXISTS "${trigger}"`);
      await q.query(`DROP TABLE IF EXISTS "${FTS_TABLE}"`);
    }
    for (const [name] of [...PARTIALS, ...BTREES].reverse()) await q.query(`DROP INDEX "${name}"`);
  }

  private async upFts(q: QueryRunner): Promise<void> {
    await q.query(`CREATE VIRTUAL TABLE "${FTS_TABLE}" USING fts5(error_message, content='', contentless_delete=1, tokenize='trigram')`);
    await q.query(`INSERT INTO "${FTS_TABLE}" (rowid, error_message) SELECT "id", "error_message" FROM "usage_logs" WHERE ${HAS_MESSAGE}`);
    await q.query(CREATE_FTS_INSERT_TRIGGER);
    await q.query(`CREATE TRIGGER "usage_logs_fts_delete" AFTER DELETE ON "usage_logs" WHEN old."error_message" IS NOT NULL BEGIN
      DELETE FROM "${FTS_TABLE}" WHERE rowid = old."id"; END`);
    await q.query(`CREATE TRIGGER "usage_logs_fts_update" AFTER UPDATE OF "id", "error_message" ON "usage_logs" BEGIN
      DELETE FROM "${FTS_TABLE}" WHERE rowid = old."id";
      INSERT INTO "${FTS_TABLE}" (rowid, error_message) SELECT new."id", new."error_message" WHERE new."error_message" IS NOT NULL; END`);
  }

  /** The GIN index when pg_trgm is there or can be created; else a warning, never a failed migration. */
  private async upTrigram(q: QueryRunner): Promise<void> {
    const installed = async () => ((await q.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'`)) as unknown[]).length > 0;
    if (!(await installed())) {
      // A failed statement aborts the migration's transaction: try inside a savepoint.
      await q.query('SAVEPOINT usage_log_trgm');
      try {
        await q.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
        await q.query('RELEASE SAVEPOINT usage_log_trgm');
      } catch (err) {
        await q.query('ROLLBACK TO SAVEPOINT usage_log_trgm');
        this.logger.warn(
          `pg_trgm could not be created (${(err as Error).message}): ${TRGM_INDEX} is skipped, so text search in the request log ` +
            'stays exact but reads every row with an error message. A superuser can run CREATE EXTENSION pg_trgm and then ' +
            `CREATE INDEX "${TRGM_INDEX}" ON usage_logs USING gin (LOWER(error_message) gin_trgm_ops) WHERE ${HAS_MESSAGE}.`,
        );
        return;
      }
    }
    await q.query(`CREATE INDEX "${TRGM_INDEX}" ON "usage_logs" USING gin (LOWER("error_message") gin_trgm_ops) WHERE ${HAS_MESSAGE}`);
  }
}
