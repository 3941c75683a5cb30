import type { AuditEvent, AuditPage } from '@lmarena-bridge/contracts';
import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEventEntity } from '../entities/audit-event.entity';

/** Who acts and from where: what every audited change needs from the request. */
export interface AuditActor {
  id: number | null;
  name: string | null;
  ip: string | null;
}

export interface NewAuditEvent {
  action: string;
  actor: AuditActor;
  target?: string | null;
  /** Plain facts for the reader; never a secret. */
  detail?: Record<string, unknown> | null;
}

export interface AuditQuery {
  limit: number;
  cursor?: string;
  action?: string;
  /** Username (case-insensitive) of the actor. */
  actor?: string;
}

const clip = (value: string | null | undefined, max: number): string | null => (value == null ? null : value.slice(0, max));

function toAuditEvent(e: AuditEventEntity): AuditEvent {
  let detail: Record<string, unknown> | null = null;
  if (e.detail) {
    try {
      detail = JSON.parse(e.detail) as Record<string, unknown>;
    } catch {
      detail = { text: e.detail };
    }
  }
  return {
    id: e.id,
    at: e.at.toISOString(),
    actor_id: e.actorId,
    actor: e.actor,
    action: e.action,
    target: e.target,
    ip: e.ip,
    detail,
  };
}

/**
 * Writes one audit event with the caller's transaction manager, so that it is committed, or
 * rolled back, with the change it describes. Services that are not Nest providers of the
 * audit log (tokens, users) call this directly.
 */
export async function recordAuditEvent(manager: EntityManager, event: NewAuditEvent, at = new Date()): Promise<void> {
  await manager.getRepository(AuditEventEntity).insert({
    at,
    actorId: event.actor.id,
    actor: clip(event.actor.name, 254),
    action: event.action.slice(0, 64),
    target: clip(event.target, 254),
    ip: clip(event.actor.ip, 64),
    detail: event.detail ? JSON.stringify(event.detail) : null,
  });
}

/**
 * The audit log. `record` takes the caller's transaction manager so that the event is
 * committed, or rolled back, with the change it describes.
 */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  record(manager: EntityManager, event: NewAuditEvent, at = new Date()): Promise<void> {
    return recordAuditEvent(manager, event, at);
  }

  /** An event that goes with no change (a failed sign-in): its own statement. */
  recordNow(event: NewAuditEvent): Promise<void> {
    return recordAuditEvent(this.dataSource.manager, event);
  }

  /** Newest first, keyset-paged by id; the cursor is the last id of the previous page. */
  async list(query: AuditQuery): Promise<AuditPage> {
    const qb = this.dataSource
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .orderBy('e.id', 'DESC')
      .take(query.limit + 1);
    if (query.cursor !== undefined) {
      if (!/^[1-9]\d{0,9}$/.test(query.cursor)) throw new BadRequestException(['cursor must be a value from next_cursor']);
      qb.andWhere('e.id < :cursor', { cursor: Number(query.cursor) });
    }
    if (query.action) qb.andWhere('e.action = :action', { action: query.action });
    if (query.actor) qb.andWhere('lower(e.actor) = lower(:actor)', { actor: query.actor });
    const rows = await qb.getMany();
    const page = rows.slice(0, query.limit);
    return {
      events: page.map(toAuditEvent),
      next_cursor: rows.length > query.limit ? String(page[page.length - 1].id) : null,
    };
  }
}
