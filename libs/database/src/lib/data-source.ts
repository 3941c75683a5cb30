import type { DatabaseTarget } from '@lmarena-bridge/config';
import type Database from 'better-sqlite3';
import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';
import { migrations } from './migrations';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
/** SQLite's page cache per connection, KiB. */
const SQLITE_CACHE_KIB = 64 * 1024;

export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** Default of `database.query_timeout_ms`. */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

export interface DatabaseTimeouts {
  /**
   * PostgreSQL: longest a statement may run (server side, `statement_timeout`), a query may wait
   * for its answer (client side, so a stalled or black-holed connection fails too), and a
   * request may wait for a pool connection or a new connection. SQLite's equivalent is its busy
   * timeout (SQLITE_BUSY_TIMEOUT_MS); a file has no stalled connection.
   */
  queryTimeoutMs: number;
}

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
export function dataSourceOptions(
  target: DatabaseTarget,
  entities: EntityList,
  timeouts: DatabaseTimeouts = { queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS },
): DataSourceOptions {
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
        // 64 MiB of page cache instead of SQLite's 2 MiB: the request log's indexes take each
        // batch's rows at one leaf per key (100 tokens x 20 models is ~2,000 hot leaves), and
        // with 2 MiB those leaves went back and forth to the OS for every batch (measured on
        // 600 k rows: the writer's appends 2.6 k -> 4.6-5.4 k rows/s).
        db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
      },
    };
  }
  return {
    ...common,
    type: 'postgres',
    url: target.url,
    extra: {
      max: 10,
      connectionTimeoutMillis: timeouts.queryTimeoutMs,
      // The server cancels first (a clean 57014); the client-side limit, a little later, covers
      // a connection that no longer answers at all.
      statement_timeout: timeouts.queryTimeoutMs,
      query_timeout: timeouts.queryTimeoutMs + 500,
      // A dead peer is noticed by the kernel too, not only by the next query.
      keepAlive: true,
    },
  };
}

export function createDataSource(target: DatabaseTarget, entities: EntityList, timeouts?: DatabaseTimeouts): DataSource {
  return new DataSource(dataSourceOptions(target, entities, timeouts));
}

/** The raw better-sqlite3 handle, for synchronous batched writes; null on PostgreSQL. */
export function sqliteHandle(dataSource: DataSource): Database.Database | null {
  if (dataSource.options.type !== 'better-sqlite3') return null;
  return (dataSource.driver as unknown as { databaseConnection: Database.Database }).databaseConnection;
}
