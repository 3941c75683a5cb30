import { runInTransaction } from '@lmarena-bridge/database';
import { NO_LIMITS } from '@lmarena-bridge/contracts';
import type { TokenLimits, TokenLimitsInput } from '@lmarena-bridge/contracts';
import { BadRequestException, ConflictException, Injectable, NotFoundException, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AuditActor, recordAuditEvent } from '../audit/audit.service';
import { AuthChangeNotifier, notifyAuthChange } from '../auth-change-notifier';
import { bumpAuthEpoch } from '../auth-epoch';
import { DomainEventSink } from '../domain-events';
import { ApiTokenEntity } from '../entities/api-token.entity';
import { UserEntity } from '../entities/user.entity';
import { applyLimitsChange, decodeLimits, encodeLimits, normalizeLimitsInput, setLimits } from '../limits/limits-rules';
import { generateTokenSecret, sha256Hex, tokenHint } from '../secrets';
import { StoredAdminToken, StoredCreatedToken, StoredToken, toCreatedToken, toToken } from './token.mapper';

export interface NewToken {
  name: string;
  expiresAt?: Date | null;
  /** Fields left out are unlimited. Checked and canonicalised here (a 400 naming the field). */
  limits?: TokenLimitsInput;
}

/** PATCH of a token: a limits field left out stays, one given as null is lifted; `limits: null` lifts all. */
export interface TokenChanges {
  name?: string;
  limits?: TokenLimitsInput | null;
}

export interface TokenActor {
  id: number;
  role: 'admin' | 'user';
}

/** The stored name rule: trimmed, 1 to 100 characters. */
function checkedName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100) throw new BadRequestException(['name must be 1 to 100 characters']);
  return trimmed;
}

/**
 * The row, locked for the rest of the transaction on PostgreSQL (at READ COMMITTED two
 * concurrent PATCHes would each merge into the same old limits, and one change would be
 * lost). SQLite transactions already take turns (runInTransaction).
 */
function findForChange(manager: EntityManager, where: Partial<Pick<ApiTokenEntity, 'id' | 'userId'>>): Promise<ApiTokenEntity | null> {
  const pg = manager.connection.options.type === 'postgres';
  return manager.getRepository(ApiTokenEntity).findOne({ where, ...(pg ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
}

/** API tokens: issue, list, change, revoke. The secret exists only in the creation answer. */
@Injectable()
export class TokensService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() private readonly notifier?: AuthChangeNotifier,
    @Optional() private readonly events?: DomainEventSink,
  ) {}

  /** Issues a token; with `audit`, recorded in the same transaction. */
  async create(userId: number, input: NewToken, now = new Date(), audit?: AuditActor): Promise<StoredCreatedToken> {
    const name = checkedName(input.name);
    if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
      throw new BadRequestException(['expires_at must be in the future']);
    }
    const limits = input.limits === undefined ? { ...NO_LIMITS } : applyLimitsChange(NO_LIMITS, normalizeLimitsInput(input.limits));
    const secret = generateTokenSecret();
    const entity = await runInTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(ApiTokenEntity);
      const saved = await repo.save(
        repo.create({
          userId,
          name,
          tokenHash: sha256Hex(secret),
          hint: tokenHint(secret),
          limits: encodeLimits(limits),
          createdAt: now,
          lastUsedAt: null,
          expiresAt: input.expiresAt ?? null,
          revokedAt: null,
        }),
      );
      if (audit) {
        const set = setLimits(limits);
        await recordAuditEvent(
          manager,
          {
            action: 'token.created',
            actor: audit,
            target: `token:${saved.id}`,
            detail: { name, owner_id: userId, expires_at: saved.expiresAt?.toISOString() ?? null, ...(Object.keys(set).length ? { limits: set } : {}) },
          },
          now,
        );
      }
      await this.events?.record(
        manager,
        { type: 'token.created', userId, data: { token: { id: saved.id, name, hint: saved.hint, expires_at: saved.expiresAt?.toISOString() ?? null } } },
        now,
      );
      return saved;
    });
    // A new token was in no proxy's cache: nothing to announce.
    return toCreatedToken(entity, secret);
  }

  async listForUser(userId: number): Promise<StoredToken[]> {
    const tokens = await this.dataSource.getRepository(ApiTokenEntity).find({ where: { userId }, order: { createdAt: 'DESC', id: 'DESC' } });
    const now = Date.now();
    return tokens.map((t) => toToken(t, now));
  }

  /** Every user's tokens with their owner, for admins. */
  async listAll(): Promise<StoredAdminToken[]> {
    const rows = await this.dataSource.getRepository(ApiTokenEntity).find({ order: { createdAt: 'DESC', id: 'DESC' } });
    const owners = new Map((await this.dataSource.getRepository(UserEntity).find()).map((u) => [u.id, u.username]));
    const now = Date.now();
    return rows.map((t) => ({ ...toToken(t, now), user_id: t.userId, username: owners.get(t.userId) ?? '' }));
  }

  /**
   * The caps of each token's owner (a token's effective limits are the stricter of its own and
   * these), for the usage figures the dashboard shows against them. One statement for the list.
   */
  async ownerCaps(tokenIds: readonly number[]): Promise<Map<number, TokenLimits>> {
    const out = new Map<number, TokenLimits>();
    if (tokenIds.length === 0) return out;
    const rows = await this.dataSource
      .getRepository(ApiTokenEntity)
      .createQueryBuilder('t')
      .innerJoin(UserEntity, 'u', 'u.id = t.user_id')
      .select(['t.id AS id', 'u.limits AS limits'])
      .where('t.id IN (:...ids)', { ids: [...tokenIds] })
      .getRawMany<{ id: number | string; limits: string | null }>();
    for (const row of rows) out.set(Number(row.id), decodeLimits(row.limits, `users of token ${row.id}`));
    return out;
  }

  /**
   * Renames a token and/or changes its limits (owner or admin; someone else's token answers 404
   * like a missing one). A revoked token is final: 409 `token_revoked`. A real change bumps the
   * auth epoch and is audited in the same transaction (token.renamed, token.limits_changed with
   * the limits before and after); the proxies are told after commit. Changing nothing changes
   * nothing: no epoch bump, no audit line.
   */
  async update(tokenId: number, changes: TokenChanges, actor: TokenActor, audit?: AuditActor): Promise<StoredToken> {
    if (changes.name === undefined && changes.limits === undefined) throw new BadRequestException(['give name and/or limits']);
    const name = changes.name === undefined ? undefined : checkedName(changes.name);
    const limitsChange = changes.limits === undefined || changes.limits === null ? changes.limits : normalizeLimitsInput(changes.limits);
    const { token, changed } = await runInTransaction(this.dataSource, async (manager) => {
      const token = await findForChange(manager, actor.role === 'admin' ? { id: tokenId } : { id: tokenId, userId: actor.id });
      if (!token) throw new NotFoundException('Token not found.');
      if (token.revokedAt) {
        throw new ConflictException({ message: 'This token is revoked: its name and limits can no longer change.', code: 'token_revoked' });
      }
      const before: TokenLimits = decodeLimits(token.limits, `api_tokens ${token.id}`);
      const after = applyLimitsChange(before, limitsChange);
      const renamed = name !== undefined && name !== token.name;
      const limitsChanged = encodeLimits(after) !== encodeLimits(before);
      if (!renamed && !limitsChanged) return { token, changed: false };
      const target = `token:${token.id}`;
      if (renamed && audit) {
        await recordAuditEvent(manager, { action: 'token.renamed', actor: audit, target, detail: { from: token.name, to: name, owner_id: token.userId } });
      }
      if (limitsChanged && audit) {
        await recordAuditEvent(manager, {
          action: 'token.limits_changed',
          actor: audit,
          target,
          detail: { name: name ?? token.name, owner_id: token.userId, from: setLimits(before), to: setLimits(after) },
        });
      }
      if (renamed) token.name = name;
      token.limits = encodeLimits(after);
      await manager.getRepository(ApiTokenEntity).update({ id: token.id, revokedAt: IsNull() }, { name: token.name, limits: token.limits });
      // The proxies cache a verified token with its name and limits: they must read it again.
      await bumpAuthEpoch(manager);
      return { token, changed: true };
    });
    if (changed) await notifyAuthChange(this.notifier, { kind: 'token', id: token.id, what: 'changed' });
    return toToken(token);
  }

  /**
   * Soft revocation. Someone else's token answers 404 exactly like a missing one (no one
   * learns it exists) unless the actor is an admin. Revoking twice is harmless.
   */
  async revoke(tokenId: number, actor: TokenActor, audit?: AuditActor): Promise<void> {
    const revoked = await runInTransaction(this.dataSource, async (manager) => {
      const repo = manager.getRepository(ApiTokenEntity);
      const token = await repo.findOneBy(actor.role === 'admin' ? { id: tokenId } : { id: tokenId, userId: actor.id });
      if (!token) throw new NotFoundException('Token not found.');
      const result = await repo.update({ id: tokenId, revokedAt: IsNull() }, { revokedAt: new Date() });
      if (!result.affected) return false;
      await bumpAuthEpoch(manager);
      await this.events?.record(
        manager,
        { type: 'token.revoked', userId: token.userId, data: { token: { id: token.id, name: token.name, hint: token.hint } } },
        new Date(),
      );
      if (audit) {
        await recordAuditEvent(manager, {
          action: 'token.revoked',
          actor: audit,
          target: `token:${tokenId}`,
          detail: { name: token.name, owner_id: token.userId },
        });
      }
      return true;
    });
    if (revoked) await notifyAuthChange(this.notifier, { kind: 'token', id: tokenId, what: 'revoked' });
  }
}
