import type { EntityManager } from 'typeorm';
import { NotificationMarkEntity } from './entities';

/**
 * Claims a one-off notice: true the first time a key is claimed, false ever after. Run in the
 * transaction that enqueues the notice, so a notice is marked exactly when it was queued.
 */
export async function claimOnce(manager: EntityManager, key: string, at: Date): Promise<boolean> {
  const repo = manager.getRepository(NotificationMarkEntity);
  if (await repo.existsBy({ key })) return false;
  await repo.insert({ key, at, value: 0, period: 0 });
  return true;
}

/**
 * Claims a repeatable notice about a growing figure (refusals of a token in a period): true
 * when the figure grew since the last claim and the last claim is at least `minGapMs` old.
 */
export async function claimGrowth(manager: EntityManager, key: string, at: Date, period: number, value: number, minGapMs: number): Promise<boolean> {
  const repo = manager.getRepository(NotificationMarkEntity);
  const mark = await repo.findOneBy({ key });
  if (!mark) {
    await repo.insert({ key, at, value, period });
    return true;
  }
  const grew = mark.period !== period ? value > 0 : value > mark.value;
  if (!grew || at.getTime() - mark.at.getTime() < minGapMs) return false;
  await repo.update({ key }, { at, value, period });
  return true;
}
