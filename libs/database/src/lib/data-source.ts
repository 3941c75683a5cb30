import type { DatabaseTarget } from '@lmarena-bridge/config';
import type Database from 'better-sqlite3';
import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';
import { migrations } from './migrations';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/**
 * Switching a new file to WAL needs a moment of exclusive access, and SQLite answers "database
 * is locked" at once (the busy timeout does not cover it) while the other server does the
 * same on the same new file. Retry briefly: this runs once, at start-up.
 */
function setWalMode(db: Database.Database): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if (attempt >= 100 || !/locked|busy/i.test((err as Error).message)) throw err;
      Atomics.wait(pause, 0, 0, 50);
    }
  }
}

/**
 * The one place DataSource options are built, for both servers, the CLI scripts and tests.
 * SQLite runs through better-sqlite3 (see the driver comparison in the README) in WAL mode
 * so the proxy and the dashboard can use one file at once.
 */
export function dataSourceOptions(target: DatabaseTarget, entities: EntityList): DataSourceOptions {
  const common = { entities, migrations, migrationsRun: false, synchronize: false, logging: false } as const;
  if (target.type === 'sqlite') {
    return {
      ...common,
      type: 'better-sqlite3',
      database: target.path,
      timeout: SQLITE_BUSY_TIMEOUT_MS,
      prepareDatabase: (db: Database.Database) => {
        db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
        setWalMode(db);
        // NORMAL is durable across application crashes in WAL mode; only an OS crash or
        // power loss can drop the last transactions.
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
      },
    };
  }
  return {
    ...common,
    type: 'postgres',
    url: target.url,
    extra: { max: 10, connectionTimeoutMillis: 10_000 },
  };
}

export function createDataSource(target: DatabaseTarget, entities: EntityList): DataSource {
  return new DataSource(dataSourceOptions(target, entities));
}

/** The raw better-sqlite3 handle, for synchronous batched writes; null on PostgreSQL. */
export function sqliteHandle(dataSource: DataSource): Database.Database | null {
  if (dataSource.options.type !== 'better-sqlite3') return null;
  return (dataSource.driver as unknown as { databaseConnection: Database.Database }).databaseConnection;
}
