import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * `usage_logs.usage_estimated`: the row's token counts were computed by the proxy (a
 * tokenizer) because the upstream reported none (the LMArena site), not read from the
 * upstream's `usage`. Existing rows were all reported by their upstream: false.
 */
export class UsageEstimated1764500000001 implements MigrationInterface {
  name = 'UsageEstimated1764500000001';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('usage_logs', new TableColumn({ name: 'usage_estimated', type: 'boolean', isNullable: false, default: false }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('usage_logs', 'usage_estimated');
  }
}
