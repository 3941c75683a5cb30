import type { Redis } from 'ioredis';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { anAdmit, RecordingLogger, RecordingSeed } from '../testing/builders';
import { limitStoreContract } from '../testing/limit-store.contract';
import { deletePrefix, describeWithRedis, keysUnder, RedisForwarder, testRedisUrl, uniquePrefix } from '../testing/redis';
import type { Admission, Lease } from './limit-store';
import { createLimitsRedis, RedisLimitStore } from './redis-limit-store';
import { ResilientLimitStore } from './resilient-limit-store';

const url = testRedisUrl('ResilientLimitStore suites');
const withRedis = describeWithRedis(url);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function leaseOf(a: Admission): Lease {
  if (!a.ok) throw new Error(`refused: ${a.refusal}`);
  return a.lease;
}

withRedis('ResilientLimitStore with Redis answering', () => {
  const prefix = uniquePrefix('resilient-up');
  const clients: Redis[] = [];
  const stores: ResilientLimitStore[] = [];
  limitStoreContract('ResilientLimitStore (Redis up)', {
    open: async (seed, clock) => {
      const redis = createLimitsRedis(String(url), { commandTimeout: 10_000 });
      clients.push(redis);
      const store = new RedisLimitStore({ redis, keyPrefix: prefix, seed, clock: clock.now, commandTimeoutMs: 10_000 });
      await store.connected(5_000);
      const logger = new RecordingLogger();
      // Redis down would be a failure of this suite, not a fallback.
      logger.on('warn', (m: string) => {
        throw new Error(`unexpected warning: ${m}`);
      });
      const resilient = new ResilientLimitStore({ redis: store, seed, logger, clock: clock.now });
      stores.push(resilient);
      return resilient;
    },
    close: async () => {
      for (const s of stores) s.close();
      await deletePrefix(clients[0], prefix);
      for (const c of clients) c.disconnect();
    },
  });
});

describe('ResilientLimitStore with Redis unreachable from the start', () => {
  const clients: Redis[] = [];
  const stores: ResilientLimitStore[] = [];
  const loggers: RecordingLogger[] = [];
  let port = 0;
  beforeAll(async () => {
    port = await closedPort();
  });

  limitStoreContract('ResilientLimitStore (Redis down: the memory fallback)', {
    open: async (seed, clock) => {
      const redis = createLimitsRedis(`redis://127.0.0.1:${port}`, { retryStrategy: () => 1000 });
      clients.push(redis);
      const logger = new RecordingLogger();
      loggers.push(logger);
      const resilient = new ResilientLimitStore({ redis: new RedisLimitStore({ redis, keyPrefix: 'lmb-test-down:', seed }), seed, logger, clock: clock.now });
      stores.push(resilient);
      return resilient;
    },
    close: async () => {
      for (const s of stores) s.close();
      for (const c of clients) c.disconnect();
    },
  });

  it('warned once per store, whatever the number of requests', () => {
    expect(loggers.length).toBeGreaterThan(10);
    for (const l of loggers) expect(l.warnings.length).toBeLessThanOrEqual(1);
    expect(loggers.some((l) => /Redis unreachable for the limits .*counting per instance in memory/.test(l.warnings[0] ?? ''))).toBe(true);
  });
});

withRedis('ResilientLimitStore through an outage', () => {
  const prefix = uniquePrefix('resilient-outage');
  let direct: Redis;
  let forwarder: RedisForwarder;
  let client: Redis;
  let seed: RecordingSeed;
  let logger: RecordingLogger;
  let store: ResilientLimitStore;
  /** The truth as other instances see it: the same prefix on a connection of its own. */
  let observer: RedisLimitStore;
  let tokenId = 500;

  beforeEach(async () => {
    forwarder = RedisForwarder.forUrl(String(url));
    await forwarder.start();
    client = createLimitsRedis(forwarder.url, { retryStrategy: () => 20, commandTimeout: 300 });
    direct = createLimitsRedis(String(url), { commandTimeout: 10_000 });
    seed = new RecordingSeed();
    logger = new RecordingLogger();
    const redisStore = new RedisLimitStore({ redis: client, keyPrefix: prefix, seed });
    observer = new RedisLimitStore({ redis: direct, keyPrefix: prefix, seed });
    expect(await redisStore.connected(5_000)).toBe(true);
    expect(await observer.connected(5_000)).toBe(true);
    // Probes are driven by the tests (the timer is tested on its own below).
    store = new ResilientLimitStore({ redis: redisStore, seed, logger, probeIntervalMs: 3_600_000 });
  });
  afterEach(async () => {
    store.close();
    await forwarder.stop();
    client.disconnect();
    await deletePrefix(direct, prefix);
    direct.disconnect();
  });

  /** Brings the forwarder back and waits for the client to reconnect. */
  async function redisReturns(): Promise<void> {
    const ready = once(client, 'ready');
    await forwarder.start();
    await ready;
  }

  it('serves from memory while Redis is away (one warning), then merges what it counted into Redis', async () => {
    const t = ++tokenId;
    const limits = { dailyRequests: 100, monthlyTokens: 10_000 };
    for (let i = 0; i < 5; i++) await store.settle(leaseOf(await store.admit(anAdmit(t, limits))), { tokens: 10, costUsd: 0.01 });
    const redisLease = leaseOf(await store.admit(anAdmit(t, limits)));
    // The database's rollups hold those six requests (five settled).
    seed.counters = { dayRequests: 6, monthTokens: 50, monthCostUsd: 0.05 };
    expect(store.shared).toBe(true);

    await forwarder.stop();
    const during: Lease[] = [];
    for (let i = 0; i < 7; i++) during.push(leaseOf(await store.admit(anAdmit(t, limits))));
    for (const l of during) await store.settle(l, { tokens: 10, costUsd: 0.01 });
    // Admitted by Redis, settled while it is away: charged in memory and kept for the merge.
    await store.settle(redisLease, { tokens: 20, costUsd: 0.02 });
    expect(store.shared).toBe(false);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/Redis unreachable for the limits/);
    expect(await store.usageNow(t, anAdmit(t, limits).limits)).toMatchObject({ dayRequests: 13, monthTokens: 140 });
    expect(await observer.usageNow(t, anAdmit(t, limits).limits)).toMatchObject({ dayRequests: 6, monthTokens: 50, inFlight: 1 });

    await redisReturns();
    expect(await store.probe()).toBe(true);
    expect(store.shared).toBe(true);
    expect(logger.logs).toEqual([expect.stringMatching(/Redis answers again.*2 counters merged from memory, 0 left to the database/)]);
    const after = await observer.usageNow(t, anAdmit(t, limits).limits);
    expect(after).toMatchObject({ dayRequests: 13, monthTokens: 140, monthCostUsd: 0.14 });
    // The Redis lease settled during the outage was released there: its slot is free again.
    expect(after.inFlight).toBe(0);
    await store.admit(anAdmit(t, limits));
    expect((await observer.usageNow(t, anAdmit(t, limits).limits)).dayRequests).toBe(14);
  });

  it('a memory lease settled after Redis is back frees its memory slot and charges Redis directly', async () => {
    const t = ++tokenId;
    await store.admit(anAdmit(t, {}));
    await forwarder.stop();
    const held = leaseOf(await store.admit(anAdmit(t, { maxParallel: 2 })));
    await redisReturns();
    expect(await store.probe()).toBe(true);
    expect(await observer.usageNow(t, anAdmit(t, {}).limits)).toMatchObject({ dayRequests: 2, monthTokens: 0 });
    await store.settle(held, { tokens: 30, costUsd: 0.5 });
    expect(await observer.usageNow(t, anAdmit(t, {}).limits)).toMatchObject({ dayRequests: 2, monthTokens: 30, monthCostUsd: 0.5 });
    // Nothing more to merge: the next outage's recovery adds nothing twice.
    await forwarder.stop();
    await store.admit(anAdmit(t, {}));
    await redisReturns();
    expect(await store.probe()).toBe(true);
    expect(await observer.usageNow(t, anAdmit(t, {}).limits)).toMatchObject({ dayRequests: 3, monthTokens: 30 });
  });

  it('counters Redis lost meanwhile are rebuilt from the database, not merged', async () => {
    const t = ++tokenId;
    for (let i = 0; i < 3; i++) await store.settle(leaseOf(await store.admit(anAdmit(t, { dailyRequests: 50 }))), { tokens: 1, costUsd: 0 });
    seed.counters = { dayRequests: 3, monthTokens: 3, monthCostUsd: 0 };
    await forwarder.stop();
    for (let i = 0; i < 2; i++) await store.settle(leaseOf(await store.admit(anAdmit(t, { dailyRequests: 50 }))), { tokens: 1, costUsd: 0 });
    // Redis restarted empty: its keys are gone. The database has all five requests.
    expect(await deletePrefix(direct, `${prefix}lim:{${t}}:`)).toBeGreaterThan(0);
    seed.counters = { dayRequests: 5, monthTokens: 5, monthCostUsd: 0 };
    await redisReturns();
    expect(await store.probe()).toBe(true);
    expect(logger.logs[0]).toMatch(/0 counters merged from memory, 2 left to the database/);
    expect(await keysUnder(direct, `${prefix}lim:{${t}}:`)).toEqual([]);
    await store.admit(anAdmit(t, { dailyRequests: 50 }));
    expect(await observer.usageNow(t, anAdmit(t, {}).limits)).toMatchObject({ dayRequests: 6, monthTokens: 5 });
  });

  it('a counter another instance re-created from the database during the outage is not merged into (no double count)', async () => {
    const t = ++tokenId;
    for (let i = 0; i < 2; i++) await store.admit(anAdmit(t, {}));
    await forwarder.stop();
    for (let i = 0; i < 3; i++) await store.admit(anAdmit(t, {}));
    // Redis lost its data; another instance, still connected, seeds the day from the database
    // (which holds all five) and counts one more.
    await deletePrefix(direct, `${prefix}lim:{${t}}:`);
    seed.counters = { dayRequests: 5, monthTokens: 0, monthCostUsd: 0 };
    await observer.admit(anAdmit(t, {}));
    await redisReturns();
    expect(await store.probe()).toBe(true);
    expect(logger.logs[0]).toMatch(/0 counters merged from memory, 1 left to the database/);
    expect((await observer.usageNow(t, anAdmit(t, {}).limits)).dayRequests).toBe(6);
  });

  it('a Redis that stops answering times out into the fallback; requests never fail', async () => {
    const t = ++tokenId;
    await store.admit(anAdmit(t, { rpm: 2 }));
    seed.counters = { dayRequests: 1, monthTokens: 0, monthCostUsd: 0 };
    forwarder.hang();
    const during = [await store.admit(anAdmit(t, { rpm: 2 })), await store.admit(anAdmit(t, { rpm: 2 })), await store.admit(anAdmit(t, { rpm: 2 }))];
    // Memory starts with a full bucket of its own: per-instance limits meanwhile.
    expect(during.map((a) => a.ok)).toEqual([true, true, false]);
    expect(logger.warnings).toEqual([expect.stringMatching(/Redis unreachable for the limits \(Command timed out\)/)]);
    await expect(store.usageNow(t, anAdmit(t, {}).limits)).resolves.toMatchObject({ dayRequests: 3 });
    expect(await store.probe()).toBe(false);
    await forwarder.stop();
    await redisReturns();
    expect(await store.probe()).toBe(true);
  });

  it('a command Redis never answered is not sent again when it returns: nothing counted twice, no slot held', async () => {
    const t = ++tokenId;
    const limits = { maxParallel: 5 };
    await store.settle(leaseOf(await store.admit(anAdmit(t, limits))), { tokens: 0, costUsd: 0 });
    forwarder.hang();
    // The first is sent and never answered: it times out into memory, which counts it (and the next two).
    for (let i = 0; i < 3; i++) leaseOf(await store.admit(anAdmit(t, limits)));
    expect(store.shared).toBe(false);
    await forwarder.stop();
    await redisReturns();
    expect(await store.probe()).toBe(true);
    // 1 before + the 3 merged from memory; a replayed admit would add a request and a lease.
    expect(await observer.usageNow(t, anAdmit(t, {}).limits)).toMatchObject({ dayRequests: 4, inFlight: 0 });
  });

  it('a request in flight on Redis when Redis went away, settled in memory, gives its max_parallel slot back when Redis answers', async () => {
    const t = ++tokenId;
    const limits = { maxParallel: 1 };
    const lease = leaseOf(await store.admit(anAdmit(t, limits)));
    await forwarder.stop();
    await store.settle(lease, { tokens: 10, costUsd: 0 });
    expect(store.shared).toBe(false);
    await redisReturns();
    expect(await store.probe()).toBe(true);
    // Not held until the lease's TTL: the slot is free for every instance at once.
    expect(await observer.usageNow(t, anAdmit(t, limits).limits)).toMatchObject({ dayRequests: 1, monthTokens: 10, inFlight: 0 });
    expect((await observer.admit(anAdmit(t, limits))).ok).toBe(true);
    expect(logger.logs.at(-1)).toMatch(/1 leases released/);
  });

  it('an admit Redis ran but whose answer was lost is counted once, and its slot is released', async () => {
    const t = ++tokenId;
    const limits = { maxParallel: 1 };
    await store.settle(leaseOf(await store.admit(anAdmit(t, limits))), { tokens: 0, costUsd: 0 });
    forwarder.deafen();
    // Redis runs it, the answer never comes: the call times out and memory admits (and counts) it.
    leaseOf(await store.admit(anAdmit(t, limits)));
    expect(store.shared).toBe(false);
    await forwarder.stop();
    await redisReturns();
    expect(await store.probe()).toBe(true);
    expect(await observer.usageNow(t, anAdmit(t, limits).limits)).toMatchObject({ dayRequests: 2, inFlight: 0 });
  });

  it('a settle Redis ran but whose answer was lost charges the month once', async () => {
    const t = ++tokenId;
    const lease = leaseOf(await store.admit(anAdmit(t, { maxParallel: 1 })));
    forwarder.deafen();
    await store.settle(lease, { tokens: 10, costUsd: 0.5 });
    expect(store.shared).toBe(false);
    await forwarder.stop();
    await redisReturns();
    expect(await store.probe()).toBe(true);
    expect(await observer.usageNow(t, anAdmit(t, {}).limits)).toMatchObject({ dayRequests: 1, monthTokens: 10, monthCostUsd: 0.5, inFlight: 0 });
  });

  it('a slow database seeding the counters is not taken for Redis being down', async () => {
    store.close();
    const redisStore = new RedisLimitStore({ redis: client, keyPrefix: prefix, seed, commandTimeoutMs: 200 });
    store = new ResilientLimitStore({ redis: redisStore, seed, logger, probeIntervalMs: 3_600_000 });
    seed.delayMs = 600;
    const t = ++tokenId;
    expect((await store.admit(anAdmit(t, { dailyRequests: 5 }))).ok).toBe(true);
    expect(store.shared).toBe(true);
    expect(logger.warnings).toEqual([]);
    expect((await observer.usageNow(t, anAdmit(t, {}).limits)).dayRequests).toBe(1);
  });

  it('probes by itself and switches back when Redis answers', async () => {
    store.close();
    store = new ResilientLimitStore({ redis: new RedisLimitStore({ redis: client, keyPrefix: prefix, seed }), seed, logger, probeIntervalMs: 20 });
    const t = ++tokenId;
    await forwarder.stop();
    await store.admit(anAdmit(t, {}));
    expect(store.shared).toBe(false);
    const back = once(logger, 'log');
    await forwarder.start();
    // The token's day key never existed in Redis: its count is left to the database.
    expect(String((await back)[0])).toMatch(/Redis answers again.*0 counters merged from memory, 1 left to the database/);
    expect(store.shared).toBe(true);
  });
});
