import { sqliteHandle } from '@lmarena-bridge/database';
import { DataSource } from 'typeorm';

/** The planner settings a PostgreSQL ordered walk is run with (see UsageLogService.walkInOrder). */
export const WALK_SETTINGS = ['enable_bitmapscan', 'enable_seqscan', 'enable_sort'] as const;

/** The pg client under a TypeORM query runner, as far as array rows need it. */
interface PgArrayClient {
  query(config: { text: string; values?: unknown[]; rowMode: 'array' }): Promise<{ rows: unknown[][] }>;
}

/**
 * A SELECT's rows as arrays of column values, in the statement's column order, as the engine's
 * driver gives them (SQLite: numbers, 0/1 for booleans; PostgreSQL: bigint as text). An export
 * reads millions of rows: the drivers' row objects (and TypeORM's copying of them) cost more
 * than the CSV written from them. `walk`: run with WALK_SETTINGS off, in a transaction of its own.
 */
export async function queryArrays(ds: DataSource, sql: string, values: unknown[], walk: boolean): Promise<unknown[][]> {
  const sqlite = sqliteHandle(ds);
  if (sqlite)
    return sqlite
      .prepare(sql)
      .raw(true)
      .all(...values) as unknown[][];
  const runner = ds.createQueryRunner();
  try {
    // PostgresQueryRunner.connect() resolves to the pool's pg client, which alone offers rowMode.
    const client = (await runner.connect()) as PgArrayClient;
    if (!walk) return (await client.query({ text: sql, values, rowMode: 'array' })).rows;
    await runner.startTransaction();
    try {
      for (const setting of WALK_SETTINGS) await runner.query(`SET LOCAL ${setting} = off`);
      const { rows } = await client.query({ text: sql, values, rowMode: 'array' });
      await runner.commitTransaction();
      return rows;
    } catch (err) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    }
  } finally {
    await runner.release();
  }
}
