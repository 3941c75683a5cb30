import { DataSource, Migration } from 'typeorm';
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
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [PG_MIGRATION_LOCK]);
    return await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
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
