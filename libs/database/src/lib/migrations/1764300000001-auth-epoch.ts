import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * A single counter bumped in the same transaction as every change that can make a valid
 * token invalid (revocation, owner disabled). Proxies poll this one row to drop their
 * token cache, so steady-state requests read nothing from the database.
 */
export class AuthEpoch1764300000001 implements MigrationInterface {
  name = 'AuthEpoch1764300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'auth_epoch',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'epoch', type: 'bigint', isNullable: false, default: 0 },
        ],
      }),
    );
    await q.query('INSERT INTO "auth_epoch" ("id", "epoch") VALUES (1, 0)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('auth_epoch');
  }
}
