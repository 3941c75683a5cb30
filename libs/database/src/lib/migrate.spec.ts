import { TestDatabase, testDatabaseKinds } from '../testing';
import { DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import { openDatabase, pingDatabase, runMigrations } from './migrate';
import { migrations } from './migrations';

const TABLES = ['users', 'sessions', 'api_tokens', 'usage_logs', 'usage_daily', 'usage_daily_latency', 'auth_epoch', 'audit_events'];
const INDEXES: Array<[string, string]> = [
  ['users', 'UQ_users_username_lower'],
  ['users', 'UQ_users_email_lower'],
  ['sessions', 'IDX_sessions_user'],
  ['api_tokens', 'IDX_api_tokens_user'],
  ['usage_logs', 'IDX_usage_logs_user_time'],
  ['usage_logs', 'IDX_usage_logs_token_time'],
  ['usage_logs', 'IDX_usage_logs_time'],
  ['usage_daily', 'IDX_usage_daily_user_day'],
  ['usage_daily_latency', 'IDX_usage_daily_latency_user_day'],
  ['usage_daily', 'IDX_usage_daily_token_day'],
  ['audit_events', 'IDX_audit_events_action'],
  ['audit_events', 'IDX_audit_events_actor'],
];
const FOREIGN_KEYS: Array<[string, string, string]> = [
  ['sessions', 'user_id', 'users'],
  ['api_tokens', 'user_id', 'users'],
  ['usage_logs', 'user_id', 'users'],
  ['usage_logs', 'token_id', 'api_tokens'],
  ['usage_daily', 'token_id', 'api_tokens'],
  ['usage_daily_latency', 'user_id', 'users'],
];

async function indexNames(ds: DataSource, table: string): Promise<string[]> {
  if (ds.options.type === 'postgres') {
    const rows: Array<{ indexname: string }> = await ds.query('SELECT indexname FROM pg_indexes WHERE tablename = $1', [table]);
    return rows.map((r) => r.indexname);
  }
  const rows: Array<{ name: string }> = await ds.query(`PRAGMA index_list("${table}")`);
  return rows.map((r) => r.name);
}

async function foreignKeys(ds: DataSource, table: string): Promise<Array<[string, string]>> {
  if (ds.options.type === 'postgres') {
    const rows: Array<{ column: string; target: string }> = await ds.query(
      `SELECT kcu.column_name AS column, ccu.table_name AS target
         FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name
         JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name
        WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name = $1`,
      [table],
    );
    return rows.map((r) => [r.column, r.target]);
  }
  const rows: Array<{ from: string; table: string }> = await ds.query(`PRAGMA foreign_key_list("${table}")`);
  return rows.map((r) => [r.from, r.table]);
}

describe.each(testDatabaseKinds())('migrations on $kind', ({ create }) => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await create();
    ds = await openDatabase(createDataSource(db.target, []));
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  it('creates every table', async () => {
    for (const table of TABLES) {
      expect(await ds.createQueryRunner().hasTable(table)).toBe(true);
    }
  });

  it('creates the indexes the hot queries need', async () => {
    for (const [table, index] of INDEXES) {
      expect(await indexNames(ds, table)).toContain(index);
    }
  });

  it('declares the foreign keys', async () => {
    for (const [table, column, target] of FOREIGN_KEYS) {
      expect(await foreignKeys(ds, table)).toContainEqual([column, target]);
    }
  });

  it('enforces foreign keys', async () => {
    await expect(
      ds.query(
        'INSERT INTO api_tokens (user_id, name, token_hash, hint, created_at) VALUES (999999, $1, $2, $3, 0)'.replace(
          /\$\d/g,
          ds.options.type === 'postgres' ? (m) => m : () => '?',
        ),
        ['n', 'h', 'x'],
      ),
    ).rejects.toThrow(/foreign key|FOREIGN KEY/i);
  });

  it('is idempotent: a second run finds nothing to do', async () => {
    expect(await runMigrations(ds)).toEqual([]);
    const rows: Array<{ n: number | string }> = await ds.query('SELECT COUNT(*) AS n FROM migrations');
    expect(Number(rows[0].n)).toBe(migrations.length);
  });

  it('refuses a second user with the same username or email in another case', async () => {
    const p = ds.options.type === 'postgres' ? ['$1', '$2'] : ['?', '?'];
    const insert = `INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES (${p[0]}, ${p[1]}, 'x', 0, 0)`;
    await ds.query(insert, ['Alice', 'alice@example.com']);
    await expect(ds.query(insert, ['alice', 'other@example.com'])).rejects.toThrow(/unique/i);
    await expect(ds.query(insert, ['bob', 'ALICE@example.com'])).rejects.toThrow(/unique/i);
  });

  it('gives sessions the columns of the sessions list', async () => {
    await expect(ds.query('SELECT "last_seen_at", "ip", "user_agent" FROM "sessions"')).resolves.toEqual([]);
  });

  it('answers a ping with a measured latency', async () => {
    const ms = await pingDatabase(ds);
    expect(ms).toBeGreaterThan(0);
  });
});

describe.each(testDatabaseKinds().filter((k) => k.kind === 'postgres'))('concurrent migration on $kind', ({ create }) => {
  it('lets two DataSources migrate one fresh database at once', async () => {
    const db = await create();
    const a = createDataSource(db.target, []);
    const b = createDataSource(db.target, []);
    try {
      const [ranA, ranB] = await Promise.all([openDatabase(a).then(() => runMigrations(a)), openDatabase(b).then(() => runMigrations(b))]);
      expect(ranA).toEqual([]);
      expect(ranB).toEqual([]);
      const rows: Array<{ n: string }> = await a.query('SELECT COUNT(*) AS n FROM migrations');
      expect(Number(rows[0].n)).toBe(migrations.length);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
      await db.drop();
    }
  });
});
