import { randomBytes } from 'node:crypto';
import { SECRET_BYTES } from '@lmarena-bridge/auth';

export const BRIDGE_KEY_PREFIX = 'lmb-bridge-';
const SECRET_CHARS = Math.ceil((SECRET_BYTES * 4) / 3); // base64url without padding: 43
const BRIDGE_KEY_PATTERN = new RegExp(`^${BRIDGE_KEY_PREFIX}[A-Za-z0-9_-]{${SECRET_CHARS}}$`);

/** A new bridge key: `lmb-bridge-` + 32 random bytes in base64url. */
export function generateBridgeKey(): string {
  return BRIDGE_KEY_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
}

/** Whether a hello's secret has the shape of a bridge key (checked before any lookup). */
export function looksLikeBridgeKey(value: string): boolean {
  return BRIDGE_KEY_PATTERN.test(value);
}

/** The stored display hint: the prefix and the last four characters. */
export function bridgeKeyHint(secret: string): string {
  return `${BRIDGE_KEY_PREFIX}…${secret.slice(-4)}`;
}
