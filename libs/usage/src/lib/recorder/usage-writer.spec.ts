import { dataSourceOptions, FTS_TABLE, migrations, runMigrations } from '@lmarena-bridge/database';
import { DataSource } from 'typeorm';
import { tempSqliteDatabase, testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { bruteForceRollups, ROLLUP_TABLE_NAMES } from '../../testing/rollup-fixtures';
import { aUsageRow, NOON, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { UsageRow, utcDay } from './usage-row';
import { SpooledRow } from './usage-spool';
import { createUsageWriter, UsageWriter } from './usage-writer';

let uid = 0;
const withUids = (rows: UsageRow[]): SpooledRow[] => rows.map((r) => ({ ...r, uid: `writer-spec-${process.pid}-${uid++}` }));

describe.each(testDatabaseKinds())('usage writer on $kind', ({ kind, create }) => {
  let db: UsageTestDatabase;
  let writer: UsageWriter;

  /** Every summary rollup of the user holds exactly the sums of `rows`. */
  const expectRollupsOf = async (userId: number, rows: UsageRow[]) => {
    const expected = bruteForceRollups(rows);
    for (const table of ROLLUP_TABLE_NAMES) expect([table, await db.rollup(table, userId)]).toEqual([table, expected[table]]);
  };

  beforeAll(async () => {
    db = await openUsageTestDatabase(create);
    writer = createUsageWriter(db.dataSource);
  });
  afterAll(() => db?.close());

  it(`uses the ${kind} writer`, () => {
    expect(writer.constructor.name).toBe(kind === 'sqlite' ? 'SqliteUsageWriter' : 'PostgresUsageWriter');
  });

  it('writes a batch, its rollups and last_used_at in one transaction: a failing row writes nothing', async () => {
    const owner = await db.anOwner();
    const good = withUids([aUsageRow({ ...owner, createdAt: NOON + 1 }), aUsageRow({ ...owner, createdAt: NOON + 2 })]);
    // A token that does not exist breaks the foreign key of the last row only.
    const rows = [...good, ...withUids([aUsageRow({ userId: owner.userId, tokenId: 2_000_000_000 })])];

    // Not `rejects.toThrow()`: better-sqlite3 builds its errors with the class of the first
    // test file that loaded it in this worker, which is no Error of this file's realm.
    const failure = await writer.write(rows).then(
      () => 'written',
      (err: unknown) => err,
    );
    expect(failure).toMatchObject({ message: expect.stringMatching(/foreign key/i) });

    expect(await db.logs(owner.tokenId)).toEqual([]);
    expect(await db.daily(owner.tokenId)).toEqual([]);
    await expectRollupsOf(owner.userId, []);
    expect(await db.lastUsedAt(owner.tokenId)).toBeNull();

    expect(await writer.write(good)).toBe(2);
    expect(await db.logs(owner.tokenId)).toHaveLength(2);
    expect(await db.lastUsedAt(owner.tokenId)).toBe(NOON + 2);
  });

  it('writes a batch larger than one multi-row statement holds', async () => {
    const owner = await db.anOwner();
    const rows = withUids(
      Array.from({ length: 2_345 }, (_, i) => aUsageRow({ ...owner, createdAt: NOON + i, responseTimeMs: 1 + (i % 400), model: `m${i % 1_200}` })),
    );

    expect(await writer.write(rows)).toBe(rows.length);

    expect(await db.logs(owner.tokenId)).toHaveLength(rows.length);
    const daily = await db.daily(owner.tokenId);
    expect(daily).toHaveLength(1_200);
    expect(daily.every((d) => d.day === utcDay(NOON))).toBe(true);
    expect(daily.reduce((sum, d) => sum + d.requests, 0)).toBe(rows.length);
    expect(daily.reduce((sum, d) => sum + d.responseTimeMsSum, 0)).toBe(rows.reduce((sum, r) => sum + r.responseTimeMs, 0));
    // 1,200 models: the day and month model rollups take two statements each too.
    await expectRollupsOf(owner.userId, rows);
    expect(await db.lastUsedAt(owner.tokenId)).toBe(NOON + rows.length - 1);
  });

  it('is idempotent: rows already stored (same uid) are skipped, and the rollups and last_used_at count only the new ones', async () => {
    const owner = await db.anOwner();
    const first = withUids([1, 2, 3].map((i) => aUsageRow({ ...owner, createdAt: NOON + i, responseTimeMs: 100 })));
    expect(await writer.write(first)).toBe(3);
    // A replay of the same batch with two more rows, as after a crash between COMMIT and its answer.
    const more = withUids([4, 5].map((i) => aUsageRow({ ...owner, createdAt: NOON + i, responseTimeMs: 100 })));
    expect(await writer.write([...first, ...more])).toBe(2);
    expect(await writer.write([...more, ...first])).toBe(0);

    expect((await db.logs(owner.tokenId)).map((l) => l.createdAt.getTime())).toEqual([1, 2, 3, 4, 5].map((i) => NOON + i));
    expect(await db.daily(owner.tokenId)).toEqual([expect.objectContaining({ requests: 5, responseTimeMsSum: 500 })]);
    await expectRollupsOf(owner.userId, [...first, ...more]);
    expect(await db.lastUsedAt(owner.tokenId)).toBe(NOON + 5);
  });

  it('gives every new row with a message its text search entry (SQLite), once however often the batch is written, and none to the others', async () => {
    const owner = await db.anOwner();
    const messages = ['upstream reset the connection', null, 'Upstream TIMEOUT', null, 'rate limit, retry'];
    const rows = withUids(messages.map((errorMessage, i) => aUsageRow({ ...owner, createdAt: NOON + i, statusCode: errorMessage ? 502 : 200, errorMessage })));
    expect(await writer.write(rows)).toBe(5);
    expect(await writer.write([...rows].reverse())).toBe(0);
    if (kind !== 'sqlite') return;
    const ids = async (sql: string, values: unknown[] = []) =>
      (await db.dataSource.query<Array<{ id: number }>>(sql, values)).map((r) => Number(r.id)).sort((a, b) => a - b);
    const withMessage = await ids('SELECT id FROM usage_logs WHERE token_id = ? AND error_message IS NOT NULL', [owner.tokenId]);
    expect(withMessage.length).toBe(3);
    expect(await ids(`SELECT rowid AS id FROM ${FTS_TABLE} WHERE rowid IN (SELECT id FROM usage_logs WHERE token_id = ?)`, [owner.tokenId])).toEqual(
      withMessage,
    );
    expect(await ids(`SELECT rowid AS id FROM ${FTS_TABLE} WHERE ${FTS_TABLE} MATCH '"upstream"'`)).toEqual(expect.arrayContaining(withMessage.slice(0, 2)));
    expect(await ids(`SELECT rowid AS id FROM ${FTS_TABLE} WHERE ${FTS_TABLE} MATCH '"retry"'`)).toEqual(expect.arrayContaining([withMessage[2]]));
    // As many entries as rows with a message, and the index consistent with itself.
    const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM ${FTS_TABLE}`);
    const [{ m }] = await db.dataSource.query<Array<{ m: number }>>('SELECT COUNT(*) AS m FROM usage_logs WHERE error_message IS NOT NULL');
    expect(Number(n)).toBe(Number(m));
    await db.dataSource.query(`INSERT INTO ${FTS_TABLE} (${FTS_TABLE}) VALUES ('integrity-check')`);
  });

  it('concurrent writers (several proxies) upserting the same rollup rows in opposite orders never deadlock', async () => {
    const owner = await db.anOwner();
    // Each batch touches the same 40 rollup rows (and latency buckets), one writer in the
    // opposite order of the other: locks taken in row order would cross at once.
    const batch = (reversed: boolean) => {
      const keys = Array.from({ length: 40 }, (_, i) => ({ model: `m${i % 8}`, statusCode: [200, 400, 429, 500, 502][i % 5], responseTimeMs: 1 + i * 37 }));
      return withUids((reversed ? keys.reverse() : keys).map((k) => aUsageRow({ ...owner, ...k, createdAt: NOON })));
    };
    const written: UsageRow[] = [];
    for (let round = 0; round < 15; round++) {
      const batches = [batch(false), batch(true), batch(false), batch(true)];
      written.push(...batches.flat());
      expect(await Promise.all(batches.map((b) => writer.write(b)))).toEqual([40, 40, 40, 40]);
    }
    expect((await db.daily(owner.tokenId)).reduce((sum, d) => sum + d.requests, 0)).toBe(15 * 4 * 40);
    await expectRollupsOf(owner.userId, written);
  });

  it('stores the cost of each row and adds costs and refusals to the rollup, once however often the batch is written', async () => {
    const owner = await db.anOwner();
    const rows = withUids([
      aUsageRow({ ...owner, createdAt: NOON + 1, costUsd: 0.00039 }),
      aUsageRow({ ...owner, createdAt: NOON + 2, costUsd: 3.8e-8 }),
      aUsageRow({ ...owner, createdAt: NOON + 3, statusCode: 429, refused: true, promptTokens: null, completionTokens: null }),
      // As a spool line of the previous version: neither field.
      { ...aUsageRow({ ...owner, createdAt: NOON + 4 }), costUsd: undefined },
    ]);
    expect(await writer.write(rows)).toBe(4);
    expect(await writer.write(rows)).toBe(0);
    expect((await db.logs(owner.tokenId)).map((l) => l.costUsd)).toEqual([0.00039, 3.8e-8, null, null]);
    const daily = await db.daily(owner.tokenId);
    expect(daily.map((d) => [d.statusCode, d.requests, d.costNanoUsd, d.refusedRequests]).sort()).toEqual([
      [200, 3, 390_038, 0],
      [429, 1, 0, 1],
    ]);
  });
});

describe('usage writer on SQLite made before the text search table exists', () => {
  it('writes its rows, then indexes the messages of the rows it writes once the table is there', async () => {
    const file = tempSqliteDatabase();
    const ds = new DataSource({
      ...dataSourceOptions(file.target, []),
      migrations: migrations.slice(
        0,
        migrations.findIndex((m) => m.name === 'UsageLogSearch1764500000007'),
      ),
    });
    await ds.initialize();
    try {
      await runMigrations(ds);
      await ds.query(`INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES ('u', 'u@example.com', 'x', 0, 0)`);
      await ds.query(`INSERT INTO api_tokens (user_id, name, token_hash, hint, created_at) VALUES (1, 't', 'h', 'x', 0)`);
      const writer = createUsageWriter(ds);
      const row = (errorMessage: string) => withUids([aUsageRow({ userId: 1, tokenId: 1, statusCode: 502, errorMessage })]);
      expect(await writer.write(row('written before the search table'))).toBe(1);
      // Another process (the dashboard, say) brings the schema up to date while this writer runs.
      const other = new DataSource({ ...dataSourceOptions(file.target, []), migrations });
      await other.initialize();
      await runMigrations(other);
      await other.destroy();
      expect(await writer.write(row('written after the search table'))).toBe(1);
      const matches = async (phrase: string) => (await ds.query(`SELECT rowid FROM ${FTS_TABLE} WHERE ${FTS_TABLE} MATCH ?`, [`"${phrase}"`])).length;
      // The first by the migration's backfill, the second by the writer.
      expect([await matches('before the search'), await matches('after the search')]).toEqual([1, 1]);
    } finally {
      await ds.destroy();
      await file.drop();
    }
  });
});
