import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import type { SessionInfo } from '@lmarena-bridge/contracts';
import { runInTransaction } from '@lmarena-bridge/database';
import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, recordAuditEvent } from '../audit/audit.service';
import { SessionEntity } from '../entities/session.entity';
import { UserEntity } from '../entities/user.entity';
import { generateSessionId, sha256Hex } from '../secrets';

export interface NewSession {
  /** The cookie value: shown to the browser once, stored only as its SHA-256. */
  id: string;
  expiresAt: Date;
}

/** Where a session was opened from, for the sessions list. */
export interface SessionOrigin {
  ip?: string | null;
  userAgent?: string | null;
}

export interface ResolvedSession {
  user: UserEntity;
  session: SessionEntity;
}

/** last_seen_at is written at most this often per session: a read stays a read. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

/**
 * Revokes the live sessions of a user inside the caller's transaction, except the one whose
 * hash is given. Returns how many were ended.
 */
export async function revokeUserSessions(manager: EntityManager, userId: number, exceptHash: string | null = null, now = new Date()): Promise<number> {
  const qb = manager
    .getRepository(SessionEntity)
    .createQueryBuilder()
    .update()
    .set({ revokedAt: now })
    .where('user_id = :userId AND revoked_at IS NULL', { userId });
  if (exceptHash) qb.andWhere('session_hash <> :exceptHash', { exceptHash });
  const result = await qb.execute();
  return result.affected ?? 0;
}

/** Dashboard login sessions, stored as hashes with an expiry. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Opens a session; with `audit`, the sign-in is recorded in the same transaction. */
  async create(userId: number, now = new Date(), origin: SessionOrigin = {}, audit?: AuditActor): Promise<NewSession> {
    const id = generateSessionId();
    const expiresAt = new Date(now.getTime() + this.config.dashboard.session_ttl_hours * 3_600_000);
    const row = {
      userId,
      sessionHash: sha256Hex(id),
      createdAt: now,
      expiresAt,
      revokedAt: null,
      lastSeenAt: now,
      ip: origin.ip?.slice(0, 64) ?? null,
      userAgent: origin.userAgent?.slice(0, 300) ?? null,
    };
    if (!audit) {
      await this.dataSource.getRepository(SessionEntity).insert(row);
    } else {
      await runInTransaction(this.dataSource, async (manager) => {
        await manager.getRepository(SessionEntity).insert(row);
        await recordAuditEvent(manager, { action: 'auth.login', actor: audit, target: `user:${userId}` }, now);
      });
    }
    return { id, expiresAt };
  }

  /** The user behind a cookie value, or null if unknown, revoked, expired or the user is disabled. */
  async resolve(sessionId: string, now = Date.now()): Promise<UserEntity | null> {
    return (await this.resolveSession(sessionId, now))?.user ?? null;
  }

  /** Like resolve, with the session row; notes when the session was last used. */
  async resolveSession(sessionId: string, now = Date.now()): Promise<ResolvedSession | null> {
    if (!sessionId || sessionId.length > 200) return null;
    const repo = this.dataSource.getRepository(SessionEntity);
    const session = await repo.findOneBy({ sessionHash: sha256Hex(sessionId) });
    if (!session || session.revokedAt || session.expiresAt.getTime() <= now) return null;
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ id: session.userId });
    if (!user || user.disabled) return null;
    if (!session.lastSeenAt || now - session.lastSeenAt.getTime() >= LAST_SEEN_GRANULARITY_MS) {
      session.lastSeenAt = new Date(now);
      await repo.update({ id: session.id }, { lastSeenAt: session.lastSeenAt });
    }
    return { user, session };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.dataSource.getRepository(SessionEntity).update({ sessionHash: sha256Hex(sessionId) }, { revokedAt: new Date() });
  }

  /** The user's live sessions, newest first; `current` marks the one with this cookie. */
  async listForUser(userId: number, currentSessionId: string, now = Date.now()): Promise<SessionInfo[]> {
    const currentHash = sha256Hex(currentSessionId);
    const rows = await this.dataSource
      .getRepository(SessionEntity)
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.expires_at > :now', { userId, now })
      .orderBy('s.created_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .getMany();
    return rows.map((s) => ({
      id: s.id,
      created_at: s.createdAt.toISOString(),
      last_seen_at: s.lastSeenAt?.toISOString() ?? null,
      ip: s.ip,
      user_agent: s.userAgent,
      current: s.sessionHash === currentHash,
    }));
  }

  /**
   * Ends one of the user's own sessions by row id; anyone else's answers 404 exactly like a
   * missing one. Returns whether it was the session of this cookie.
   */
  async revokeOwn(userId: number, id: number, currentSessionId: string, audit: AuditActor): Promise<{ current: boolean }> {
    return runInTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(SessionEntity);
      const session = await repo.findOneBy({ id, userId });
      if (!session || session.revokedAt || session.expiresAt.getTime() <= Date.now()) throw new NotFoundException('Session not found.');
      await repo.update({ id }, { revokedAt: new Date() });
      await recordAuditEvent(manager, { action: 'auth.session_revoked', actor: audit, target: `session:${id}` });
      return { current: session.sessionHash === sha256Hex(currentSessionId) };
    });
  }

  /** Signs the user out everywhere, this session included. */
  async revokeAll(userId: number, audit: AuditActor): Promise<void> {
    await runInTransaction(this.dataSource, async (manager) => {
      const ended = await revokeUserSessions(manager, userId);
      await recordAuditEvent(manager, { action: 'auth.logout_all', actor: audit, target: `user:${userId}`, detail: { sessions_ended: ended } });
    });
  }
}
