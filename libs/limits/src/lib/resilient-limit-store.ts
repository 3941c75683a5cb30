import { randomUUID } from 'node:crypto';
import type { NumericLimits } from './effective-limits';
import {
  type ActualUsage,
  type AdmitInput,
  type Admission,
  type CounterSeed,
  CounterSeedError,
  dayIndex,
  type Lease,
  type LimitsLogger,
  type LimitStore,
  monthIndexOfDay,
  toCount,
  toNanoUsd,
  type UsageNowNumbers,
} from './limit-store';
import { MemoryLimitStore } from './memory-limit-store';
import type { CounterDelta, RedisLimitStore } from './redis-limit-store';

export interface ResilientLimitStoreOptions {
  redis: RedisLimitStore;
  seed: CounterSeed;
  logger: LimitsLogger;
  /** The memory fallback's clock (tests); default Date.now. */
  clock?: () => number;
  /** How often to ask Redis whether it is back, during an outage. Default 1 s. */
  probeIntervalMs?: number;
}

/**
 * RedisLimitStore, with a per-instance MemoryLimitStore while Redis cannot be reached. It never
 * throws because Redis is down (CounterSeedError, the database's failure, does go through):
 * - the first failure logs one warning, and requests are then counted in memory (seeded from
 *   the database like any store), limits per instance, until Redis answers a probe again;
 * - what memory counted meanwhile for the day and month counters is kept as deltas and, when
 *   Redis is back, added to keys that existed before the outage; a key gone or re-created since
 *   is (re-)seeded from the database, whose rollups hold those requests;
 * - a lease is settled by the store that admitted it. A Redis lease settled during the outage
 *   charges memory and the deltas (its slot in Redis ends with its TTL); a memory lease settled
 *   once Redis is back frees its memory slot and charges Redis directly.
 */
export class ResilientLimitStore implements LimitStore {
  private readonly redis: RedisLimitStore;
  private readonly seed: CounterSeed;
  private readonly logger: LimitsLogger;
  private readonly clock: () => number;
  private readonly probeIntervalMs: number;
  private readonly pending = new Map<string, CounterDelta>();
  private readonly settled = new WeakSet<Lease>();
  private up = true;
  private memory: MemoryLimitStore | null = null;
  /** Redis time before which a key must have been created for this outage's deltas to be added to it. */
  private boundary = 0;
  private probeTimer: NodeJS.Timeout | null = null;
  private probing = false;
  private closed = false;

  constructor(options: ResilientLimitStoreOptions) {
    this.redis = options.redis;
    this.seed = options.seed;
    this.logger = options.logger;
    this.clock = options.clock ?? Date.now;
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
  }

  /** Whether requests are counted on Redis right now. */
  get shared(): boolean {
    return this.up;
  }

  async admit(input: AdmitInput): Promise<Admission> {
    if (this.up) {
      try {
        return await this.redis.admit(input);
      } catch (err) {
        this.failed(err);
      }
    }
    const memory = this.fallback();
    const admission = await memory.admit(input);
    if (admission.ok) this.addDelta(input.tokenId, 'day', dayIndex(memory.clock()), { n: 1 });
    return admission;
  }

  async settle(lease: Lease, actual: ActualUsage): Promise<void> {
    if (this.settled.has(lease)) return;
    this.settled.add(lease);
    if (lease.origin instanceof MemoryLimitStore) {
      await lease.origin.settle(lease, actual);
      if (this.up && (await this.chargeRedis(lease.tokenId, actual))) return;
    } else {
      if (this.up) {
        try {
          await this.redis.settle(lease, actual);
          return;
        } catch (err) {
          this.failed(err);
        }
      }
      await this.fallback().chargeMonth(lease.tokenId, actual);
    }
    this.addDelta(lease.tokenId, 'month', monthIndexOfDay(dayIndex(this.clock())), { t: toCount(actual.tokens), c: toNanoUsd(actual.costUsd) });
  }

  async usageNow(tokenId: number, limits: NumericLimits): Promise<UsageNowNumbers> {
    if (this.up) {
      try {
        return await this.redis.usageNow(tokenId, limits);
      } catch (err) {
        this.failed(err);
      }
    }
    return this.fallback().usageNow(tokenId, limits);
  }

  /** Stops probing (on shutdown). */
  close(): void {
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  /** One probe now (tests; the timer does the same). Resolves true when Redis is in use again. */
  async probe(): Promise<boolean> {
    if (this.up || this.probing) return this.up;
    this.probing = true;
    try {
      await this.redis.ping();
      let merged = 0;
      let dropped = 0;
      // Deltas added while merging are merged in the next round; the switch happens with none left.
      while (this.pending.size) {
        const [key, delta] = this.pending.entries().next().value as [string, CounterDelta];
        // Taken out first: what settles add meanwhile starts a new entry instead of being lost.
        this.pending.delete(key);
        try {
          if (await this.redis.merge(delta)) merged++;
          else dropped++;
        } catch (err) {
          this.addPending(key, delta);
          throw err;
        }
      }
      this.up = true;
      this.memory = null;
      if (this.probeTimer) clearInterval(this.probeTimer);
      this.probeTimer = null;
      this.logger.log(
        `Redis answers again: limits are shared by every instance again (${merged} counters merged from memory, ${dropped} left to the database's rollups)`,
      );
      return true;
    } catch {
      return false;
    } finally {
      this.probing = false;
    }
  }

  private async chargeRedis(tokenId: number, actual: ActualUsage): Promise<boolean> {
    // A lease Redis never saw: the settle script only charges the month (its release is a no-op).
    const charge: Lease = { id: randomUUID(), tokenId, estimateTokens: 0, estimateCostUsd: 0, tpm: null, expiresAtMs: 0, origin: this.redis };
    try {
      await this.redis.settle(charge, actual);
      return true;
    } catch (err) {
      this.failed(err);
      return false;
    }
  }

  private failed(err: unknown): void {
    // The database failing to seed is not Redis being down: the caller decides (503).
    if (err instanceof CounterSeedError) throw err;
    if (!this.up) return;
    this.up = false;
    this.boundary = this.redis.lastServerTimeMs ?? this.clock();
    this.logger.warn(
      `Redis unreachable for the limits (${err instanceof Error ? err.message : String(err)}): counting per instance in memory until it answers again`,
    );
    if (!this.closed && !this.probeTimer) {
      this.probeTimer = setInterval(() => void this.probe(), this.probeIntervalMs);
      this.probeTimer.unref();
    }
  }

  private fallback(): MemoryLimitStore {
    this.memory ??= new MemoryLimitStore({ seed: this.seed, clock: this.clock });
    return this.memory;
  }

  private addDelta(tokenId: number, period: 'day' | 'month', index: number, fields: Record<string, number>): void {
    this.addPending(`${tokenId}:${period}:${index}:${this.boundary}`, { tokenId, period, index, fields, createdAtMost: this.boundary });
  }

  private addPending(key: string, delta: CounterDelta): void {
    const existing = this.pending.get(key);
    if (!existing) {
      this.pending.set(key, { ...delta, fields: { ...delta.fields } });
      return;
    }
    for (const [field, n] of Object.entries(delta.fields)) existing.fields[field] = (existing.fields[field] ?? 0) + n;
  }
}
