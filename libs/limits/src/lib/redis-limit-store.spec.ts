import { Redis } from 'ioredis';
import { anAdmit, FakeClock, RecordingSeed } from '../testing/builders';
import { limitStoreContract } from '../testing/limit-store.contract';
import { deletePrefix, describeWithRedis, keysUnder, testRedisUrl, uniquePrefix } from '../testing/redis';
import { type Admission, type CounterSeed, DAY_MS, EMPTY_SEED, type LimitStore, monthIndexOfDay, monthStartMs } from './limit-store';
import { createLimitsRedis, RedisLimitStore } from './redis-limit-store';

const url = testRedisUrl('RedisLimitStore suites');
const withRedis = describeWithRedis(url);

/** Stores on one prefix, each on a connection of its own (like separate proxy instances). */
class Instances {
  readonly prefix: string;
  private readonly clients: Redis[] = [];
  private readonly admin: Redis;

  constructor(suite: string) {
    this.prefix = uniquePrefix(suite);
    this.admin = new Redis(String(url));
  }

  async store(seed: CounterSeed, clock?: () => number): Promise<RedisLimitStore> {
    const redis = createLimitsRedis(String(url), { commandTimeout: 10_000 });
    this.clients.push(redis);
    const store = new RedisLimitStore({ redis, keyPrefix: this.prefix, seed, clock, commandTimeoutMs: 10_000 });
    if (!(await store.connected(5_000))) throw new Error(`Redis at ${url} did not answer`);
    return store;
  }

  get redis(): Redis {
    return this.admin;
  }

  async close(): Promise<void> {
    await deletePrefix(this.admin, this.prefix);
    for (const c of this.clients) c.disconnect();
    this.admin.disconnect();
  }
}

withRedis('RedisLimitStore', () => {
  const instances = new Instances('contract');
  limitStoreContract('RedisLimitStore (the test clock passed to the scripts)', {
    open: async (seed, clock) => instances.store(seed, clock.now),
    close: () => instances.close(),
  });
});

withRedis('RedisLimitStore on real Redis', () => {
  let instances: Instances;
  let tokenId = 0;
  const aToken = (): number => ++tokenId;

  beforeAll(() => {
    instances = new Instances('redis');
  });
  afterAll(() => instances.close());

  const okCount = (list: Admission[]): number => list.filter((a) => a.ok).length;

  /** n admits spread round-robin over the stores, all in flight at once. */
  const burst = (stores: LimitStore[], n: number, make: () => ReturnType<typeof anAdmit>): Promise<Admission[]> =>
    Promise.all(Array.from({ length: n }, (_, i) => stores[i % stores.length].admit(make())));

  it("the scripts' calendar is JavaScript's for every day from 1970 to 2200", async () => {
    const store = await instances.store(EMPTY_SEED);
    const lastDay = Math.floor(Date.UTC(2200, 11, 31) / DAY_MS);
    for (let from = 0; from <= lastDay; from += 10_000) {
      const days = Array.from({ length: Math.min(10_000, lastDay - from + 1) }, (_, i) => from + i);
      const lua = await store.luaCalendar(days);
      const js = days.map((d): [number, number, number] => {
        const m = monthIndexOfDay(d);
        return [m, monthStartMs(m) / DAY_MS, monthStartMs(m + 1) / DAY_MS];
      });
      expect(lua).toEqual(js);
    }
  });

  it('three instances, one frozen clock: a burst of 2000 against rpm 600 gets exactly 600; daily 250 exactly 250; max_parallel 4 exactly 4', async () => {
    const clock = new FakeClock(Date.parse('2031-05-05T10:00:00Z'));
    const stores = await Promise.all([0, 1, 2].map(() => instances.store(EMPTY_SEED, clock.now)));
    const rpm = aToken();
    expect(okCount(await burst(stores, 2000, () => anAdmit(rpm, { rpm: 600 })))).toBe(600);
    const daily = aToken();
    expect(okCount(await burst(stores, 2000, () => anAdmit(daily, { dailyRequests: 250 })))).toBe(250);
    const parallel = aToken();
    expect(okCount(await burst(stores, 2000, () => anAdmit(parallel, { maxParallel: 4 })))).toBe(4);
  });

  it("three instances on Redis's own clock: rpm 600 from a burst of 2000 is 600 plus what refilled during the burst", async () => {
    const stores = await Promise.all([0, 1, 2].map(() => instances.store(EMPTY_SEED)));
    const t = aToken();
    // Seed the token's day and month first (no rpm yet) so that the burst measures only the bucket.
    const warm = await stores[0].admit(anAdmit(t, {}));
    if (warm.ok) await stores[0].settle(warm.lease, { tokens: 0, costUsd: 0 });
    const started = Date.now();
    const all = await burst(stores, 2000, () => anAdmit(t, { rpm: 600 }));
    const elapsedMs = Date.now() - started;
    // The bucket gains 600 per 60 s = one per 100 ms; the burst's span inside Redis is at most
    // what the client measured around it.
    const ok = okCount(all);
    expect(ok).toBeGreaterThanOrEqual(600);
    expect(ok).toBeLessThanOrEqual(600 + Math.ceil(elapsedMs / 100));
    process.stdout.write(`rpm 600, burst of 2000 over 3 instances: ${ok} admitted in ${elapsedMs} ms\n`);
  });

  it('max_parallel 4 is never exceeded by 64 workers over three instances, and is reached', async () => {
    const stores = await Promise.all([0, 1, 2].map(() => instances.store(EMPTY_SEED)));
    const t = aToken();
    let inFlight = 0;
    let most = 0;
    let admitted = 0;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; i < 20; i++) {
        const store = stores[(w + i) % 3];
        const a = await store.admit(anAdmit(t, { maxParallel: 4 }, { leaseTtlMs: 60_000 }));
        if (!a.ok) continue;
        admitted++;
        inFlight++;
        most = Math.max(most, inFlight);
        // Hold the slot across a few turns of the event loop, as a streaming answer would.
        for (let k = 0; k < 3; k++) await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        await store.settle(a.lease, { tokens: 1, costUsd: 0 });
      }
    };
    await Promise.all(Array.from({ length: 64 }, (_, w) => worker(w)));
    expect(most).toBeLessThanOrEqual(4);
    expect(most).toBe(4);
    expect(admitted).toBeGreaterThan(4);
    expect((await stores[0].usageNow(t, anAdmit(t, {}).limits)).inFlight).toBe(0);
  });

  it('a budget over three instances: $1 at $0.10 a request admits exactly 10 of 64 workers and spends exactly $1', async () => {
    const stores = await Promise.all([0, 1, 2].map(() => instances.store(EMPTY_SEED)));
    const t = aToken();
    let admitted = 0;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; i < 5; i++) {
        const store = stores[(w + i) % 3];
        const a = await store.admit(anAdmit(t, { monthlyBudgetUsd: 1 }, { estimateCostUsd: 0.1 }));
        if (!a.ok) continue;
        admitted++;
        await new Promise((resolve) => setImmediate(resolve));
        await store.settle(a.lease, { tokens: 10, costUsd: 0.1 });
      }
    };
    await Promise.all(Array.from({ length: 64 }, (_, w) => worker(w)));
    expect(admitted).toBe(10);
    expect(await stores[1].usageNow(t, anAdmit(t, {}).limits)).toMatchObject({ monthCostUsd: 1, monthTokens: 100, inFlight: 0 });
  });

  it('release ends a lease by its id: slot and reservations back, nothing charged; a lease it does not hold is reported so', async () => {
    const [store, other] = await Promise.all([instances.store(EMPTY_SEED), instances.store(EMPTY_SEED)]);
    const t = aToken();
    const limits = { maxParallel: 1, monthlyTokens: 100 };
    const a = await store.admit(anAdmit(t, limits, { estimateTokens: 100 }), 'lease-to-release');
    if (!a.ok) throw new Error('refused');
    expect(a.lease.id).toBe('lease-to-release');
    expect((await other.admit(anAdmit(t, limits, { estimateTokens: 5 }))).ok).toBe(false);
    expect(await other.release(t, 'lease-to-release')).toEqual({ held: true, nowMs: expect.any(Number) });
    expect(await other.usageNow(t, anAdmit(t, limits).limits)).toMatchObject({ dayRequests: 1, monthTokens: 0, inFlight: 0 });
    // Slot and the 100 tokens reserved are back: a request that needs both is admitted.
    expect((await other.admit(anAdmit(t, limits, { estimateTokens: 5 }))).ok).toBe(true);
    expect((await other.release(t, 'lease-to-release')).held).toBe(false);
    expect((await other.release(t, 'never-admitted')).held).toBe(false);
  });

  it('instances seeding the same day at once: the first seed wins, none is added twice', async () => {
    const clock = new FakeClock(Date.parse('2031-05-06T10:00:00Z'));
    const stores = await Promise.all(
      [10, 20, 30].map((n) => instances.store(new RecordingSeed({ dayRequests: n, monthTokens: 0, monthCostUsd: 0 }), clock.now)),
    );
    const t = aToken();
    expect(okCount(await burst(stores, 30, () => anAdmit(t, { dailyRequests: 1000 })))).toBe(30);
    expect([40, 50, 60]).toContain((await stores[0].usageNow(t, anAdmit(t, {}).limits)).dayRequests);
  });

  it("uses Redis's TIME when no clock is given", async () => {
    const store = await instances.store(EMPTY_SEED);
    const [seconds] = await instances.redis.time();
    const a = await store.admit(anAdmit(aToken(), {}, { leaseTtlMs: 1000 }));
    if (!a.ok) throw new Error('refused');
    expect(Math.abs(a.lease.expiresAtMs - 1000 - Number(seconds) * 1000)).toBeLessThan(5_000);
    expect(store.lastServerTimeMs).toBe(a.lease.expiresAtMs - 1000);
  });

  it('writes only keys under its prefix, one hash slot per token, each with a TTL', async () => {
    const clock = new FakeClock(Date.parse('2031-05-31T12:00:00Z'));
    const store = await instances.store(EMPTY_SEED, clock.now);
    const t = 900_001;
    const a = await store.admit(anAdmit(t, { rpm: 60, tpm: 1000 }, { estimateTokens: 100, leaseTtlMs: 30_000 }));
    if (!a.ok) throw new Error('refused');
    await store.admit(anAdmit(t, { rpm: 60 }, { leaseTtlMs: 30_000 }));
    await store.settle(a.lease, { tokens: 50, costUsd: 0.01 });
    const base = `${instances.prefix}lim:{${t}}:`;
    const keys = (await keysUnder(instances.redis, base)).sort();
    const day = Math.floor(clock.nowMs / DAY_MS);
    const month = monthIndexOfDay(day);
    expect(keys).toEqual([`${base}day:${day}`, `${base}inflight`, `${base}leases`, `${base}month:${month}`, `${base}rpm`, `${base}tpm`].sort());
    const ttl = async (suffix: string): Promise<number> => instances.redis.pttl(`${base}${suffix}`);
    // Buckets: until full again plus a margin (rpm: 2 of 60 used = 2 s; tpm: 50 of 1000 = 3 s).
    expect(await ttl('rpm')).toBeGreaterThan(10_000);
    expect(await ttl('rpm')).toBeLessThanOrEqual(12_000);
    expect(await ttl('tpm')).toBeLessThanOrEqual(13_000);
    expect(await ttl('leases')).toBeLessThanOrEqual(31_000);
    expect(await ttl('inflight')).toBeGreaterThan(25_000);
    // The day until the end of tomorrow (1.5 days from noon); the month until 3 days into the next (the 31st: 3.5 days).
    expect(await ttl(`day:${day}`)).toBeLessThanOrEqual(1.5 * DAY_MS);
    expect(await ttl(`day:${day}`)).toBeGreaterThan(1.4 * DAY_MS);
    expect(await ttl(`month:${month}`)).toBeLessThanOrEqual(3.5 * DAY_MS);
    expect(await ttl(`month:${month}`)).toBeGreaterThan(3.4 * DAY_MS);
  });

  it('refuses a client with its own keyPrefix (the scripts name their keys themselves)', () => {
    const redis = new Redis(String(url), { keyPrefix: 'x:', lazyConnect: true });
    expect(() => new RedisLimitStore({ redis, keyPrefix: 'lmb:', seed: EMPTY_SEED })).toThrow(/keyPrefix/);
    redis.disconnect();
  });
});
