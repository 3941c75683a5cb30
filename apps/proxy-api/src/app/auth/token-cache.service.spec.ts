import { NO_LIMITS } from '@lmarena-bridge/contracts';
import {
  ApiTokenEntity,
  authEntities,
  generateTokenSecret,
  sha256Hex,
  tokenHint,
  TokensService,
  TokenVerification,
  TokenVerifier,
  UserEntity,
} from '@lmarena-bridge/auth';
import { createDataSource, openDatabase } from '@lmarena-bridge/database';
import { TestDatabase, testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NoAuthEvents, type AuthEvents } from '@lmarena-bridge/limits';
import { TokenCache } from './token-cache.service';

const HOUR_MS = 3_600_000;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(testDatabaseKinds())('TokenCache on $kind', ({ create }) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let tokens: TokensService;
  let ownerId: number;
  let verifier: TokenVerifier;
  let cache: TokenCache;
  let queries: jest.SpyInstance;
  let lookups: jest.SpyInstance;

  beforeAll(async () => {
    db = await create();
    dataSource = await openDatabase(createDataSource(db.target, authEntities));
    tokens = new TokensService(dataSource);
    const users = dataSource.getRepository(UserEntity);
    const now = new Date();
    const owner = await users.save(
      users.create({
        username: 'cache-owner',
        email: 'cache-owner@example.com',
        passwordHash: '$2b$12$placeholder.never.compared',
        role: 'user',
        disabled: false,
        createdAt: now,
        updatedAt: now,
        lastLoginAt: null,
      }),
    );
    ownerId = owner.id;
  });
  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    verifier = new TokenVerifier(dataSource);
    cache = new TokenCache(verifier, dataSource, new NoAuthEvents());
    await cache.poll(); // what onApplicationBootstrap does: learn the current epoch
    queries = jest.spyOn(dataSource, 'query');
    lookups = jest.spyOn(verifier, 'verifyToken');
  });
  afterEach(() => {
    cache.onModuleDestroy();
    jest.restoreAllMocks();
  });

  /** A token issued as the dashboard issues it. */
  const aToken = (expiresAt: Date | null = null) => tokens.create(ownerId, { name: 'laptop', expiresAt });
  const revoke = (id: number) => tokens.revoke(id, { id: ownerId, role: 'user' });
  const resetCounts = () => {
    queries.mockClear();
    lookups.mockClear();
  };

  it('looks a token up once, then answers from memory without touching the database', async () => {
    const created = await aToken();
    const first = await cache.verify(created.token);
    expect(first).toEqual({
      ok: true,
      token: { id: created.id, userId: ownerId, name: 'laptop', expiresAt: null, limits: NO_LIMITS, userLimits: NO_LIMITS },
    });
    expect(lookups).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(1);

    resetCounts();
    for (let i = 0; i < 5; i++) await expect(cache.verify(created.token)).resolves.toEqual(first);
    expect(lookups).not.toHaveBeenCalled();
    expect(queries).not.toHaveBeenCalled();
  });

  it('refuses a token revoked through TokensService after one poll', async () => {
    const revoked = await aToken();
    const other = await aToken();
    await expect(cache.verify(revoked.token)).resolves.toMatchObject({ ok: true });
    await expect(cache.verify(other.token)).resolves.toMatchObject({ ok: true });

    await revoke(revoked.id);
    await cache.poll();

    await expect(cache.verify(revoked.token)).resolves.toEqual({ ok: false, reason: 'revoked' });
    // The poll dropped every entry; a token still valid is looked up again and still works.
    resetCounts();
    await expect(cache.verify(other.token)).resolves.toMatchObject({ ok: true, token: { id: other.id } });
    expect(lookups).toHaveBeenCalledTimes(1);
  });

  it('keeps its entries across polls while the epoch does not move', async () => {
    const created = await aToken();
    await cache.verify(created.token);
    await cache.poll();
    await cache.poll();
    resetCounts();
    await expect(cache.verify(created.token)).resolves.toMatchObject({ ok: true });
    expect(lookups).not.toHaveBeenCalled();
  });

  it('refuses a cached token at its expires_at without a poll or a query', async () => {
    const expiresAt = Date.now() + HOUR_MS;
    const created = await aToken(new Date(expiresAt));
    await expect(cache.verify(created.token, expiresAt - HOUR_MS / 2)).resolves.toMatchObject({ ok: true, token: { expiresAt } });

    resetCounts();
    await expect(cache.verify(created.token, expiresAt - 1)).resolves.toMatchObject({ ok: true });
    await expect(cache.verify(created.token, expiresAt)).resolves.toEqual({ ok: false, reason: 'expired' });
    await expect(cache.verify(created.token, expiresAt + 1)).resolves.toEqual({ ok: false, reason: 'expired' });
    expect(queries).not.toHaveBeenCalled();
  });

  it('does not cache unknown or malformed tokens, so a token stored a moment later works at once', async () => {
    const secret = generateTokenSecret();
    await expect(cache.verify(secret)).resolves.toEqual({ ok: false, reason: 'unknown' });
    await expect(cache.verify('not-a-token')).resolves.toEqual({ ok: false, reason: 'malformed' });
    expect(cache.size).toBe(0);

    const repo = dataSource.getRepository(ApiTokenEntity);
    const row = await repo.save(
      repo.create({
        userId: ownerId,
        name: 'fresh',
        tokenHash: sha256Hex(secret),
        hint: tokenHint(secret),
        limits: null,
        createdAt: new Date(),
        lastUsedAt: null,
        expiresAt: null,
        revokedAt: null,
      }),
    );
    // No poll in between: the earlier "unknown" was not remembered.
    await expect(cache.verify(secret)).resolves.toMatchObject({ ok: true, token: { id: row.id, name: 'fresh' } });
  });

  it('remembers a refusal that cannot change by itself (revoked)', async () => {
    const created = await aToken();
    await revoke(created.id);
    await cache.poll();
    await expect(cache.verify(created.token)).resolves.toEqual({ ok: false, reason: 'revoked' });
    resetCounts();
    await expect(cache.verify(created.token)).resolves.toEqual({ ok: false, reason: 'revoked' });
    expect(queries).not.toHaveBeenCalled();
  });

  it('does not cache an answer read before a revocation whose epoch change it saw arrive', async () => {
    const created = await aToken();
    const read = deferred();
    const release = deferred();
    const realLookup = TokenVerifier.prototype.verifyToken.bind(verifier);
    lookups.mockImplementationOnce(async (secret: string, now?: number): Promise<TokenVerification> => {
      const answer = await realLookup(secret, now); // read while the token was still valid
      read.resolve();
      await release.promise;
      return answer;
    });

    const pending = cache.verify(created.token);
    await read.promise;
    await revoke(created.id);
    await cache.poll(); // the epoch moves while the (now stale) answer is in flight
    release.resolve();

    // That one request was already under way; its answer must not outlive the poll.
    await expect(pending).resolves.toMatchObject({ ok: true });
    expect(cache.size).toBe(0);
    await expect(cache.verify(created.token)).resolves.toEqual({ ok: false, reason: 'revoked' });
  });

  it('reads the epoch at once when a change is announced, and tells its listeners the entries were dropped', async () => {
    // The announcement channel as the proxy sees it (RedisAuthEvents in production, tested in libs/limits).
    let announce: () => void = () => undefined;
    const events: AuthEvents = {
      publish: async () => undefined,
      subscribe: (onChange) => {
        announce = onChange;
        return () => (announce = () => undefined);
      },
      subscribed: async () => undefined,
      close: async () => undefined,
    };
    const heard = new TokenCache(new TokenVerifier(dataSource), dataSource, events);
    const invalidated = jest.fn();
    heard.onInvalidate(invalidated);
    await heard.onApplicationBootstrap();
    try {
      const created = await aToken();
      await expect(heard.verify(created.token)).resolves.toMatchObject({ ok: true });
      await revoke(created.id);
      const polled = jest.spyOn(heard, 'poll');
      announce();
      expect(polled).toHaveBeenCalledTimes(1);
      await polled.mock.results[0].value;
      expect(invalidated).toHaveBeenCalledTimes(1);
      await expect(heard.verify(created.token)).resolves.toEqual({ ok: false, reason: 'revoked' });
    } finally {
      heard.onModuleDestroy();
    }
    expect(announce).not.toThrow();
  });

  it('reads the epoch again when an announcement arrives during a poll', async () => {
    const created = await aToken();
    await cache.verify(created.token);
    const gate = deferred();
    const realQuery = dataSource.query.bind(dataSource);
    queries.mockImplementationOnce(async (...args: Parameters<DataSource['query']>) => {
      const rows = await realQuery(...args); // the epoch as it was before the revocation
      await gate.promise;
      return rows;
    });
    const first = cache.poll();
    await revoke(created.id);
    await cache.poll(); // arrives while the first read is in flight: it must not be lost
    gate.resolve();
    await first;
    await expect(cache.verify(created.token)).resolves.toEqual({ ok: false, reason: 'revoked' });
  });

  it('keeps serving its entries when reading the epoch fails', async () => {
    const created = await aToken();
    await cache.verify(created.token);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    queries.mockRejectedValueOnce(new Error('database unavailable'));

    await expect(cache.poll()).resolves.toBeUndefined();

    expect(warn).toHaveBeenCalledWith(expect.stringContaining('database unavailable'));
    resetCounts();
    await expect(cache.verify(created.token)).resolves.toMatchObject({ ok: true });
    expect(lookups).not.toHaveBeenCalled();
  });

  it('polls on its own once the application has started, until it is destroyed', async () => {
    const started = new TokenCache(new TokenVerifier(dataSource), dataSource, new NoAuthEvents());
    await started.onApplicationBootstrap();
    try {
      const created = await aToken();
      await expect(started.verify(created.token)).resolves.toMatchObject({ ok: true });
      await revoke(created.id);
      // No manual poll: the timer's poll drops the entry. The loop limit is a safety net only.
      const deadline = Date.now() + 10_000;
      let answer = await started.verify(created.token);
      while (answer.ok && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        answer = await started.verify(created.token);
      }
      expect(answer).toEqual({ ok: false, reason: 'revoked' });
    } finally {
      started.onModuleDestroy();
    }
  });
});
