import { DataSource } from 'typeorm';
import { TestDatabase, testDatabaseKinds } from '../../testing';
import { dataSourceOptions } from '../data-source';
import { runMigrations } from '../migrate';
import { migrations } from '.';
import { Webhooks1764500000010 } from './1764500000010-webhooks';

const TABLES = ['notification_marks', 'notification_prefs', 'webhook_deliveries', 'webhook_lease', 'webhook_outbox', 'webhooks'];

async function tables(ds: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> =
    ds.options.type === 'postgres'
      ? await ds.query(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`)
      : await ds.query(`SELECT name FROM sqlite_master WHERE type = 'table'`);
  return rows
    .map((r) => r.name)
    .filter((n) => TABLES.includes(n))
    .sort();
}

describe.each(testDatabaseKinds())('migration Webhooks1764500000010 on $kind', ({ create }) => {
  let db: TestDatabase;
  let ds: DataSource;
  const p = (i: number) => (ds.options.type === 'postgres' ? `$${i}` : '?');

  beforeAll(async () => {
    db = await create();
    ds = new DataSource({ ...dataSourceOptions(db.target, []), migrations });
    await ds.initialize();
    await runMigrations(ds);
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  it('creates the webhook tables; deleting a user removes its webhooks, their outbox and log (ON DELETE CASCADE)', async () => {
    expect(await tables(ds)).toEqual(TABLES);
    await ds.query(`INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES ('w', 'w@example.com', 'x', 0, 0)`);
    const userId = Number((await ds.query(`SELECT id FROM users WHERE username = 'w'`))[0].id);
    await ds.query(`INSERT INTO webhooks (user_id, url, events, secret, created_at) VALUES (${p(1)}, 'https://x', '[]', 'v1.a.b.c', 0)`, [userId]);
    const hookId = Number((await ds.query('SELECT id FROM webhooks'))[0].id);
    await ds.query(
      `INSERT INTO webhook_outbox (delivery_id, webhook_id, event_id, type, body, state, created_at, next_attempt_at) VALUES ('d', ${p(1)}, 'e', 't', '{}', 'pending', 0, 0)`,
      [hookId],
    );
    await ds.query(
      `INSERT INTO webhook_deliveries (outbox_id, webhook_id, delivery_id, type, attempt, latency_ms, created_at) VALUES (1, ${p(1)}, 'd', 't', 1, 5, 0)`,
      [hookId],
    );
    await ds.query(`INSERT INTO notification_prefs (user_id, report) VALUES (${p(1)}, 'daily')`, [userId]);
    // A second outbox row with the same delivery id is refused: it is what receivers deduplicate by.
    await expect(
      ds.query(
        `INSERT INTO webhook_outbox (delivery_id, webhook_id, event_id, type, body, state, created_at, next_attempt_at) VALUES ('d', ${p(1)}, 'e', 't', '{}', 'pending', 0, 0)`,
        [hookId],
      ),
    ).rejects.toThrow();
    await ds.query(`DELETE FROM users WHERE id = ${p(1)}`, [userId]);
    for (const t of ['webhooks', 'webhook_outbox', 'webhook_deliveries', 'notification_prefs']) {
      expect(Number((await ds.query(`SELECT COUNT(*) AS n FROM ${t}`))[0].n)).toBe(0);
    }
  });

  it('reverts cleanly', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new Webhooks1764500000010().down(runner);
      expect(await tables(ds)).toEqual([]);
      await new Webhooks1764500000010().up(runner);
      expect(await tables(ds)).toEqual(TABLES);
    } finally {
      await runner.release();
    }
  });
});
