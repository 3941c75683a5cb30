import { runInTransaction } from '@lmarena-bridge/database';
import type { AdminToken, CreatedToken, Token } from '@lmarena-bridge/contracts';
import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { AuditActor, recordAuditEvent } from '../audit/audit.service';
import { bumpAuthEpoch } from '../auth-epoch';
import { ApiTokenEntity } from '../entities/api-token.entity';
import { UserEntity } from '../entities/user.entity';
import { generateTokenSecret, sha256Hex, tokenHint } from '../secrets';
import { toCreatedToken, toToken } from './token.mapper';

export interface NewToken {
  name: string;
  expiresAt?: Date | null;
}

export interface TokenActor {
  id: number;
  role: 'admin' | 'user';
}

/** API tokens: issue, list, revoke. The secret exists only in the creation answer. */
@Injectable()
export class TokensService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Issues a token; with `audit`, recorded in the same transaction. */
  async create(userId: number, input: NewToken, now = new Date(), audit?: AuditActor): Promise<CreatedToken> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 100) throw new BadRequestException(['name must be 1 to 100 characters']);
    if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
      throw new BadRequestException(['expires_at must be in the future']);
    }
    const secret = generateTokenSecret();
    const entity = await runInTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(ApiTokenEntity);
      const saved = await repo.save(
        repo.create({
          userId,
          name,
          tokenHash: sha256Hex(secret),
          hint: tokenHint(secret),
          allowedModels: null,
          createdAt: now,
          lastUsedAt: null,
          expiresAt: input.expiresAt ?? null,
          revokedAt: null,
        }),
      );
      if (audit) {
        await recordAuditEvent(
          manager,
          {
            action: 'token.created',
            actor: audit,
            target: `token:${saved.id}`,
            detail: { name, owner_id: userId, expires_at: saved.expiresAt?.toISOString() ?? null },
          },
          now,
        );
      }
      return saved;
    });
    return toCreatedToken(entity, secret);
  }

  async listForUser(userId: number): Promise<Token[]> {
    const tokens = await this.dataSource.getRepository(ApiTokenEntity).find({ where: { userId }, order: { createdAt: 'DESC', id: 'DESC' } });
    const now = Date.now();
    return tokens.map((t) => toToken(t, now));
  }

  /** Every user's tokens with their owner, for admins. */
  async listAll(): Promise<AdminToken[]> {
    const rows = await this.dataSource.getRepository(ApiTokenEntity).find({ order: { createdAt: 'DESC', id: 'DESC' } });
    const owners = new Map((await this.dataSource.getRepository(UserEntity).find()).map((u) => [u.id, u.username]));
    const now = Date.now();
    return rows.map((t) => ({ ...toToken(t, now), user_id: t.userId, username: owners.get(t.userId) ?? '' }));
  }

  /**
   * Soft revocation. Someone else's token answers 404 exactly like a missing one (no one
   * learns it exists) unless the actor is an admin. Revoking twice is harmless.
   */
  async revoke(tokenId: number, actor: TokenActor, audit?: AuditActor): Promise<void> {
    await runInTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(ApiTokenEntity);
      const token = await repo.findOneBy(actor.role === 'admin' ? { id: tokenId } : { id: tokenId, userId: actor.id });
      if (!token) throw new NotFoundException('Token not found.');
      const result = await repo.update({ id: tokenId, revokedAt: IsNull() }, { revokedAt: new Date() });
      if (result.affected) {
        await bumpAuthEpoch(manager);
        if (audit) {
          await recordAuditEvent(manager, {
            action: 'token.revoked',
            actor: audit,
            target: `token:${tokenId}`,
            detail: { name: token.name, owner_id: token.userId },
          });
        }
      }
    });
  }
}
