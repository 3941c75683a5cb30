import { AuditActor, recordAuditEvent } from '@lmarena-bridge/auth';
import { ADMIN_WEBHOOK_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from '@lmarena-bridge/contracts';
import type { CreatedWebhook, Webhook, WebhookDelivery, WebhookEventType } from '@lmarena-bridge/contracts';
import { runInTransaction } from '@lmarena-bridge/database';
import { BadRequestException, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { WebhookDeliveryEntity, WebhookEntity, WebhookOutboxEntity } from './entities';
import { eventBody, eventsOf } from './outbox';
import { newWebhookSecret } from './secret-box';
import { resolveTarget, TargetRefused } from './target-guard';
import { WebhookRuntime } from './webhook-runtime';

export interface NewWebhook {
  url: string;
  events: string[];
  description?: string | null;
}

export interface WebhookActor {
  id: number;
  role: 'admin' | 'user';
}

/** Webhooks one user may hold. */
export const MAX_WEBHOOKS_PER_USER = 20;

function toWebhook(w: WebhookEntity): Webhook {
  return { id: w.id, url: w.url, events: eventsOf(w) as WebhookEventType[], description: w.description, created_at: w.createdAt.toISOString() };
}

function toDelivery(d: WebhookDeliveryEntity): WebhookDelivery {
  return {
    id: d.id,
    delivery_id: d.deliveryId,
    type: d.type as WebhookDelivery['type'],
    attempt: d.attempt,
    status_code: d.statusCode,
    latency_ms: d.latencyMs,
    error: d.error,
    response_body: d.responseBody,
    created_at: d.createdAt.toISOString(),
  };
}

/** Webhooks: subscribe, list, delete, test, and the delivery log. */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly runtime: WebhookRuntime,
  ) {}

  async create(actor: WebhookActor, input: NewWebhook, audit?: AuditActor, now = new Date()): Promise<CreatedWebhook> {
    const box = this.runtime.box;
    if (!box) {
      throw new ServiceUnavailableException({
        message: 'Webhooks are not configured: set webhooks.secret_key (or WEBHOOK_SECRET_KEY) to at least 32 characters.',
        code: 'webhooks_not_configured',
      });
    }
    const events = this.checkedEvents(input.events, actor);
    const description = input.description?.trim() || null;
    if (description && description.length > 200) throw new BadRequestException(['description must be at most 200 characters']);
    try {
      await resolveTarget(input.url, this.runtime.allowPrivate);
    } catch (err) {
      if (err instanceof TargetRefused) throw new BadRequestException([`url: ${err.message}`]);
      throw new BadRequestException([`url: its host does not resolve`]);
    }
    const secret = newWebhookSecret();
    const saved = await runInTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(WebhookEntity);
      if ((await repo.countBy({ userId: actor.id })) >= MAX_WEBHOOKS_PER_USER) {
        throw new BadRequestException([`at most ${MAX_WEBHOOKS_PER_USER} webhooks per user`]);
      }
      const row = await repo.save(
        repo.create({ userId: actor.id, url: input.url, events: JSON.stringify(events), description, secret: box.seal(secret), createdAt: now }),
      );
      if (audit) {
        await recordAuditEvent(manager, { action: 'webhook.created', actor: audit, target: `webhook:${row.id}`, detail: { url: row.url, events } }, now);
      }
      return row;
    });
    return { ...toWebhook(saved), secret };
  }

  async list(userId: number): Promise<Webhook[]> {
    return (await this.dataSource.getRepository(WebhookEntity).find({ where: { userId }, order: { id: 'ASC' } })).map(toWebhook);
  }

  /** Deletes a webhook with its pending events and log. Someone else's webhook is a 404 like a missing one. */
  async remove(id: number, actor: WebhookActor, audit?: AuditActor): Promise<void> {
    await runInTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(WebhookEntity);
      const hook = await repo.findOneBy(actor.role === 'admin' ? { id } : { id, userId: actor.id });
      if (!hook) throw new NotFoundException('Webhook not found.');
      // Explicit, not only ON DELETE CASCADE: SQLite enforces foreign keys only when enabled.
      await manager.getRepository(WebhookOutboxEntity).delete({ webhookId: id });
      await manager.getRepository(WebhookDeliveryEntity).delete({ webhookId: id });
      await repo.delete({ id });
      if (audit)
        await recordAuditEvent(manager, { action: 'webhook.deleted', actor: audit, target: `webhook:${id}`, detail: { url: hook.url, owner_id: hook.userId } });
    });
  }

  /** Queues a `webhook.test` event for this webhook only; answers its delivery id. */
  async test(id: number, actor: WebhookActor, now = new Date()): Promise<{ delivery_id: string }> {
    const hook = await this.owned(id, actor);
    const deliveryId = randomUUID();
    const eventId = randomUUID();
    await this.dataSource.getRepository(WebhookOutboxEntity).insert({
      deliveryId,
      webhookId: hook.id,
      eventId,
      type: 'webhook.test',
      body: eventBody(eventId, 'webhook.test', now, { webhook: { id: hook.id, url: hook.url }, message: 'A test event from LMArena Bridge.' }),
      state: 'pending',
      attempts: 0,
      createdAt: now,
      nextAttemptAt: now,
      finishedAt: null,
    });
    this.runtime.kick();
    return { delivery_id: deliveryId };
  }

  /** The last 100 attempts, newest first. */
  async deliveries(id: number, actor: WebhookActor): Promise<WebhookDelivery[]> {
    const hook = await this.owned(id, actor);
    const rows = await this.dataSource.getRepository(WebhookDeliveryEntity).find({ where: { webhookId: hook.id }, order: { id: 'DESC' }, take: 100 });
    return rows.map(toDelivery);
  }

  private async owned(id: number, actor: WebhookActor): Promise<WebhookEntity> {
    const hook = await this.dataSource.getRepository(WebhookEntity).findOneBy(actor.role === 'admin' ? { id } : { id, userId: actor.id });
    if (!hook) throw new NotFoundException('Webhook not found.');
    return hook;
  }

  private checkedEvents(events: string[], actor: WebhookActor): WebhookEventType[] {
    const problems: string[] = [];
    if (events.length === 0) problems.push('events must list at least one event');
    const known = new Set<string>(WEBHOOK_EVENT_TYPES);
    for (const e of events) {
      if (!known.has(e)) problems.push(`events: unknown event ${JSON.stringify(e)}; expected one of ${WEBHOOK_EVENT_TYPES.join(', ')}`);
      else if (ADMIN_WEBHOOK_EVENT_TYPES.includes(e as WebhookEventType) && actor.role !== 'admin') problems.push(`events: ${e} is for admins only`);
    }
    if (problems.length) throw new BadRequestException(problems);
    return [...new Set(events)] as WebhookEventType[];
  }
}
