import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SessionEntity } from '../entities/session.entity';
import { UserEntity } from '../entities/user.entity';
import { generateSessionId, sha256Hex } from '../secrets';

export interface NewSession {
  /** The cookie value: shown to the browser once, stored only as its SHA-256. */
  id: string;
  expiresAt: Date;
}

/** Dashboard login sessions, stored as hashes with an expiry. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async create(userId: number, now = new Date()): Promise<NewSession> {
    const id = generateSessionId();
    const expiresAt = new Date(now.getTime() + this.config.dashboard.session_ttl_hours * 3_600_000);
    await this.dataSource.getRepository(SessionEntity).insert({
      userId,
      sessionHash: sha256Hex(id),
      createdAt: now,
      expiresAt,
      revokedAt: null,
    });
    return { id, expiresAt };
  }

  /** The user behind a cookie value, or null if unknown, revoked, expired or the user is disabled. */
  async resolve(sessionId: string, now = Date.now()): Promise<UserEntity | null> {
    if (!sessionId || sessionId.length > 200) return null;
    const session = await this.dataSource.getRepository(SessionEntity).findOneBy({ sessionHash: sha256Hex(sessionId) });
    if (!session || session.revokedAt || session.expiresAt.getTime() <= now) return null;
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ id: session.userId });
    return user && !user.disabled ? user : null;
  }

  async revoke(sessionId: string): Promise<void> {
    await this.dataSource.getRepository(SessionEntity).update(
      { sessionHash: sha256Hex(sessionId) },
      { revokedAt: new Date() },
    );
  }
}
