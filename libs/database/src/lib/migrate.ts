import { DataSource, DataSourceOptions, Migration } from 'typeorm';
import { sqliteHandle } from './data-source';

// Arbitrary constant naming this application's migration lock in pg_advisory_lock.
const PG_MIGRATION_LOCK = 584_211_007;

/**
 * Runs pending migrations, safe when several processes start at once: the first one takes
 * a database-wide lock (SQLite: BEGIN IMMEDIATE, the write lock; PostgreSQL: an advisory
 * lock), migrates, and releases it; the others wait on the lock, then find nothing to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  const sqlite = sqliteHandle(dataSource);
  if (sqlite) {
    // The whole check-and-migrate runs inside one IMMEDIATE transaction on the single
    // connection; TypeORM is told not to open its own (transaction: 'none').
    sqlite.exec('BEGIN IMMEDIATE');
    try {
      const done = await dataSource.runMigrations({ transaction: 'none' });
      sqlite.exec('COMMIT');
      return done;
    } catch (err) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      throw err;
    }
  }
  // A migration may build an index over millions of rows, which takes minutes: it runs on
  // connections of its own, without the statement and query timeouts that bound the
  // request path (at 10 M rows the search indexes took 3.5 min and were cancelled at 10 s).
  // Two connections: the lock's session, and the migrations' transaction.
  const extra = (dataSource.options as { extra?: Record<string, unknown> }).extra ?? {};
  const migrator = new DataSource({ ...dataSource.options, extra: { ...extra, max: 2, statement_timeout: 0, query_timeout: undefined } } as DataSourceOptions);
  await migrator.initialize();
  const runner = migrator.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [PG_MIGRATION_LOCK]);
    return await migrator.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
    await migrator.destroy();
  }
}

/** Opens the DataSource and brings the schema up to date. */
export async function openDatabase(dataSource: DataSource): Promise<DataSource> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  await runMigrations(dataSource);
  return dataSource;
}

/** A real round trip to the database, for health checks. Returns the latency in ms. */
export async function pingDatabase(dataSource: DataSource): Promise<number> {
  const started = process.hrtime.bigint();
  await dataSource.query('SELECT 1');
  return Number(process.hrtime.bigint() - started) / 1e6;
}
