import { Redis, type RedisOptions } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { NumericLimits } from './effective-limits';
import {
  type ActualUsage,
  type AdmitInput,
  type Admission,
  type CounterSeed,
  CounterSeedError,
  type CounterSnapshot,
  DAY_MS,
  type Lease,
  type LimitStore,
  monthStartMs,
  NANO_PER_USD,
  nextDayStartMs,
  nextMonthStartMs,
  type Refusal,
  rateLimitState,
  retryAfterSeconds,
  type SeedCounters,
  toCount,
  toNanoUsd,
  usageFromSnapshot,
  type UsageNowNumbers,
} from './limit-store';
import { ADMIT_LUA, CALENDAR_LUA, MERGE_LUA, PEEK_LUA, RELEASE_LUA, SEED_LUA, SETTLE_LUA } from './redis-scripts';

type Reply = string[];

interface LimitCommands {
  lmbLimitsAdmit(rpm: string, tpm: string, leases: string, inflight: string, ...argv: string[]): Promise<Reply>;
  lmbLimitsSettle(tpm: string, leases: string, inflight: string, ...argv: string[]): Promise<Reply>;
  lmbLimitsSeed(key: string, ...argv: string[]): Promise<number>;
  lmbLimitsMerge(key: string, ...argv: string[]): Promise<number>;
  lmbLimitsRelease(leases: string, inflight: string, ...argv: string[]): Promise<Reply>;
  lmbLimitsPeek(rpm: string, tpm: string, leases: string, inflight: string, ...argv: string[]): Promise<Reply>;
  lmbLimitsCalendar(...argv: string[]): Promise<Reply>;
}

/**
 * A client for the limits: commands fail fast instead of queueing while Redis is unreachable
 * (ResilientLimitStore then answers from memory) or slow (commandTimeout), and a command sent
 * but never answered before the connection dropped is not sent again on reconnect
 * (ioredis's autoResendUnfulfilledCommands): its caller has long given up and counted the
 * request in memory, so a replayed admit would count it twice and hold a max_parallel slot
 * until its lease expired, and a replayed settle would charge the tokens and cost twice.
 */
export function createLimitsRedis(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    // Admissions and settlements of concurrent requests issued in one event-loop turn go out in
    // one socket write: one write per script was the largest cost of counting on Redis (cpu profile).
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2000,
    ...options,
  });
  // Outages are reported once by ResilientLimitStore's logger; without a listener ioredis would
  // print every failed reconnect.
  client.on('error', () => undefined);
  return client;
}

export interface RedisLimitStoreOptions {
  redis: Redis;
  /** `redis.key_prefix` from the configuration; every key starts with it. The client itself must have no keyPrefix. */
  keyPrefix: string;
  seed: CounterSeed;
  /** Tests only: the time given to the scripts instead of Redis's TIME. */
  clock?: () => number;
  /**
   * A Redis command that takes longer fails (besides the client's own commandTimeout, which
   * createLimitsRedis sets). Only Redis's part is timed: a slow CounterSeed is the database's. Default 1 s.
   */
  commandTimeoutMs?: number;
}

/** A Redis command of the limits got no answer in time. */
export class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

const SEED_ATTEMPTS = 4;
const MONTH_KEY_MARGIN_MS = 3 * DAY_MS;

/** Counts made in memory during an outage, for ResilientLimitStore's merge. */
export interface CounterDelta {
  tokenId: number;
  period: 'day' | 'month';
  index: number;
  /** day: n (requests); month: t (tokens), c (nano-USD). */
  fields: Record<string, number>;
  /** Added only to a key created no later than this (Redis time): one that existed before the outage. */
  createdAtMost: number;
}

/**
 * The limits on Redis: one Lua script per admit and one per settle, so they are exact across
 * every proxy instance sharing the Redis (see LimitStore for the semantics). Errors of Redis are
 * thrown to the caller; ResilientLimitStore turns them into a fallback.
 */
export class RedisLimitStore implements LimitStore {
  private readonly redis: Redis & LimitCommands;
  private readonly prefix: string;
  private readonly seed: CounterSeed;
  private readonly clock: (() => number) | null;
  private readonly commandTimeoutMs: number;
  private readonly settled = new WeakSet<Lease>();
  private readonly seedingPeriods = new Map<string, Promise<void>>();
  /** Redis's time at its last answer (ResilientLimitStore's bound for the merge after an outage). */
  lastServerTimeMs: number | null = null;

  constructor(options: RedisLimitStoreOptions) {
    if (options.redis.options.keyPrefix)
      throw new Error('RedisLimitStore: give the prefix as keyPrefix, not as the client option (the scripts name keys themselves)');
    this.redis = options.redis as Redis & LimitCommands;
    this.prefix = options.keyPrefix;
    this.seed = options.seed;
    this.clock = options.clock ?? null;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 1000;
    const define = (name: keyof LimitCommands, numberOfKeys: number, lua: string): void => {
      // defineCommand is per client; several stores on one client share the definition.
      if (!(name in this.redis)) this.redis.defineCommand(name, { numberOfKeys, lua });
    };
    define('lmbLimitsAdmit', 4, ADMIT_LUA);
    define('lmbLimitsSettle', 3, SETTLE_LUA);
    define('lmbLimitsSeed', 1, SEED_LUA);
    define('lmbLimitsMerge', 1, MERGE_LUA);
    define('lmbLimitsRelease', 2, RELEASE_LUA);
    define('lmbLimitsPeek', 4, PEEK_LUA);
    define('lmbLimitsCalendar', 0, CALENDAR_LUA);
  }

  /** The base of a token's keys: `<prefix>lim:{<id>}:` (the braces make one cluster slot per token). */
  tokenBase(tokenId: number): string {
    return `${this.prefix}lim:{${tokenId}}:`;
  }

  counterKey(tokenId: number, period: 'day' | 'month', index: number): string {
    return `${this.tokenBase(tokenId)}${period}:${index}`;
  }

  private keys(tokenId: number): [string, string, string, string] {
    const base = this.tokenBase(tokenId);
    return [`${base}rpm`, `${base}tpm`, `${base}leases`, `${base}inflight`];
  }

  private now(): string {
    return this.clock ? String(Math.floor(this.clock())) : '';
  }

  /** `id`: the lease's id, chosen by a caller that must be able to find it again (see release). */
  async admit(input: AdmitInput, id: string = randomUUID()): Promise<Admission> {
    const { limits, tokenId } = input;
    const estimateTokens = toCount(input.estimateTokens);
    const estimateNano = toNanoUsd(input.estimateCostUsd);
    const budgetNano = limits.monthlyBudgetUsd === null ? null : toNanoUsd(limits.monthlyBudgetUsd);
    const leaseTtlMs = Math.max(1, Math.ceil(input.leaseTtlMs));
    const opt = (n: number | null): string => (n === null ? '' : String(n));
    for (let attempt = 1; ; attempt++) {
      const reply = await this.within(
        this.redis.lmbLimitsAdmit(
          ...this.keys(tokenId),
          this.tokenBase(tokenId),
          this.now(),
          id,
          String(leaseTtlMs),
          opt(limits.rpm),
          opt(limits.tpm),
          opt(limits.maxParallel),
          opt(limits.dailyRequests),
          opt(limits.monthlyTokens),
          opt(budgetNano),
          String(estimateTokens),
          String(estimateNano),
        ),
      );
      if (reply[0] === 'seed') {
        if (attempt >= SEED_ATTEMPTS) throw new Error(`RedisLimitStore: the counters of token ${tokenId} were still missing after ${attempt} seeds`);
        await this.seedPeriods(tokenId, Number(reply[2]), Number(reply[3]), Number(reply[4]), reply[5] === '0', reply[6] === '0');
        continue;
      }
      const snapshot = this.admitSnapshot(reply);
      this.lastServerTimeMs = snapshot.nowMs;
      if (reply[0] === 'refused') {
        const refusal = reply[1] as Refusal;
        return { ok: false, refusal, retryAfterSeconds: retryAfterSeconds(refusal, snapshot, limits, estimateTokens), state: rateLimitState(snapshot, limits) };
      }
      const lease: Lease = {
        id,
        tokenId,
        estimateTokens,
        estimateCostUsd: estimateNano / NANO_PER_USD,
        tpm: limits.tpm,
        expiresAtMs: snapshot.nowMs + leaseTtlMs,
        origin: this,
      };
      return { ok: true, lease, state: rateLimitState(snapshot, limits) };
    }
  }

  async settle(lease: Lease, actual: ActualUsage): Promise<void> {
    if (this.settled.has(lease)) return;
    const [, tpm, leases, inflight] = this.keys(lease.tokenId);
    const tokens = toCount(actual.tokens);
    for (let attempt = 1; ; attempt++) {
      const reply = await this.within(
        this.redis.lmbLimitsSettle(
          tpm,
          leases,
          inflight,
          this.tokenBase(lease.tokenId),
          this.now(),
          lease.id,
          lease.tpm === null ? '' : String(lease.tpm),
          String(lease.estimateTokens),
          String(tokens),
          String(toNanoUsd(actual.costUsd)),
        ),
      );
      this.lastServerTimeMs = Number(reply[1]);
      if (reply[0] === 'ok') break;
      if (attempt >= SEED_ATTEMPTS) throw new Error(`RedisLimitStore: the month counter of token ${lease.tokenId} was still missing after ${attempt} seeds`);
      await this.seedPeriods(lease.tokenId, Number(reply[1]), Number(reply[2]), Number(reply[3]), false, true);
    }
    this.settled.add(lease);
  }

  async usageNow(tokenId: number, limits: NumericLimits): Promise<UsageNowNumbers> {
    const opt = (n: number | null): string => (n === null ? '' : String(n));
    const r = await this.within(this.redis.lmbLimitsPeek(...this.keys(tokenId), this.tokenBase(tokenId), this.now(), opt(limits.rpm), opt(limits.tpm)));
    const [now, day, month] = [Number(r[0]), Number(r[1]), Number(r[2])];
    this.lastServerTimeMs = now;
    let seeded: SeedCounters | null = null;
    // Reading never stores a seed: only admit and settle keep counters (see LimitStore).
    if (r[6] === '' || r[7] === '') seeded = await this.load(tokenId, day, month);
    const snapshot: CounterSnapshot = {
      nowMs: now,
      rpmTokens: r[3] === '' ? null : Number(r[3]),
      tpmTokens: r[4] === '' ? null : Number(r[4]),
      inFlight: Number(r[5]),
      dayRequests: r[6] === '' ? (seeded?.dayRequests ?? 0) : Number(r[6]),
      monthTokens: r[7] === '' ? (seeded?.monthTokens ?? 0) : Number(r[7]),
      monthNanoUsd: r[7] === '' ? toNanoUsd(seeded?.monthCostUsd ?? 0) : Number(r[8]),
      reservedTokens: 0,
      reservedNanoUsd: 0,
    };
    return usageFromSnapshot(snapshot, limits);
  }

  /**
   * Adds counts made in memory during an outage to its key when that key existed before the
   * outage. Returns false when the key was dropped or re-created since: then it was (or will
   * be) seeded from the database, whose rollups hold those requests.
   */
  async merge(d: CounterDelta): Promise<boolean> {
    const argv = Object.entries(d.fields).flatMap(([field, n]) => [field, String(n)]);
    return (await this.within(this.redis.lmbLimitsMerge(this.counterKey(d.tokenId, d.period, d.index), String(Math.floor(d.createdAtMost)), ...argv))) === 1;
  }

  /**
   * Ends a lease that will never be settled here (no usage charged), giving back its slot and
   * reservations. `held`: whether Redis had it (an admit that timed out may or may not have run;
   * a lease settled on Redis is gone). `nowMs`: Redis's time.
   */
  async release(tokenId: number, leaseId: string): Promise<{ held: boolean; nowMs: number }> {
    const [, , leases, inflight] = this.keys(tokenId);
    const reply = await this.within(this.redis.lmbLimitsRelease(leases, inflight, leaseId, this.now()));
    return { held: reply[0] === '1', nowMs: Number(reply[1]) };
  }

  /** Redis's time (or the test clock), as the scripts see it. */
  async serverTimeMs(): Promise<number> {
    if (this.clock) return Math.floor(this.clock());
    const [seconds, micros] = await this.within(this.redis.time());
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** The scripts' calendar for day indexes: [month index, first day of that month, first day of the next] each. */
  async luaCalendar(days: readonly number[]): Promise<Array<[number, number, number]>> {
    const r = (await this.within(this.redis.lmbLimitsCalendar(...days.map(String)))).map(Number);
    return days.map((_, i) => [r[3 * i], r[3 * i + 1], r[3 * i + 2]]);
  }

  /**
   * Resolves when the client is connected (at once if it is), false after timeoutMs. With the
   * offline queue off, a command sent before the connection is up fails: await this at start-up
   * so the first requests do not begin in the fallback.
   */
  async connected(timeoutMs = 2000): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.on('ready', onReady);
    });
  }

  async ping(): Promise<void> {
    await this.within(this.redis.ping());
  }

  private within<T>(command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisTimeoutError(this.commandTimeoutMs)), this.commandTimeoutMs);
    });
    // A command that timed out may still run in Redis: ResilientLimitStore finds such admits and
    // settles by their lease id once Redis answers again (release).
    command.catch(() => undefined);
    return Promise.race([command, timeout]).finally(() => clearTimeout(timer));
  }

  private load(tokenId: number, day: number, month: number): Promise<SeedCounters> {
    return this.seed.load(tokenId, day * DAY_MS, monthStartMs(month)).catch((err: unknown) => {
      throw new CounterSeedError(tokenId, err);
    });
  }

  /**
   * Creates the missing day / month keys from the database's figures (SET NX semantics: the first
   * seed wins). Concurrent callers of this process share one; since replies on one connection
   * come in order, every admit that saw the keys missing before they were written joins it.
   */
  private seedPeriods(tokenId: number, now: number, day: number, month: number, needDay: boolean, needMonth: boolean): Promise<void> {
    const key = `${tokenId}:${day}:${month}:${needDay}:${needMonth}`;
    let pending = this.seedingPeriods.get(key);
    if (!pending) {
      pending = this.createPeriods(tokenId, now, day, month, needDay, needMonth);
      const forget = (): void => void this.seedingPeriods.delete(key);
      pending.then(forget, forget);
      this.seedingPeriods.set(key, pending);
    }
    return pending;
  }

  private async createPeriods(tokenId: number, now: number, day: number, month: number, needDay: boolean, needMonth: boolean): Promise<void> {
    const seeded = await this.load(tokenId, day, month);
    const at = this.now();
    if (needDay) {
      const ttl = nextDayStartMs(now) - now + DAY_MS;
      await this.within(this.redis.lmbLimitsSeed(this.counterKey(tokenId, 'day', day), at, String(ttl), 'n', String(toCount(seeded.dayRequests))));
    }
    if (needMonth) {
      const ttl = nextMonthStartMs(now) - now + MONTH_KEY_MARGIN_MS;
      await this.within(
        this.redis.lmbLimitsSeed(
          this.counterKey(tokenId, 'month', month),
          at,
          String(ttl),
          't',
          String(toCount(seeded.monthTokens)),
          'c',
          String(toNanoUsd(seeded.monthCostUsd)),
        ),
      );
    }
  }

  private admitSnapshot(r: Reply): CounterSnapshot {
    return {
      nowMs: Number(r[2]),
      rpmTokens: r[5] === '' ? null : Number(r[5]),
      tpmTokens: r[6] === '' ? null : Number(r[6]),
      inFlight: Number(r[7]),
      dayRequests: Number(r[8]),
      monthTokens: Number(r[9]),
      monthNanoUsd: Number(r[10]),
      reservedTokens: Number(r[11]),
      reservedNanoUsd: Number(r[12]),
    };
  }
}
