import { DataSource } from 'typeorm';
import { migrations } from './migrations';

/** A probe gives up on the database after this long (the pool itself waits 10 s for a connection). */
export const READINESS_TIMEOUT_MS = 2_000;

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'down';
  migrations: 'ok' | 'pending' | 'unknown';
  /** What failed, for the 503 body: never a connection string or a password. */
  detail?: string;
  /** Migrations listed in the code but not recorded as applied. */
  pending?: string[];
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The names TypeORM records in its migrations table for the migrations this build ships. */
export function expectedMigrationNames(): string[] {
  // TypeORM records `migration.name`, falling back to the class name.
  return migrations.map((M) => new M().name ?? M.name);
}

/** Only the error's kind: a driver message can quote the connection string. */
function reason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string') return e.code;
  const message = typeof e.message === 'string' ? e.message : String(err);
  return message.replace(/\w+:\/\/\S+/g, '<url>').slice(0, 200);
}

/**
 * Readiness: the database answers a query within `timeoutMs` and every migration this build
 * ships is recorded as applied (another instance may still be migrating, or an older build
 * ran against a newer database).
 */
export async function checkReadiness(dataSource: DataSource, timeoutMs = READINESS_TIMEOUT_MS): Promise<Readiness> {
  if (!dataSource.isInitialized) return { ready: false, database: 'down', migrations: 'unknown', detail: 'the database is not open' };
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  let applied: Set<string>;
  try {
    const rows = (await withTimeout(dataSource.query(`SELECT name FROM ${dataSource.driver.escape(table)}`), timeoutMs)) as Array<{ name: string }>;
    applied = new Set(rows.map((r) => r.name));
  } catch (err) {
    // No migrations table yet, or no database at all: a bare query tells which.
    const answers = await withTimeout(dataSource.query('SELECT 1'), timeoutMs).then(
      () => true,
      () => false,
    );
    if (!answers) return { ready: false, database: 'down', migrations: 'unknown', detail: `database: ${reason(err)}` };
    applied = new Set();
  }
  const pending = expectedMigrationNames().filter((name) => !applied.has(name));
  if (pending.length > 0) return { ready: false, database: 'ok', migrations: 'pending', detail: `${pending.length} migration(s) not applied`, pending };
  return { ready: true, database: 'ok', migrations: 'ok' };
}
