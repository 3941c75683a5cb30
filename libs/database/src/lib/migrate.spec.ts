import { TestDatabase, testDatabaseKinds } from '../testing';
import { DataSource, QueryRunner } from 'typeorm';
import { createDataSource, dataSourceOptions } from './data-source';
import { openDatabase, pingDatabase, runMigrations } from './migrate';
import { migrations } from './migrations';

const TABLES = [
  'users',
  'sessions',
  'api_tokens',
  'usage_logs',
  'usage_daily',
  'usage_day_status',
  'usage_day_latency',
  'usage_day_model',
  'usage_month_model',
  'usage_day_token',
  'usage_month_token',
  'auth_epoch',
  'audit_events',
  'ip_denylist',
];
const INDEXES: Array<[string, string]> = [
  ['users', 'UQ_users_username_lower'],
  ['users', 'UQ_users_email_lower'],
  ['sessions', 'IDX_sessions_user'],
  ['api_tokens', 'IDX_api_tokens_user'],
  ['usage_logs', 'IDX_usage_logs_user_time'],
  ['usage_logs', 'IDX_usage_logs_token_time'],
  ['usage_logs', 'IDX_usage_logs_time'],
  ['usage_daily', 'IDX_usage_daily_user_day'],
  ['usage_day_latency', 'IDX_usage_day_latency_day'],
  ['usage_month_token', 'IDX_usage_month_token_month'],
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
  ['usage_day_latency', 'user_id', 'users'],
  ['usage_month_model', 'user_id', 'users'],
];

async function indexNames(ds: DataSource, table: string): Promise<string[]> {
  if (ds.options.type === 'postgres') {
    const rows: Array<{ indexname: string }> = await ds.query('SELECT indexname FROM pg_indexes WHERE tablename = $1', [table]);
    return rows.map((r) => r.indexname);
  }
  const rows: Array<{ name: string }> = await ds.query(`PRAGMA index_list("${table}")`);
  return rows.map((r) => r.name);
}

/**
 * Column names from the catalogue. Not by selecting a column and expecting an error: SQLite may
 * read a double-quoted name that is no column as a string literal, and answer rows instead.
 */
async function columnNames(ds: DataSource, table: string): Promise<string[]> {
  if (ds.options.type === 'postgres') {
    const rows: Array<{ column_name: string }> = await ds.query('SELECT column_name FROM information_schema.columns WHERE table_name = $1', [table]);
    return rows.map((r) => r.column_name);
  }
  const rows: Array<{ name: string }> = await ds.query(`PRAGMA table_info("${table}")`);
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
    // One runner, released: each unreleased PostgreSQL runner keeps a pool connection (10 in all).
    const runner = ds.createQueryRunner();
    try {
      for (const table of TABLES) expect(await runner.hasTable(table)).toBe(true);
    } finally {
      await runner.release();
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

  it('keeps the limits in one column per token and user, and no allowed_models column', async () => {
    expect(await columnNames(ds, 'api_tokens')).toContain('limits');
    expect(await columnNames(ds, 'api_tokens')).not.toContain('allowed_models');
    expect(await columnNames(ds, 'users')).toContain('limits');
  });

  it('refuses the same deny-list range twice', async () => {
    const p = ds.options.type === 'postgres' ? ['$1', '$2'] : ['?', '?'];
    const insert = `INSERT INTO ip_denylist ("range", "position", "created_at") VALUES (${p[0]}, ${p[1]}, 0)`;
    await ds.query(insert, ['10.0.0.0/8', 0]);
    await expect(ds.query(insert, ['10.0.0.0/8', 1])).rejects.toThrow(/unique|primary/i);
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

describe.each(testDatabaseKinds().filter((k) => k.kind === 'postgres'))('a long migration on $kind', ({ create }) => {
  it('runs past the query timeout of the request path (building an index over millions of rows takes minutes)', async () => {
    const db = await create();
    class Slow1999999999999 {
      name = 'Slow1999999999999';
      async up(q: QueryRunner): Promise<void> {
        await q.query('SELECT pg_sleep(0.6)');
      }
      async down(): Promise<void> {
        // nothing to undo
      }
    }
    const ds = new DataSource({ ...dataSourceOptions(db.target, [], { queryTimeoutMs: 200 }), migrations: [...migrations, Slow1999999999999] });
    try {
      await openDatabase(ds);
      const rows: Array<{ name: string }> = await ds.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1');
      expect(rows[0].name).toBe('Slow1999999999999');
      // The request path keeps its timeout.
      await expect(ds.query('SELECT pg_sleep(0.6)')).rejects.toThrow(/statement timeout/);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});

describe.each(testDatabaseKinds())('the limits migration on $kind, over existing tokens', ({ create }) => {
  const LIMITS = migrations.findIndex((m) => m.name === 'Limits1764500000004');
  let db: TestDatabase;
  let ds: DataSource;
  const rows = new Map<string, number>();

  /** A DataSource that knows the migrations before the limits one only: the schema as deployed before. */
  const before = (target: TestDatabase['target']) => new DataSource({ ...dataSourceOptions(target, []), migrations: migrations.slice(0, LIMITS) });

  beforeAll(async () => {
    db = await create();
    const old = await openDatabase(before(db.target));
    try {
      const p = old.options.type === 'postgres' ? (n: number) => `$${n}` : () => '?';
      await old.query(`INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES ('owner', 'owner@example.com', 'x', 0, 0)`);
      const [owner] = await old.query(`SELECT id FROM users WHERE username = 'owner'`);
      const tokens: Array<[string, string | null]> = [
        ['listed', JSON.stringify(['echo', 'gpt-4o'])],
        ['none', null],
        ['empty', '[]'],
        ['garbage', 'not json'],
        ['numbers', '[1, 2]'],
      ];
      for (const [name, allowed] of tokens) {
        await old.query(
          `INSERT INTO api_tokens (user_id, name, token_hash, hint, allowed_models, created_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, 'h', ${p(4)}, 0)`,
          [owner.id, name, `hash-${name}`, allowed],
        );
      }
      for (const row of (await old.query('SELECT id, name FROM api_tokens')) as Array<{ id: number; name: string }>) rows.set(row.name, Number(row.id));
    } finally {
      await old.destroy();
    }
    // Up to the limits migration and no further, so that undoing the last migration undoes it
    // (later migrations would otherwise be the last one).
    ds = await openDatabase(new DataSource({ ...dataSourceOptions(db.target, []), migrations: migrations.slice(0, LIMITS + 1) }));
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  const limitsOf = async (name: string): Promise<unknown> => {
    const [row] = await ds.query(`SELECT "limits" FROM "api_tokens" WHERE "id" = ${rows.get(name)}`);
    return row.limits === null ? null : JSON.parse(row.limits);
  };

  it("moves a token's allow-list into limits.allowed_models", async () => {
    expect(await limitsOf('listed')).toEqual({ allowed_models: ['echo', 'gpt-4o'] });
    expect(await limitsOf('empty')).toEqual({ allowed_models: [] });
  });

  it('leaves a token without an allow-list without limits', async () => {
    expect(await limitsOf('none')).toBeNull();
  });

  it('turns an unreadable allow-list into "no model", never into "every model"', async () => {
    expect(await limitsOf('garbage')).toEqual({ allowed_models: [] });
    expect(await limitsOf('numbers')).toEqual({ allowed_models: [] });
  });

  it('gives existing users no caps', async () => {
    expect(await ds.query(`SELECT "limits" FROM "users"`)).toEqual([{ limits: null }]);
  });

  it('goes down again: the allow-lists are back in allowed_models, limits and the deny list gone', async () => {
    // ds knows the migrations up to this one only: it is the last applied.
    await ds.undoLastMigration({ transaction: 'all' });
    const back: Array<{ name: string; allowed_models: string | null }> = await ds.query('SELECT name, allowed_models FROM api_tokens ORDER BY id');
    expect(back.map((r) => [r.name, r.allowed_models === null ? null : JSON.parse(r.allowed_models)])).toEqual([
      ['listed', ['echo', 'gpt-4o']],
      ['none', null],
      ['empty', []],
      ['garbage', []],
      ['numbers', []],
    ]);
    expect(await columnNames(ds, 'api_tokens')).not.toContain('limits');
    expect(await columnNames(ds, 'users')).not.toContain('limits');
    const runner = ds.createQueryRunner();
    expect(await runner.hasTable('ip_denylist')).toBe(false);
    await runner.release();
    // And up once more, as a restart would.
    expect((await runMigrations(ds)).map((m) => m.name)).toEqual(['Limits1764500000004']);
    expect(await limitsOf('listed')).toEqual({ allowed_models: ['echo', 'gpt-4o'] });
  });
});
