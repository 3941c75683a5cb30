import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A unique id per usage row, given by the proxy when the request ends. Rows are written ahead
 * to a local spool file and may be inserted again after a crash or an outage (replay); the
 * unique index makes every insert `ON CONFLICT (row_uid) DO NOTHING`, so a row counts once
 * however often it is replayed, and the rollups are summed from the rows actually inserted.
 * Rows written before this migration keep NULL (NULLs never conflict on either engine).
 */
export class UsageRowUid1764500000002 implements MigrationInterface {
  name = 'UsageRowUid1764500000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "usage_logs" ADD COLUMN "row_uid" varchar(40) NULL');
    await q.query('CREATE UNIQUE INDEX "UQ_usage_logs_row_uid" ON "usage_logs" ("row_uid")');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX "UQ_usage_logs_row_uid"');
    await q.query('ALTER TABLE "usage_logs" DROP COLUMN "row_uid"');
  }
}
