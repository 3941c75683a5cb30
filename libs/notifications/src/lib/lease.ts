import { DataSource } from 'typeorm';
import { WebhookLeaseEntity } from './entities';

/**
 * Takes the named lease if free or expired, renews it if `holder` has it; true when `holder`
 * holds it now. Two statements that both engines run alike: an insert that does nothing when
 * the row exists, then a conditional update whose affected count says who won.
 */
export async function holdLease(dataSource: DataSource, name: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
  const repo = dataSource.getRepository(WebhookLeaseEntity);
  await repo
    .createQueryBuilder()
    .insert()
    .values({ name, holder, expiresAt: new Date(nowMs + ttlMs) })
    .orIgnore()
    .execute();
  const result = await repo
    .createQueryBuilder()
    .update()
    .set({ holder, expiresAt: new Date(nowMs + ttlMs) })
    .where('name = :name AND (holder = :holder OR expires_at < :now)', { name, holder, now: nowMs })
    .execute();
  return (result.affected ?? 0) > 0;
}
