import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });

/**
 * The LMArena bridge: bridge keys (one per installed userscript, stored as SHA-256 like API
 * tokens), the site's model list as the userscripts report it, and the browsers each proxy
 * instance holds (so the dashboard, another process, can list them). Timestamps are epoch ms.
 */
export class Bridge1764500000000 implements MigrationInterface {
  name = 'Bridge1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'bridge_keys',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'name', type: 'varchar', length: '100', isNullable: false },
          { name: 'key_hash', type: 'varchar', length: '64', isNullable: false, isUnique: true },
          { name: 'hint', type: 'varchar', length: '32', isNullable: false },
          { name: 'created_by', type: 'integer', isNullable: true },
          ms('created_at'),
          ms('last_used_at', true),
          ms('revoked_at', true),
        ],
        foreignKeys: [{ columnNames: ['created_by'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'SET NULL' }],
        indices: [{ name: 'IDX_bridge_keys_created', columnNames: ['created_at', 'id'] }],
      }),
    );

    await q.createTable(
      new Table({
        name: 'bridge_models',
        columns: [
          { name: 'id', type: 'varchar', length: '100', isPrimary: true },
          { name: 'public_name', type: 'varchar', length: '200', isNullable: true },
          { name: 'organization', type: 'varchar', length: '200', isNullable: true },
          { name: 'provider', type: 'varchar', length: '200', isNullable: true },
          { name: 'capabilities', type: 'text', isNullable: true },
          ms('reported_at'),
        ],
      }),
    );

    // No foreign key to bridge_keys: a row is a live socket's mirror, written by the proxy on
    // its hot path; a revoked key's browsers are dropped by the proxy itself.
    await q.createTable(
      new Table({
        name: 'bridge_browsers',
        columns: [
          { name: 'browser_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'instance_id', type: 'varchar', length: '64', isNullable: false },
          { name: 'key_id', type: 'integer', isNullable: true },
          { name: 'origin', type: 'varchar', length: '200', isNullable: false },
          { name: 'version', type: 'varchar', length: '50', isNullable: false },
          ms('connected_at'),
          { name: 'in_flight', type: 'integer', isNullable: false, default: 0 },
          { name: 'last_error', type: 'varchar', length: '500', isNullable: true },
          ms('seen_at'),
        ],
        indices: [
          { name: 'IDX_bridge_browsers_seen', columnNames: ['seen_at'] },
          { name: 'IDX_bridge_browsers_instance', columnNames: ['instance_id'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('bridge_browsers');
    await q.dropTable('bridge_models');
    await q.dropTable('bridge_keys');
  }
}
