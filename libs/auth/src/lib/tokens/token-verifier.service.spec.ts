import { NO_LIMITS } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { AuthTestDatabase, openAuthTestDatabase } from '../../testing/auth-test-database';
import { ApiTokenEntity } from '../entities/api-token.entity';
import { UserEntity } from '../entities/user.entity';
import { generateTokenSecret, sha256Hex, TOKEN_PREFIX, tokenHint } from '../secrets';
import { TokenVerifier } from './token-verifier.service';
import { TokensService } from './tokens.service';

const HOUR = 3_600_000;

describe.each(testDatabaseKinds())('TokenVerifier on $kind', ({ create }) => {
  let db: AuthTestDatabase;
  let tokens: TokensService;
  let verifier: TokenVerifier;
  let owner: UserEntity;

  beforeAll(async () => {
    db = await openAuthTestDatabase(create);
    tokens = new TokensService(db.dataSource);
    verifier = new TokenVerifier(db.dataSource);
    owner = await db.insertUser();
  });
  afterAll(() => db?.close());

  /** A token issued through TokensService, as the dashboard issues it. */
  const aToken = (opts: { expiresAt?: Date | null; userId?: number } = {}) =>
    tokens.create(opts.userId ?? owner.id, { name: 'laptop', expiresAt: opts.expiresAt ?? null });

  it('accepts a live token and answers its id, owner, name and expiry', async () => {
    const created = await aToken();
    await expect(verifier.verifyToken(created.token)).resolves.toEqual({
      ok: true,
      token: { id: created.id, userId: owner.id, name: 'laptop', expiresAt: null, limits: NO_LIMITS, userLimits: NO_LIMITS },
    });
  });

  it('stores only the SHA-256 of the secret and the hint', async () => {
    const created = await aToken();
    const [row] = await db.dataSource.query(`SELECT * FROM api_tokens WHERE id = ${created.id}`);
    expect(row.token_hash).toBe(sha256Hex(created.token));
    expect(row.hint).toBe(tokenHint(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token.slice(TOKEN_PREFIX.length));
  });

  it('finds a token by the SHA-256 of the presented secret', async () => {
    const secret = generateTokenSecret();
    const repo = db.dataSource.getRepository(ApiTokenEntity);
    const row = await repo.save(
      repo.create({
        userId: owner.id,
        name: 'inserted',
        tokenHash: sha256Hex(secret),
        hint: tokenHint(secret),
        limits: JSON.stringify({ allowed_models: ['echo'] }),
        createdAt: new Date(),
        lastUsedAt: null,
        expiresAt: null,
        revokedAt: null,
      }),
    );
    await expect(verifier.verifyToken(secret)).resolves.toMatchObject({
      ok: true,
      token: { id: row.id, limits: { allowed_models: ['echo'] } },
    });
    // A secret whose hash is not stored is unknown, even one differing in a single character.
    const sibling = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    await expect(verifier.verifyToken(sibling)).resolves.toEqual({ ok: false, reason: 'unknown' });
  });

  it("answers the token's limits and its owner's caps (the proxy combines them)", async () => {
    const capped = await db.insertUser({ limits: JSON.stringify({ rpm: 100, allowed_models: ['echo', 'gpt-4o'] }) });
    const created = await tokens.create(capped.id, { name: 'limited', limits: { rpm: 600, tpm: 5000, allowed_models: ['gpt-4o', 'claude'] } });
    await expect(verifier.verifyToken(created.token)).resolves.toEqual({
      ok: true,
      token: {
        id: created.id,
        userId: capped.id,
        name: 'limited',
        expiresAt: null,
        limits: { ...NO_LIMITS, rpm: 600, tpm: 5000, allowed_models: ['gpt-4o', 'claude'] },
        userLimits: { ...NO_LIMITS, rpm: 100, allowed_models: ['echo', 'gpt-4o'] },
      },
    });
  });

  it('answers the caps of an owner whose token has no limits of its own', async () => {
    const capped = await db.insertUser({ limits: JSON.stringify({ allowed_models: ['echo'] }) });
    const created = await tokens.create(capped.id, { name: 'free' });
    await expect(verifier.verifyToken(created.token)).resolves.toMatchObject({
      ok: true,
      token: { limits: NO_LIMITS, userLimits: { ...NO_LIMITS, allowed_models: ['echo'] } },
    });
  });

  it('refuses a token expiring at T at T and accepts it at T - 1 ms', async () => {
    const t = Date.now() + HOUR;
    const created = await aToken({ expiresAt: new Date(t) });
    await expect(verifier.verifyToken(created.token, t - 1)).resolves.toMatchObject({ ok: true, token: { expiresAt: t } });
    await expect(verifier.verifyToken(created.token, t)).resolves.toEqual({ ok: false, reason: 'expired' });
    await expect(verifier.verifyToken(created.token, t + 1)).resolves.toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a revoked token', async () => {
    const created = await aToken();
    await tokens.revoke(created.id, { id: owner.id, role: 'user' });
    await expect(verifier.verifyToken(created.token)).resolves.toEqual({ ok: false, reason: 'revoked' });
  });

  it('refuses a well-formed secret that was never issued', async () => {
    await expect(verifier.verifyToken(generateTokenSecret())).resolves.toEqual({ ok: false, reason: 'unknown' });
  });

  it.each([
    ['an empty string', ''],
    ['a short token', `${TOKEN_PREFIX}abc`],
    ['another vendor key', `sk-proj-${'a'.repeat(43)}`],
    ['a token with a trailing newline', `${generateTokenSecret()}\n`],
    ['a Bearer header value', `Bearer ${generateTokenSecret()}`],
  ])('refuses %s as malformed without a lookup', async (_label, value) => {
    const query = jest.spyOn(db.dataSource, 'query');
    try {
      await expect(verifier.verifyToken(value)).resolves.toEqual({ ok: false, reason: 'malformed' });
      expect(query).not.toHaveBeenCalled();
    } finally {
      query.mockRestore();
    }
  });

  it('refuses the tokens of a disabled owner, and accepts them again once enabled', async () => {
    const other = await db.insertUser();
    const created = await aToken({ userId: other.id });
    const users = db.dataSource.getRepository(UserEntity);
    await users.update({ id: other.id }, { disabled: true });
    await expect(verifier.verifyToken(created.token)).resolves.toEqual({ ok: false, reason: 'owner_disabled' });
    await users.update({ id: other.id }, { disabled: false });
    await expect(verifier.verifyToken(created.token)).resolves.toMatchObject({ ok: true });
  });
});
