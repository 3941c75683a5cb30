/**
 * The proxy's side of `npm run bench:retention`, in its own process as the proxy is: writes
 * usage batches through the production writer on its own connection, one after another with
 * a gap, timing each, until the parent says stop; then sends the timings back over IPC.
 *
 * On SQLite the write lock is taken first with BEGIN IMMEDIATE and timed alone (the wait the
 * writer's first INSERT would have, through the same busy handler), then the batch is written
 * inside that transaction (better-sqlite3 nests it as a savepoint) and committed.
 */
import { sqliteHandle } from '@lmarena-bridge/database';
import { createUsageWriter, SpooledRow } from '@lmarena-bridge/usage';
import { openSeedDatabase } from '../seed/seed-usage';

export interface WriterSample {
  phase: string;
  /** SQLite: ms waiting for the write lock; PostgreSQL: null (the whole write is timed). */
  waitMs: number | null;
  totalMs: number;
}

export interface WriterOptions {
  url: string;
  userId: number;
  tokenId: number;
  batch: number;
  gapMs: number;
}

type Command = { phase: string } | { stop: true };

async function main(): Promise<void> {
  const options = JSON.parse(process.env['RETENTION_WRITER'] ?? '{}') as WriterOptions;
  const dataSource = await openSeedDatabase(options.url);
  const writer = createUsageWriter(dataSource);
  const sqlite = sqliteHandle(dataSource);
  let phase = 'idle';
  let stop = false;
  process.on('message', (command: Command) => {
    if ('stop' in command) stop = true;
    else phase = command.phase;
  });
  // The bench stopped (or died): nothing left to report to.
  process.on('disconnect', () => process.exit(0));
  const samples: WriterSample[] = [];
  let seq = 0;
  const uid = `bench-writer-${process.pid}-`;
  process.send?.({ ready: true });
  while (!stop) {
    const now = Date.now();
    const rows: SpooledRow[] = Array.from({ length: options.batch }, (_, i) => ({
      createdAt: now,
      userId: options.userId,
      tokenId: options.tokenId,
      model: 'gpt-4o',
      endpoint: '/v1/chat/completions',
      stream: i % 2 === 0,
      statusCode: i % 20 ? 200 : 502,
      responseTimeMs: 100 + (i % 900),
      ttftMs: null,
      promptTokens: 500,
      completionTokens: 200,
      errorMessage: i % 20 ? null : 'upstream reset the connection',
      uid: `${uid}${(seq++).toString(36)}`,
    }));
    const started = performance.now();
    let waitMs: number | null = null;
    if (sqlite) {
      sqlite.exec('BEGIN IMMEDIATE');
      waitMs = performance.now() - started;
      try {
        await writer.write(rows);
        sqlite.exec('COMMIT');
      } catch (err) {
        sqlite.exec('ROLLBACK');
        throw err;
      }
    } else {
      await writer.write(rows);
    }
    if (phase !== 'idle') samples.push({ phase, waitMs, totalMs: performance.now() - started });
    await new Promise((resolve) => setTimeout(resolve, options.gapMs));
  }
  await dataSource.destroy();
  process.send?.({ samples }, () => process.exit(0));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
