import type { AdminUser, User } from '@lmarena-bridge/contracts';
import { UserEntity } from '../entities/user.entity';
import { decodeLimits } from '../limits/limits-rules';

/** The public shape of a user: never the password hash. */
export function toUser(entity: UserEntity): User {
  return {
    id: entity.id,
    username: entity.username,
    email: entity.email,
    role: entity.role,
    created_at: entity.createdAt.toISOString(),
    last_login_at: entity.lastLoginAt ? entity.lastLoginAt.toISOString() : null,
    limits: decodeLimits(entity.limits, `users ${entity.id}`),
  };
}

export function toAdminUser(entity: UserEntity, tokenCount: number): AdminUser {
  return { ...toUser(entity), disabled: entity.disabled, token_count: tokenCount };
}
