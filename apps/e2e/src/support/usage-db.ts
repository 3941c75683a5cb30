import Database from 'better-sqlite3';

export interface UsageLogRow {
  id: number;
  token_id: number;
  user_id: number;
  model: string;
  endpoint: string;
  stream: number;
  status_code: number;
  response_time_ms: number;
  ttft_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  error_message: string | null;
}

/** Reads usage rows straight from the SQLite file the servers share (read-only). */
export class UsageDb {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
  }

  rows(tokenId: number): UsageLogRow[] {
    return this.db.prepare('SELECT * FROM usage_logs WHERE token_id = ? ORDER BY id').all(tokenId) as UsageLogRow[];
  }

  count(tokenId: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM usage_logs WHERE token_id = ?').get(tokenId) as { n: number }).n;
  }

  /** Waits (bounded) until the token has at least `n` rows; the recorder writes in batches. */
  async waitForRows(tokenId: number, n: number, timeoutMs = 5_000): Promise<UsageLogRow[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = this.rows(tokenId);
      if (rows.length >= n || Date.now() > deadline) return rows;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.db.close();
  }
}
