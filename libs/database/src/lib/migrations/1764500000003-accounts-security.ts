import { MigrationInterface, QueryRunner, Table } from 'typeorm';

const SESSION_COLUMNS = ['"last_seen_at" bigint', '"ip" varchar(64)', '"user_agent" varchar(300)'];

/**
 * Account security: sessions learn when and from where they were last used (for the
 * sessions list), and an append-only audit log records who did what. audit_events keeps
 * the actor's name next to the id so the record survives a deleted user.
 */
export class AccountsSecurity1764500000003 implements MigrationInterface {
  name = 'AccountsSecurity1764500000003';

  async up(q: QueryRunner): Promise<void> {
    // Plain ALTER TABLE: both engines add a nullable column in place (TypeORM's SQLite
    // runner would copy the whole table instead).
    for (const column of SESSION_COLUMNS) await q.query(`ALTER TABLE "sessions" ADD COLUMN ${column}`);
    await q.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'at', type: 'bigint', isNullable: false },
          { name: 'actor_id', type: 'integer', isNullable: true },
          { name: 'actor', type: 'varchar', length: '254', isNullable: true },
          { name: 'action', type: 'varchar', length: '64', isNullable: false },
          { name: 'target', type: 'varchar', length: '254', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          // JSON object; never secrets.
          { name: 'detail', type: 'text', isNullable: true },
        ],
        indices: [
          // The list reads newest first by id (keyset), optionally per action or actor.
          { name: 'IDX_audit_events_action', columnNames: ['action', 'id'] },
          { name: 'IDX_audit_events_actor', columnNames: ['actor_id', 'id'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_events');
    for (const column of [...SESSION_COLUMNS].reverse()) await q.query(`ALTER TABLE "sessions" DROP COLUMN ${column.split(' ')[0]}`);
  }
}
