import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Outgoing webhooks.
 * - `webhooks`: a user's subscriptions. `events` is a JSON array of event types. `secret` is the
 *   signing secret encrypted with AES-256-GCM under the server key (`webhooks.secret_key`):
 *   `v1.<iv>.<tag>.<ciphertext>` in base64url; never the plain secret.
 * - `webhook_outbox`: one row per (event, webhook), inserted in the transaction of the change
 *   the event describes, so an event exists exactly when its change committed. `body` is the
 *   JSON sent (fixed at write time, so every retry signs the same bytes); `delivery_id` is the
 *   id receivers deduplicate by. The worker takes rows whose `next_attempt_at` has passed.
 * - `webhook_deliveries`: one row per attempt (status code, latency, error, ≤ 1 KB of the answer).
 * - `webhook_lease`: one row per named job; the instance whose lease has not expired runs it.
 * - `notification_marks`: what the periodic job has already announced (`token.expiring:7d:…`,
 *   `quota.threshold:…:80`, `rate_limit.exceeded:<token>`, `report:…`), so each notice goes out
 *   once; `value`/`period` hold the figure last seen where a notice may repeat.
 * - `notification_prefs`: per user, the e-mail usage report (`off`, `daily`, `weekly`).
 */
export class Webhooks1764500000010 implements MigrationInterface {
  name = 'Webhooks1764500000010';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'webhooks',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'user_id', type: 'integer', isNullable: false },
          { name: 'url', type: 'varchar', length: '2048', isNullable: false },
          { name: 'events', type: 'text', isNullable: false },
          { name: 'description', type: 'varchar', length: '200', isNullable: true },
          { name: 'secret', type: 'varchar', length: '200', isNullable: false },
          { name: 'created_at', type: 'bigint', isNullable: false },
        ],
        foreignKeys: [{ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
        indices: [{ name: 'IDX_webhooks_user', columnNames: ['user_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'webhook_outbox',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'delivery_id', type: 'varchar', length: '36', isNullable: false, isUnique: true },
          { name: 'webhook_id', type: 'integer', isNullable: false },
          { name: 'event_id', type: 'varchar', length: '36', isNullable: false },
          { name: 'type', type: 'varchar', length: '64', isNullable: false },
          { name: 'body', type: 'text', isNullable: false },
          // pending → delivered | failed (gave up after 24 h).
          { name: 'state', type: 'varchar', length: '16', isNullable: false },
          { name: 'attempts', type: 'integer', isNullable: false, default: 0 },
          { name: 'created_at', type: 'bigint', isNullable: false },
          { name: 'next_attempt_at', type: 'bigint', isNullable: false },
          { name: 'finished_at', type: 'bigint', isNullable: true },
        ],
        foreignKeys: [{ columnNames: ['webhook_id'], referencedTableName: 'webhooks', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      }),
    );
    await q.createIndex('webhook_outbox', new TableIndex({ name: 'IDX_webhook_outbox_due', columnNames: ['state', 'next_attempt_at'] }));
    await q.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'outbox_id', type: 'integer', isNullable: false },
          { name: 'webhook_id', type: 'integer', isNullable: false },
          { name: 'delivery_id', type: 'varchar', length: '36', isNullable: false },
          { name: 'type', type: 'varchar', length: '64', isNullable: false },
          { name: 'attempt', type: 'integer', isNullable: false },
          { name: 'status_code', type: 'integer', isNullable: true },
          { name: 'latency_ms', type: 'integer', isNullable: false },
          { name: 'error', type: 'varchar', length: '500', isNullable: true },
          { name: 'response_body', type: 'varchar', length: '1024', isNullable: true },
          { name: 'created_at', type: 'bigint', isNullable: false },
        ],
        foreignKeys: [{ columnNames: ['webhook_id'], referencedTableName: 'webhooks', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
        indices: [{ name: 'IDX_webhook_deliveries_webhook', columnNames: ['webhook_id', 'id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'webhook_lease',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '64', isNullable: false },
          { name: 'expires_at', type: 'bigint', isNullable: false },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'notification_marks',
        columns: [
          { name: 'key', type: 'varchar', length: '200', isPrimary: true },
          { name: 'at', type: 'bigint', isNullable: false },
          { name: 'value', type: 'bigint', isNullable: false, default: 0 },
          { name: 'period', type: 'integer', isNullable: false, default: 0 },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'notification_prefs',
        columns: [
          { name: 'user_id', type: 'integer', isPrimary: true },
          { name: 'report', type: 'varchar', length: '8', isNullable: false },
        ],
        foreignKeys: [{ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('notification_prefs');
    await q.dropTable('notification_marks');
    await q.dropTable('webhook_lease');
    await q.dropTable('webhook_deliveries');
    await q.dropTable('webhook_outbox');
    await q.dropTable('webhooks');
  }
}
