import { createHash } from 'node:crypto';
import { generateSessionId, generateTokenSecret, looksLikeToken, safeEqual, SECRET_BYTES, sha256Hex, TOKEN_PREFIX, tokenHint } from './secrets';

const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;

/** The random part of a secret must be canonical base64url of exactly 32 bytes. */
function expect32RandomBytes(encoded: string): void {
  expect(encoded).toMatch(BASE64URL_43);
  const bytes = Buffer.from(encoded, 'base64url');
  expect(bytes).toHaveLength(SECRET_BYTES);
  expect(bytes.toString('base64url')).toBe(encoded);
}

describe('generateTokenSecret', () => {
  it('is sk-lmarena- and 43 base64url characters: 32 random bytes (256 bits)', () => {
    const secret = generateTokenSecret();
    expect(SECRET_BYTES).toBe(32);
    expect(secret).toMatch(/^sk-lmarena-[A-Za-z0-9_-]{43}$/);
    expect32RandomBytes(secret.slice(TOKEN_PREFIX.length));
  });

  it('never repeats and varies over the whole alphabet', () => {
    const secrets = Array.from({ length: 2000 }, generateTokenSecret);
    expect(new Set(secrets).size).toBe(secrets.length);
    // 2000 x 43 random characters reach every one of the 64 base64url symbols.
    const symbols = new Set(secrets.flatMap((s) => [...s.slice(TOKEN_PREFIX.length)]));
    expect(symbols.size).toBe(64);
  });

  it('has the shape looksLikeToken accepts', () => {
    expect(looksLikeToken(generateTokenSecret())).toBe(true);
  });
});

describe('generateSessionId', () => {
  it('is 43 base64url characters: 32 random bytes, no prefix', () => {
    expect32RandomBytes(generateSessionId());
  });

  it('never repeats', () => {
    const ids = Array.from({ length: 2000 }, generateSessionId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('looksLikeToken', () => {
  const random43 = generateTokenSecret().slice(TOKEN_PREFIX.length);

  it.each([
    ['an empty string', ''],
    ['the prefix alone', TOKEN_PREFIX],
    ['42 characters', `${TOKEN_PREFIX}${random43.slice(1)}`],
    ['44 characters', `${TOKEN_PREFIX}${random43}A`],
    ['another prefix', `sk-openai-${random43}`],
    ['an upper-case prefix', `SK-LMARENA-${random43}`],
    ['standard base64 characters', `${TOKEN_PREFIX}${'+/'.repeat(21)}A`],
    ['padding', `${TOKEN_PREFIX}${random43.slice(1)}=`],
    ['a trailing newline', `${TOKEN_PREFIX}${random43}\n`],
    ['a leading space', ` ${TOKEN_PREFIX}${random43}`],
    ['a Bearer scheme', `Bearer ${TOKEN_PREFIX}${random43}`],
  ])('rejects %s', (_label, value) => {
    expect(looksLikeToken(value)).toBe(false);
  });
});

describe('sha256Hex', () => {
  it('is the SHA-256 of the UTF-8 text in lower-case hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('€')).toBe(
      createHash('sha256')
        .update(Buffer.from([0xe2, 0x82, 0xac]))
        .digest('hex'),
    );
  });

  it('never contains the secret it hashes', () => {
    const secret = generateTokenSecret();
    expect(sha256Hex(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256Hex(secret)).not.toContain(secret.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 8));
  });
});

describe('tokenHint', () => {
  it('is the prefix, an ellipsis and the last four characters of the secret', () => {
    const secret = `${TOKEN_PREFIX}${'A'.repeat(39)}wxyz`;
    expect(tokenHint(secret)).toBe('sk-lmarena-…wxyz');
  });
});

describe('safeEqual', () => {
  it.each([
    ['same strings', 'key-123', 'key-123', true],
    ['different strings', 'key-123', 'key-124', false],
    ['a prefix', 'key-123', 'key-12', false],
    ['empty and non-empty', '', 'key', false],
    ['two empty strings', '', '', true],
  ])('%s', (_label, a, b, expected) => {
    expect(safeEqual(a, b)).toBe(expected);
  });
});
