import type { AdminToken, CreatedToken, Token } from '@lmarena-bridge/contracts';
import { ApiTokenEntity } from '../entities/api-token.entity';
import { decodeLimits } from '../limits/limits-rules';
import { tokenStatus } from '../token-status';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * A token as stored: the contract's Token but for `usage_now`, which comes from the counters
 * (the dashboard adds it, see UsageNowSource in libs/usage), not from the token's row.
 */
export type StoredToken = Omit<Token, 'usage_now'>;
export type StoredAdminToken = Omit<AdminToken, 'usage_now'>;
export type StoredCreatedToken = Omit<CreatedToken, 'usage_now'>;

/** The public shape of a token: never its hash, never its secret. */
export function toToken(entity: ApiTokenEntity, now = Date.now()): StoredToken {
  return {
    id: entity.id,
    name: entity.name,
    hint: entity.hint,
    created_at: entity.createdAt.toISOString(),
    last_used_at: iso(entity.lastUsedAt),
    expires_at: iso(entity.expiresAt),
    revoked_at: iso(entity.revokedAt),
    status: tokenStatus(entity, now),
    limits: decodeLimits(entity.limits, `api_tokens ${entity.id}`),
  };
}

export function toCreatedToken(entity: ApiTokenEntity, secret: string): StoredCreatedToken {
  return { token: secret, ...toToken(entity) };
}
