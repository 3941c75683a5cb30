import type { TokenLimits } from '@lmarena-bridge/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeLimits } from '../limits/limits-rules';
import { looksLikeToken, sha256Hex } from '../secrets';

export type TokenRefusal = 'malformed' | 'unknown' | 'revoked' | 'expired' | 'owner_disabled';

/** What the proxy needs to know about a valid token. */
export interface VerifiedToken {
  id: number;
  userId: number;
  name: string;
  /** Epoch ms after which the token stops working; null: never. */
  expiresAt: number | null;
  /** The token's own limits. */
  limits: TokenLimits;
  /** Its owner's caps; the effective limit of each field is the stricter of the two. */
  userLimits: TokenLimits;
}

export type TokenVerification = { ok: true; token: VerifiedToken } | { ok: false; reason: TokenRefusal };

/** Human wording of each refusal, for the proxy's 401 message (never echoing the token). */
export const REFUSAL_MESSAGES: Record<TokenRefusal, string> = {
  malformed: 'The API key is not a valid sk-lmarena token.',
  unknown: 'The API key is not recognised.',
  revoked: 'The API key has been revoked.',
  expired: 'The API key has expired.',
  owner_disabled: 'The account that owns this API key is disabled.',
};

interface Row {
  id: number;
  user_id: number;
  name: string;
  limits: string | null;
  user_limits: string | null;
  expires_at: number | string | null;
  revoked_at: number | string | null;
  disabled: number | boolean;
}

/** Checks a presented secret against the stored hashes: one indexed lookup with the owner. */
@Injectable()
export class TokenVerifier {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async verifyToken(secret: string, now = Date.now()): Promise<TokenVerification> {
    if (!looksLikeToken(secret)) return { ok: false, reason: 'malformed' };
    const rows: Row[] = await this.dataSource.query(
      `SELECT t.id, t.user_id, t.name, t.limits, u.limits AS user_limits, t.expires_at, t.revoked_at, u.disabled
         FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = ${this.dataSource.options.type === 'postgres' ? '$1' : '?'}`,
      [sha256Hex(secret)],
    );
    const row = rows[0];
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.revoked_at !== null) return { ok: false, reason: 'revoked' };
    const expiresAt = row.expires_at === null ? null : Number(row.expires_at);
    // A token expiring at T is refused at T.
    if (expiresAt !== null && expiresAt <= now) return { ok: false, reason: 'expired' };
    if (row.disabled === true || row.disabled === 1) return { ok: false, reason: 'owner_disabled' };
    const limits = decodeLimits(row.limits, `api_tokens ${row.id}`);
    const userLimits = decodeLimits(row.user_limits, `users ${row.user_id}`);
    return {
      ok: true,
      token: {
        id: Number(row.id),
        userId: Number(row.user_id),
        name: row.name,
        expiresAt,
        limits,
        userLimits,
      },
    };
  }
}
