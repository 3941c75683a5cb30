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

/** A lease Redis may hold that will not be settled there. */
interface Orphan {
  tokenId: number;
  /** Added to the deltas when Redis turns out to have run the failed call: undoes memory's count of the same thing. */
  ifRan: { key: string; delta: CounterDelta } | null;
  /** An admitted lease's expiry (Redis time); Infinity for an admit whose answer was lost. */
  expiresAtMs: number;
}

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
 *   charges memory and the deltas; a memory lease settled once Redis is back frees its memory
 *   slot and charges Redis directly;
 * - what Redis may hold that nobody will settle there is put right before the merge, by lease
 *   id: the lease of a request settled in memory is released (else its max_parallel slot and
 *   reservations would stay taken until the lease expired, 15 min by default, blocking a token
 *   whose requests were in flight when Redis went away); an admit whose call failed but which
 *   Redis ran after all (its answer lost) is released and its day count taken back, since
 *   memory counted that request; a settle whose call failed but which Redis ran takes back the
 *   month charge memory made for it.
 */
export class ResilientLimitStore implements LimitStore {
  private readonly redis: RedisLimitStore;
  private readonly seed: CounterSeed;
  private readonly logger: LimitsLogger;
  private readonly clock: () => number;
  private readonly probeIntervalMs: number;
  private readonly pending = new Map<string, CounterDelta>();
  /** Leases Redis may hold that will not be settled there, by lease id (see the class comment). */
  private readonly orphans = new Map<string, Orphan>();
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
    let unanswered: string | null = null;
    if (this.up) {
      const leaseId = randomUUID();
      try {
        return await this.redis.admit(input, leaseId);
      } catch (err) {
        this.failed(err);
        // Redis may have run it: looked for by its id when Redis answers again.
        unanswered = leaseId;
      }
    }
    const memory = this.fallback();
    const admission = await memory.admit(input);
    const day = dayIndex(memory.clock());
    if (admission.ok) this.addDelta(input.tokenId, 'day', day, { n: 1 });
    if (unanswered) this.orphans.set(unanswered, { tokenId: input.tokenId, ifRan: this.delta(input.tokenId, 'day', day, { n: -1 }), expiresAtMs: Infinity });
    return admission;
  }

  async settle(lease: Lease, actual: ActualUsage): Promise<void> {
    if (this.settled.has(lease)) return;
    this.settled.add(lease);
    if (lease.origin instanceof MemoryLimitStore) {
      await lease.origin.settle(lease, actual);
      if (this.up && (await this.chargeRedis(lease.tokenId, actual))) return;
    } else {
      let sent = false;
      if (this.up) {
        try {
          await this.redis.settle(lease, actual);
          return;
        } catch (err) {
          this.failed(err);
          sent = true;
        }
      }
      await this.fallback().chargeMonth(lease.tokenId, actual);
      const month = monthIndexOfDay(dayIndex(this.clock()));
      const charge = { t: toCount(actual.tokens), c: toNanoUsd(actual.costUsd) };
      // Its slot is released when Redis is back; had Redis run the settle after all, it charged the month already.
      this.orphans.set(lease.id, {
        tokenId: lease.tokenId,
        ifRan: sent ? this.delta(lease.tokenId, 'month', month, { t: -charge.t, c: -charge.c }) : null,
        expiresAtMs: lease.expiresAtMs,
      });
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
      let released = 0;
      let merged = 0;
      let dropped = 0;
      // Orphans and deltas added meanwhile (requests still ending in memory) are done in the next
      // round; the switch happens with none left. Orphans first: they may add to the deltas.
      while (this.orphans.size || this.pending.size) {
        released += await this.releaseOrphans();
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
      }
      this.up = true;
      this.memory = null;
      if (this.probeTimer) clearInterval(this.probeTimer);
      this.probeTimer = null;
      this.logger.log(
        `Redis answers again: limits are shared by every instance again (${merged} counters merged from memory, ${dropped} left to the database's rollups, ${released} leases released)`,
      );
      return true;
    } catch {
      return false;
    } finally {
      this.probing = false;
    }
  }

  /**
   * Releases every orphaned lease on Redis; where Redis ran a call whose answer was lost, takes
   * back what memory counted for it too. Throws (to be tried again at the next probe, with the
   * orphans not yet done) when Redis fails meanwhile. Resolves with the number Redis held.
   */
  private async releaseOrphans(): Promise<number> {
    let held = 0;
    for (const [leaseId, orphan] of [...this.orphans]) {
      const answer = await this.redis.release(orphan.tokenId, leaseId);
      this.orphans.delete(leaseId);
      if (answer.held) held++;
      // An admit Redis ran holds its lease (until it expires); a settle Redis ran has removed it.
      const ran = orphan.expiresAtMs === Infinity ? answer.held : !answer.held && answer.nowMs < orphan.expiresAtMs;
      if (ran && orphan.ifRan) this.addPending(orphan.ifRan.key, orphan.ifRan.delta);
    }
    return held;
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
    const { key, delta } = this.delta(tokenId, period, index, fields);
    this.addPending(key, delta);
  }

  /** A delta of this outage and its key in `pending`. */
  private delta(tokenId: number, period: 'day' | 'month', index: number, fields: Record<string, number>): { key: string; delta: CounterDelta } {
    return { key: `${tokenId}:${period}:${index}:${this.boundary}`, delta: { tokenId, period, index, fields, createdAtMost: this.boundary } };
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
