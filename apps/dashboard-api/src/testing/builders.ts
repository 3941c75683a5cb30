import type { TokenLimitsInput } from '@lmarena-bridge/contracts';
import { randomBytes } from 'node:crypto';

/** The body of POST /api/admin/init and /api/auth/register. */
export interface UserInput {
  username: string;
  email: string;
  password: string;
}

/** The body of POST /api/tokens. */
export interface TokenInput {
  name: string;
  expires_at?: string;
  expires_in_days?: number;
  limits?: TokenLimitsInput;
}

let seq = 0;

/**
 * A valid new account: a unique username and email and a random password that appears
 * nowhere else, so a leak of it can be searched for.
 */
export function aUser(overrides: Partial<UserInput> = {}): UserInput {
  const username = overrides.username ?? `user${++seq}_${randomBytes(3).toString('hex')}`;
  return {
    username,
    email: `${username.toLowerCase()}@example.com`,
    password: `pw-${randomBytes(15).toString('base64url')}`,
    ...overrides,
  };
}

/** A valid token request; expiry only when asked for. */
export function aToken(overrides: Partial<TokenInput> = {}): TokenInput {
  return { name: `token ${++seq}`, ...overrides };
}
