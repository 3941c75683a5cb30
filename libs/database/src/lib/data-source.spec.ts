import { tempSqliteDatabase, TestDatabase } from '../testing';
import { createDataSource } from './data-source';
import { openDatabase } from './migrate';

describe('the SQLite connection', () => {
  let db: TestDatabase;
  beforeAll(() => {
    db = tempSqliteDatabase();
  });
  afterAll(() => db.drop());

  it('runs in WAL mode, synchronous NORMAL, with foreign keys and a 64 MiB page cache', async () => {
    const ds = await openDatabase(createDataSource(db.target, []));
    try {
      const pragma = async (name: string) => Object.values((await ds.query(`PRAGMA ${name}`))[0] as Record<string, unknown>)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      // 1 = NORMAL
      expect(await pragma('synchronous')).toBe(1);
      expect(await pragma('foreign_keys')).toBe(1);
      // Negative: KiB rather than pages.
      expect(await pragma('cache_size')).toBe(-64 * 1024);
    } finally {
      await ds.destroy();
    }
  });
});
