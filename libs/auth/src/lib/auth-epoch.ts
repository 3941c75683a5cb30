import { DataSource, EntityManager } from 'typeorm';

/**
 * Bumps the auth epoch inside the caller's transaction: every proxy drops its token cache
 * at its next poll. Call it with every change that can invalidate a token.
 */
export async function bumpAuthEpoch(manager: EntityManager): Promise<void> {
  await manager.query('UPDATE "auth_epoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1');
}

/** The current auth epoch (one indexed row). */
export async function readAuthEpoch(dataSource: DataSource): Promise<number> {
  const rows: Array<{ epoch: number | string }> = await dataSource.query('SELECT "epoch" FROM "auth_epoch" WHERE "id" = 1');
  return rows.length ? Number(rows[0].epoch) : 0;
}
