import { createDataSource } from './data-source';
import { openDatabase } from './migrate';
import { tempSqliteDatabase, TestDatabase } from '../testing';
import Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { runInTransaction } from './transaction';

describe('runInTransaction on SQLite', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeEach(async () => {
    db = tempSqliteDatabase();
    ds = await openDatabase(createDataSource(db.target, []));
    await ds.query('CREATE TABLE t (v INTEGER)');
  });
  afterEach(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('keeps a rolled-back transaction from undoing a concurrent one', async () => {
    const failing = runInTransaction(ds, async (m) => {
      await m.query('INSERT INTO t (v) VALUES (1)');
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('rollback');
    });
    const succeeding = runInTransaction(ds, async (m) => {
      await m.query('INSERT INTO t (v) VALUES (2)');
    });
    await expect(failing).rejects.toThrow('rollback');
    await succeeding;
    expect(await ds.query('SELECT v FROM t')).toEqual([{ v: 2 }]);
  });

  it('holds the write lock from its first statement, so another process cannot commit in between', async () => {
    // A second connection, as the proxy would have, that gives up at once instead of waiting.
    const other = new Database(db.target.type === 'sqlite' ? db.target.path : '', { timeout: 0 });
    try {
      await runInTransaction(ds, async (m) => {
        await m.query('SELECT COUNT(*) FROM t');
        expect(() => other.prepare('INSERT INTO t (v) VALUES (9)').run()).toThrow(/locked|busy/i);
        await m.query('INSERT INTO t (v) VALUES (3)');
      });
      expect(await ds.query('SELECT v FROM t')).toEqual([{ v: 3 }]);
    } finally {
      other.close();
    }
  });

  it('runs transactions one after another and passes results and errors through', async () => {
    const order: string[] = [];
    const a = runInTransaction(ds, async () => {
      order.push('a-start');
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push('a-end');
      return 'a';
    });
    const b = runInTransaction(ds, async () => {
      order.push('b');
      return 'b';
    });
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(order).toEqual(['a-start', 'a-end', 'b']);
  });
});
