import { burnPasswordCheck, hashPassword, PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, passwordProblem, passwordTooLong, verifyPassword } from './passwords';

const TOO_SHORT = 'password must be at least 8 characters';
const TOO_LONG = 'password must be at most 72 bytes (UTF-8)';
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('passwordProblem', () => {
  it('uses the documented limits', () => {
    expect(PASSWORD_MIN_CHARS).toBe(8);
    expect(PASSWORD_MAX_BYTES).toBe(72);
  });

  it.each([
    ['7 ASCII characters', 'a'.repeat(7), TOO_SHORT],
    ['8 ASCII characters', 'a'.repeat(8), null],
    // The minimum counts characters, not bytes or UTF-16 units.
    ['7 three-byte characters (21 bytes)', '€'.repeat(7), TOO_SHORT],
    ['8 three-byte characters', '€'.repeat(8), null],
    ['7 emoji (14 UTF-16 units)', '😀'.repeat(7), TOO_SHORT],
    ['8 emoji', '😀'.repeat(8), null],
    // The maximum counts UTF-8 bytes: what bcrypt sees.
    ['72 ASCII bytes', 'a'.repeat(72), null],
    ['73 ASCII bytes', 'a'.repeat(73), TOO_LONG],
    ['24 three-byte characters (72 bytes)', '€'.repeat(24), null],
    ['24 three-byte characters and one ASCII (73 bytes)', `${'€'.repeat(24)}a`, TOO_LONG],
    ['36 two-byte characters (72 bytes)', 'é'.repeat(36), null],
    ['35 two-byte characters and a three-byte one (73 bytes)', `${'é'.repeat(35)}€`, TOO_LONG],
    ['18 emoji (72 bytes)', '😀'.repeat(18), null],
    ['18 emoji and one ASCII (73 bytes)', `${'😀'.repeat(18)}a`, TOO_LONG],
  ])('%s', (_label, password, expected) => {
    expect(passwordProblem(password)).toBe(expected);
  });

  it('checks the byte length of the test data it relies on', () => {
    expect(bytes('€'.repeat(24))).toBe(72);
    expect(bytes(`${'é'.repeat(35)}€`)).toBe(73);
    expect(bytes(`${'😀'.repeat(18)}a`)).toBe(73);
  });
});

describe('passwordTooLong', () => {
  it('is true from 73 UTF-8 bytes on', () => {
    expect(passwordTooLong('€'.repeat(24))).toBe(false);
    expect(passwordTooLong(`${'€'.repeat(24)}a`)).toBe(true);
  });
});

describe('hashPassword / verifyPassword', () => {
  const password = `${'€'.repeat(20)}-ok!`;
  let hash: string;

  beforeAll(async () => {
    hash = await hashPassword(password);
  });

  it('stores a bcrypt hash at cost 12 that does not contain the password', () => {
    expect(hash).toMatch(/^\$2[aby]\$12\$[./A-Za-z0-9]{53}$/);
    expect(hash).not.toContain(password);
  });

  it('accepts the password and refuses any other', async () => {
    await expect(verifyPassword(password, hash)).resolves.toBe(true);
    await expect(verifyPassword(`${password}x`, hash)).resolves.toBe(false);
    await expect(verifyPassword(password.slice(0, -1), hash)).resolves.toBe(false);
  });

  it('shows why longer passwords are refused: bcrypt ignores every byte past 72', async () => {
    const base = 'a'.repeat(72);
    const longHash = await hashPassword(`${base}-first`);
    await expect(verifyPassword(`${base}-second`, longHash)).resolves.toBe(true);
  });

  it('burnPasswordCheck always answers false', async () => {
    await expect(burnPasswordCheck(password)).resolves.toBe(false);
  });
});
