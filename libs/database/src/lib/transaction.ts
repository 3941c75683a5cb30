import { DataSource, EntityManager } from 'typeorm';

const queues = new WeakMap<DataSource, Promise<void>>();

/**
 * `dataSource.transaction()` that is safe on SQLite too.
 * - TypeORM's better-sqlite3 driver has one connection, so two transactions of concurrent
 *   requests would interleave on it (the second turning into a savepoint inside the first,
 *   and a rollback of one undoing the other): on SQLite they take turns in this process.
 * - TypeORM opens SQLite transactions DEFERRED. One that reads, then writes while another
 *   process (the proxy's usage recorder) has committed in between, fails at once with
 *   SQLITE_BUSY: the busy timeout does not apply to such an upgrade. So the transaction
 *   starts with a write that changes nothing, which takes the write lock up front (waiting
 *   for it under the busy timeout like any write).
 * PostgreSQL gives each transaction its own pooled connection and needs neither.
 */
export async function runInTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dataSource.options.type !== 'better-sqlite3') return dataSource.transaction(work);
  const previous = queues.get(dataSource) ?? Promise.resolve();
  let release!: () => void;
  const turn = new Promise<void>((resolve) => (release = resolve));
  queues.set(
    dataSource,
    previous.then(() => turn),
  );
  await previous;
  try {
    return await dataSource.transaction(async (manager) => {
      await manager.query('UPDATE "auth_epoch" SET "epoch" = "epoch" WHERE "id" = 1');
      return work(manager);
    });
  } finally {
    release();
  }
}
