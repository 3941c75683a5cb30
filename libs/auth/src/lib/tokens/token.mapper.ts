import type { CreatedToken, Token } from '@lmarena-bridge/contracts';
import { ApiTokenEntity } from '../entities/api-token.entity';
import { tokenStatus } from '../token-status';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The public shape of a token: never its hash, never its secret. */
export function toToken(entity: ApiTokenEntity, now = Date.now()): Token {
  return {
    id: entity.id,
    name: entity.name,
    hint: entity.hint,
    created_at: entity.createdAt.toISOString(),
    last_used_at: iso(entity.lastUsedAt),
    expires_at: iso(entity.expiresAt),
    revoked_at: iso(entity.revokedAt),
    status: tokenStatus(entity, now),
  };
}

export function toCreatedToken(entity: ApiTokenEntity, secret: string): CreatedToken {
  return { token: secret, ...toToken(entity) };
}
