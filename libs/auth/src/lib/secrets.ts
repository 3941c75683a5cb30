import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'sk-lmarena-';
/** Random bytes behind each token and session id (256 bits). */
export const SECRET_BYTES = 32;
const SECRET_CHARS = Math.ceil((SECRET_BYTES * 4) / 3); // base64url without padding: 43
const TOKEN_PATTERN = new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9_-]{${SECRET_CHARS}}$`);

/** A new API token secret: `sk-lmarena-` + 32 random bytes in base64url. */
export function generateTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
}

/** A new opaque session id for the session cookie. */
export function generateSessionId(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Whether a string has the shape of one of our tokens (checked before any lookup). */
export function looksLikeToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/** SHA-256 hex: how tokens and session ids are stored and looked up. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** What the dashboard shows of a token: the prefix and its last four characters. */
export function tokenHint(secret: string): string {
  return `${TOKEN_PREFIX}…${secret.slice(-4)}`;
}

/** Constant-time string comparison (for the shared api_key). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
