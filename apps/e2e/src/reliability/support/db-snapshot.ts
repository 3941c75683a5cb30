import Database from 'better-sqlite3';

/** Table rows as compared by the suite: every column, except those named in `skip`. */
export type Rows = Array<Record<string, unknown>>;

export interface Snapshot {
  users: Rows;
  sessions: Rows;
  api_tokens: Rows;
  auth_epoch: Rows;
  usage_logs: number;
}

/**
 * Reads the shared SQLite file directly (read-only, WAL readers see every committed write):
 * the account tables in full and the number of usage rows. `api_tokens.last_used_at` is left
 * out: the proxy's usage batches update it for accepted requests, which is documented; so is
 * `sessions.last_seen_at`, which every request made with a session refreshes (once a minute).
 */
export class DbReader {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
  }

  all(sql: string, ...params: unknown[]): Rows {
    return this.db.prepare(sql).all(...params) as Rows;
  }

  count(table: string, where = '1 = 1', ...params: unknown[]): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).get(...params) as { n: number }).n;
  }

  snapshot(): Snapshot {
    return {
      users: this.all('SELECT * FROM users ORDER BY id'),
      sessions: this.all('SELECT id, user_id, session_hash, created_at, expires_at, revoked_at, ip, user_agent FROM sessions ORDER BY id'),
      api_tokens: this.all('SELECT id, user_id, name, token_hash, hint, limits, created_at, expires_at, revoked_at FROM api_tokens ORDER BY id'),
      auth_epoch: this.all('SELECT * FROM auth_epoch'),
      usage_logs: this.count('usage_logs'),
    };
  }

  close(): void {
    this.db.close();
  }
}

/** Opens the file read-write once to check it: PRAGMA integrity_check and the journal mode. */
export function checkSqliteFile(path: string): { integrity: string; journalMode: string } {
  const db = new Database(path, { fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join(';');
    const journalMode = db.pragma('journal_mode', { simple: true }) as string;
    return { integrity, journalMode };
  } finally {
    db.close();
  }
}
