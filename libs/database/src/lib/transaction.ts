import { DataSource, EntityManager } from 'typeorm';

const queues = new WeakMap<DataSource, Promise<void>>();

/**
 * `dataSource.transaction()` that is safe on SQLite too. TypeORM's better-sqlite3 driver has
 * one connection, so two transactions of concurrent requests would interleave on it (the
 * second turning into a savepoint inside the first, and a rollback of one undoing the other).
 * On SQLite, transactions therefore take turns in this process; PostgreSQL gives each one its
 * own pooled connection and needs no queue.
 */
export async function runInTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dataSource.options.type !== 'better-sqlite3') return dataSource.transaction(work);
  const previous = queues.get(dataSource) ?? Promise.resolve();
  let release!: () => void;
  const turn = new Promise<void>((resolve) => (release = resolve));
  queues.set(dataSource, previous.then(() => turn));
  await previous;
  try {
    return await dataSource.transaction(work);
  } finally {
    release();
  }
}
