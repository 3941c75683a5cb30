import { MigrationInterface, QueryRunner } from 'typeorm';
import { CREATE_FTS_INSERT_TRIGGER, FTS_INSERT_TRIGGER } from './1764500000007-usage-log-search';

/**
 * SQLite: the usage writer adds the text search entries of the rows it inserts itself, in the
 * batch's transaction (SqliteUsageWriter), instead of the AFTER INSERT trigger of
 * UsageLogSearch1764500000007. Any AFTER INSERT trigger on `usage_logs`, even one whose WHEN
 * is false for the row, made each insert cost ~4x (measured: 30–37 µs a row against 7.6–8.3 µs
 * without it, on a fresh database with the request log's twelve indexes; most of the
 * proxy's usage CPU). The delete and update triggers stay: retention and edits keep the index
 * exact by themselves. PostgreSQL's trigram index needs no trigger: nothing to do.
 */
export class UsageFtsByWriter1764500000011 implements MigrationInterface {
  name = 'UsageFtsByWriter1764500000011';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') return;
    await q.query(`DROP TRIGGER IF EXISTS "${FTS_INSERT_TRIGGER}"`);
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') return;
    // Rows the writer indexed are in the FTS table already; the trigger takes the next ones.
    await q.query(CREATE_FTS_INSERT_TRIGGER);
  }
}
