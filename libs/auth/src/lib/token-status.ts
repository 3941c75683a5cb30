import type { TokenStatus } from '@lmarena-bridge/contracts';

export interface TokenDates {
  revokedAt: Date | null;
  expiresAt: Date | null;
}

/**
 * Derived, never stored: revoked wins over expired. A token expiring at T is refused at T
 * (the expiry instant is the first moment it no longer works).
 */
export function tokenStatus(token: TokenDates, now: number = Date.now()): TokenStatus {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && token.expiresAt.getTime() <= now) return 'expired';
  return 'active';
}
