import { Logger } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import { TestDatabase, testDatabaseKinds } from '../../testing';
import { dataSourceOptions } from '../data-source';
import { runMigrations } from '../migrate';
import { migrations } from '.';
import { FTS_TABLE, TRGM_INDEX, UsageLogSearch1764500000007 } from './1764500000007-usage-log-search';

const MESSAGES = ['upstream reset the connection', 'Upstream TIMEOUT', 'quota 100% used', 'Größe überschritten', 'ÜBER LIMIT', null, 'rate limit, retry'];
const SEARCHES = ['upstream', 'UPSTREAM', 'timeout', '100%', 'größe', 'ÜBER', 'über', 'limit', 'zzz', 'set the'];

describe.each(testDatabaseKinds())('migration UsageLogSearch1764500000007 on $kind', ({ create }) => {
  let db: TestDatabase;
  let ds: DataSource;
  let userId: number;
  let tokenId: number;
  let uid = 0;
  const postgres = () => ds.options.type === 'postgres';
  const sql = (text: string) => (postgres() ? text : text.replace(/\$\d+/g, '?'));

  /** The writer's statement: a row whose row_uid is stored already is skipped. */
  async function insert(target: DataSource, errorMessage: string | null, rowUid = `u${++uid}`): Promise<void> {
    const q = (text: string) => (target.options.type === 'postgres' ? text : text.replace(/\$\d+/g, '?'));
    await target.query(
      q(`INSERT INTO usage_logs (created_at, user_id, token_id, model, endpoint, status_code, response_time_ms, error_message, row_uid)
         VALUES ($1, $2, $3, 'echo', '/v1/chat/completions', 500, 1, $4, $5) ON CONFLICT (row_uid) DO NOTHING`),
      [1_700_000_000_000 + uid, userId, tokenId, errorMessage, rowUid],
    );
  }

  /** Ids whose message contains `text`, as the request log's LIKE sees it. */
  async function likeIds(text: string): Promise<number[]> {
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows: Array<{ id: unknown }> = await ds.query(sql(`SELECT id FROM usage_logs WHERE LOWER(error_message) LIKE LOWER($1) ESCAPE '\\' ORDER BY id`), [
      pattern,
    ]);
    return rows.map((r) => Number(r.id));
  }

  /** SQLite: the FTS candidates, re-checked with that LIKE; PostgreSQL: the LIKE through the trigram index. */
  async function indexedIds(text: string): Promise<number[]> {
    if (postgres()) {
      // On a few rows the partial b-trees over rows with a message cost less: dropped inside a
      // transaction that is rolled back (PostgreSQL's DDL is transactional), the plan shows the trigram index.
      const runner = ds.createQueryRunner();
      await runner.startTransaction();
      try {
        await runner.query('DROP INDEX "IDX_usage_logs_message_time"');
        await runner.query('DROP INDEX "IDX_usage_logs_user_message_time"');
        await runner.query('SET LOCAL enable_seqscan = off');
        const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const like = `SELECT id FROM usage_logs WHERE error_message IS NOT NULL AND LOWER(error_message) LIKE LOWER($1) ESCAPE '\\'`;
        const plan: Array<{ 'QUERY PLAN': string }> = await runner.query(`EXPLAIN ${like}`, [pattern]);
        expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain(TRGM_INDEX);
        const rows: Array<{ id: unknown }> = await runner.query(`${like} ORDER BY id`, [pattern]);
        return rows.map((r) => Number(r.id));
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    }
    const candidates: Array<{ id: number }> = await ds.query(`SELECT rowid AS id FROM ${FTS_TABLE} WHERE ${FTS_TABLE} MATCH ?`, [
      `"${text.replace(/"/g, '""')}"`,
    ]);
    const like = new Set(await likeIds(text));
    // A superset of the LIKE's rows (its folding is Unicode's, looser than LOWER's).
    expect(candidates.map((c) => c.id).filter((id) => like.has(id)).length).toBe(like.size);
    return candidates
      .map((c) => c.id)
      .filter((id) => like.has(id))
      .sort((a, b) => a - b);
  }

  async function expectExact(): Promise<void> {
    for (const text of SEARCHES) expect({ text, ids: await indexedIds(text) }).toEqual({ text, ids: await likeIds(text) });
    if (!postgres()) {
      // Every row with a message has its entry, and no other entry exists.
      const [{ n }] = await ds.query(`SELECT COUNT(*) AS n FROM ${FTS_TABLE}`);
      const [{ m }] = await ds.query('SELECT COUNT(*) AS m FROM usage_logs WHERE error_message IS NOT NULL');
      expect(Number(n)).toBe(Number(m));
      await ds.query(`INSERT INTO ${FTS_TABLE} (${FTS_TABLE}) VALUES ('integrity-check')`);
    }
  }

  beforeAll(async () => {
    db = await create();
    // The schema before this migration, with messages in it: they are indexed on the way up.
    const before = new DataSource({ ...dataSourceOptions(db.target, []), migrations: migrations.slice(0, migrations.indexOf(UsageLogSearch1764500000007)) });
    await before.initialize();
    try {
      await runMigrations(before);
      const q = (text: string) => (before.options.type === 'postgres' ? text : text.replace(/\$\d+/g, '?'));
      await before.query(q(`INSERT INTO users (username, email, password_hash, created_at, updated_at) VALUES ($1, $2, 'x', 0, 0)`), [
        'old',
        'old@example.com',
      ]);
      userId = Number((await before.query(`SELECT id FROM users`))[0].id);
      await before.query(q(`INSERT INTO api_tokens (user_id, name, token_hash, hint, created_at) VALUES ($1, 't', 'h', 'x', 0)`), [userId]);
      tokenId = Number((await before.query('SELECT id FROM api_tokens'))[0].id);
      for (const message of MESSAGES) await insert(before, message);
    } finally {
      await before.destroy();
    }
    // Up to this migration: the next one (UsageFtsByWriter1764500000011) hands the inserts' entries to the usage writer.
    ds = new DataSource({ ...dataSourceOptions(db.target, []), migrations: migrations.slice(0, migrations.indexOf(UsageLogSearch1764500000007) + 1) });
    await ds.initialize();
    await runMigrations(ds);
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  it('indexes the messages already stored', async () => {
    expect((await likeIds('upstream')).length).toBe(2);
    await expectExact();
  });

  it('stays exact through the writer: new rows, a replayed row skipped, deletes and an edited message', async () => {
    for (const message of MESSAGES) await insert(ds, message);
    // A replay: the same row_uid again, no row, so no second entry.
    await insert(ds, 'upstream reset the connection', 'u1');
    await insert(ds, 'a replayed row that is not stored', 'u2');
    expect(await likeIds('replayed')).toEqual([]);
    await expectExact();
    // The retention's delete, by id range.
    await ds.query(sql('DELETE FROM usage_logs WHERE id IN (SELECT id FROM usage_logs WHERE created_at < $1)'), [1_700_000_000_000 + 4]);
    await expectExact();
    await ds.query(sql(`UPDATE usage_logs SET error_message = $1 WHERE error_message = $2`), ['now a different TEXT', 'rate limit, retry']);
    await ds.query(sql(`UPDATE usage_logs SET error_message = NULL WHERE error_message = $1`), ['quota 100% used']);
    expect((await likeIds('different text')).length).toBe(2);
    await expectExact();
  });

  it('goes down and up again on the same rows', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new UsageLogSearch1764500000007().down(runner);
      if (postgres()) expect(await ds.query(`SELECT 1 FROM pg_indexes WHERE indexname = $1`, [TRGM_INDEX])).toEqual([]);
      else expect(await ds.query(`SELECT name FROM sqlite_master WHERE name LIKE 'usage_logs_fts%'`)).toEqual([]);
      expect(
        await ds.query(sql(`SELECT 1 FROM ${postgres() ? 'pg_indexes WHERE indexname' : 'sqlite_master WHERE name'} = $1`), ['IDX_usage_logs_model_time']),
      ).toEqual([]);
      await insert(ds, 'upstream written while down');
      await new UsageLogSearch1764500000007().up(runner);
      await expectExact();
    } finally {
      await runner.release();
    }
  });
});

describe('migration UsageLogSearch1764500000007 without the rights to create pg_trgm', () => {
  it('skips the trigram index with a warning instead of failing', async () => {
    const ran: string[] = [];
    const runner = {
      connection: { options: { type: 'postgres' } },
      query: async (text: string) => {
        ran.push(text);
        if (text.includes('pg_extension')) return [];
        if (text.startsWith('CREATE EXTENSION')) throw new Error('permission denied to create extension "pg_trgm"');
        return [];
      },
    } as unknown as QueryRunner;
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await new UsageLogSearch1764500000007().up(runner);
      expect(ran).toContain('ROLLBACK TO SAVEPOINT usage_log_trgm');
      expect(ran.some((text) => text.includes(TRGM_INDEX))).toBe(false);
      expect(ran.some((text) => text.includes('IDX_usage_logs_model_time'))).toBe(true);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/pg_trgm could not be created \(permission denied.*stays exact/));
    } finally {
      warn.mockRestore();
    }
  });
});
