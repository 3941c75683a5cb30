import type { TokenLimits, TokenLimitsInput, UsageNow } from './limits';

export type TokenStatus = 'active' | 'expired' | 'revoked';

/** A dashboard API token as listed: the secret is never part of it. */
export interface Token {
  id: number;
  name: string;
  /** `sk-lmarena-…` plus the last four characters of the secret. */
  hint: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  status: TokenStatus;
  /** The token's own limits (every field null: unlimited). Its owner's caps apply on top. */
  limits: TokenLimits;
  /** What the limits compare against now. */
  usage_now: UsageNow;
}

/** The answer to token creation: the only time the secret is shown. */
export interface CreatedToken extends Token {
  token: string;
}

export interface TokenList {
  tokens: Token[];
}

/** A token in the admin list, with its owner. */
export interface AdminToken extends Token {
  user_id: number;
  username: string;
}

export interface AdminTokenList {
  tokens: AdminToken[];
}

/** POST /api/tokens: give at most one of the two expiry fields. */
export interface NewToken {
  name: string;
  expires_at?: string;
  expires_in_days?: number;
  /** Fields left out are unlimited. */
  limits?: TokenLimitsInput;
}

/**
 * PATCH /api/tokens/:id: at least one of the two. In `limits`, a field left out stays as it
 * was and a field given as null becomes unlimited; `limits: null` clears every limit.
 */
export interface TokenChanges {
  name?: string;
  limits?: TokenLimitsInput | null;
}
