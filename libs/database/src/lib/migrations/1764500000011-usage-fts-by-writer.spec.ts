import { DataSource } from 'typeorm';
import { TestDatabase, testDatabaseKinds } from '../../testing';
import { dataSourceOptions } from '../data-source';
import { runMigrations } from '../migrate';
import { FTS_INSERT_TRIGGER, FTS_TABLE } from './1764500000007-usage-log-search';
import { UsageFtsByWriter1764500000011 } from './1764500000011-usage-fts-by-writer';

describe.each(testDatabaseKinds())('migration UsageFtsByWriter1764500000011 on $kind', ({ kind, create }) => {
  let db: TestDatabase;
  let ds: DataSource;

  const triggers = async (): Promise<string[]> =>
    kind === 'sqlite'
      ? (await ds.query<Array<{ name: string }>>(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'usage_logs' ORDER BY name`)).map(
          (r) => r.name,
        )
      : (await ds.query<Array<{ name: string }>>(`SELECT tgname AS name FROM pg_trigger WHERE tgrelid = 'usage_logs'::regclass AND NOT tgisinternal`)).map(
          (r) => r.name,
        );

  /** A row with a message written straight into the table (not by the usage writer); its id. */
  const insertWithMessage = async (): Promise<number> => {
    const p = (i: number) => (kind === 'postgres' ? `$${i}` : '?');
    await ds.query(
      `INSERT INTO usage_logs (created_at, model, endpoint, status_code, response_time_ms, error_message) VALUES (1, 'm', '/e', 502, 1, ${p(1)})`,
      ['upstream went away'],
    );
    const [{ id }] = await ds.query<Array<{ id: number | string }>>('SELECT MAX(id) AS id FROM usage_logs');
    return Number(id);
  };
  const indexed = async (id: number): Promise<boolean> =>
    (await ds.query<unknown[]>(`SELECT rowid FROM ${FTS_TABLE} WHERE ${FTS_TABLE} MATCH '"went away"' AND rowid = ?`, [id])).length === 1;

  beforeAll(async () => {
    db = await create();
    ds = new DataSource(dataSourceOptions(db.target, []));
    await ds.initialize();
    await runMigrations(ds);
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  it('leaves the text search entries of inserts to the usage writer: no AFTER INSERT trigger, the delete and update ones kept', async () => {
    expect(await triggers()).toEqual(kind === 'sqlite' ? ['usage_logs_fts_delete', 'usage_logs_fts_update'] : []);
    if (kind === 'sqlite') expect(await indexed(await insertWithMessage())).toBe(false);
  });

  it('goes down (the trigger back, indexing inserts again) and up again', async () => {
    const runner = ds.createQueryRunner();
    try {
      await new UsageFtsByWriter1764500000011().down(runner);
      if (kind === 'sqlite') {
        expect(await triggers()).toEqual([FTS_INSERT_TRIGGER, 'usage_logs_fts_delete', 'usage_logs_fts_update'].sort());
        expect(await indexed(await insertWithMessage())).toBe(true);
      } else expect(await triggers()).toEqual([]);
      await new UsageFtsByWriter1764500000011().up(runner);
      expect(await triggers()).toEqual(kind === 'sqlite' ? ['usage_logs_fts_delete', 'usage_logs_fts_update'] : []);
    } finally {
      await runner.release();
    }
  });
});
