import { UserEntity } from '@lmarena-bridge/auth';
import type { WebhookBody, WebhookEventType, WebhookSentType } from '@lmarena-bridge/contracts';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { WebhookEntity, WebhookOutboxEntity } from './entities';

export interface OutboxEvent {
  type: WebhookEventType;
  /** The user whose webhooks get it; null for a system event (every admin's webhooks). */
  userId: number | null;
  data: Record<string, unknown>;
}

/** The stored events list of a webhook. */
export function eventsOf(webhook: Pick<WebhookEntity, 'events'>): string[] {
  try {
    const parsed: unknown = JSON.parse(webhook.events);
    return Array.isArray(parsed) ? parsed.filter((e): e is string => typeof e === 'string') : [];
  } catch {
    return [];
  }
}

export function eventBody(id: string, type: WebhookSentType, at: Date, data: Record<string, unknown>): string {
  const body: WebhookBody = { id, type, created_at: at.toISOString(), data };
  return JSON.stringify(body);
}

/**
 * Writes one outbox row per subscribed webhook with the caller's transaction manager: the rows
 * commit, or roll back, with the change the event describes. Returns how many rows were written.
 */
export async function enqueueWebhookEvent(manager: EntityManager, event: OutboxEvent, at = new Date()): Promise<number> {
  const qb = manager.getRepository(WebhookEntity).createQueryBuilder('w');
  if (event.userId === null) qb.innerJoin(UserEntity, 'u', 'u.id = w.user_id').where("u.role = 'admin'");
  else qb.where('w.user_id = :userId', { userId: event.userId });
  const hooks = (await qb.getMany()).filter((w) => eventsOf(w).includes(event.type));
  if (hooks.length === 0) return 0;
  const eventId = randomUUID();
  const body = eventBody(eventId, event.type, at, event.data);
  await manager.getRepository(WebhookOutboxEntity).insert(
    hooks.map((w) => ({
      deliveryId: randomUUID(),
      webhookId: w.id,
      eventId,
      type: event.type,
      body,
      state: 'pending' as const,
      attempts: 0,
      createdAt: at,
      nextAttemptAt: at,
      finishedAt: null,
    })),
  );
  return hooks.length;
}
