import { randomUUID } from 'node:crypto';
import type { NumericLimits } from './effective-limits';
import {
  type ActualUsage,
  type AdmitInput,
  type Admission,
  type CounterSeed,
  CounterSeedError,
  type CounterSnapshot,
  dayIndex,
  DAY_MS,
  firstRefusal,
  type Lease,
  type LimitStore,
  monthIndexOfDay,
  monthStartMs,
  rateLimitState,
  refill,
  retryAfterSeconds,
  type SeedCounters,
  toCount,
  toNanoUsd,
  usageFromSnapshot,
  type UsageNowNumbers,
} from './limit-store';

interface Bucket {
  tokens: number;
  atMs: number;
}

interface HeldLease {
  expiresAtMs: number;
  tokens: number;
  nano: number;
}

interface TokenState {
  rpm: Bucket | null;
  tpm: Bucket | null;
  leases: Map<string, HeldLease>;
  reservedTokens: number;
  reservedNano: number;
  day: { index: number; requests: number } | null;
  month: { index: number; tokens: number; nano: number } | null;
}

export interface MemoryLimitStoreOptions {
  seed: CounterSeed;
  /** Milliseconds since the epoch; tests move it. Default Date.now. */
  clock?: () => number;
}

/**
 * The limits of one instance, in memory. The same semantics as RedisLimitStore (see LimitStore),
 * used without Redis and as ResilientLimitStore's fallback. Each check-and-change runs without an
 * await in between, so concurrent requests of one process cannot slip past a limit.
 */
export class MemoryLimitStore implements LimitStore {
  private readonly tokens = new Map<number, TokenState>();
  private readonly seeding = new Map<string, Promise<SeedCounters>>();
  private readonly settled = new WeakSet<Lease>();
  private readonly seed: CounterSeed;
  readonly clock: () => number;

  constructor(options: MemoryLimitStoreOptions) {
    this.seed = options.seed;
    this.clock = options.clock ?? Date.now;
  }

  async admit(input: AdmitInput): Promise<Admission> {
    const state = await this.ready(input.tokenId, true);
    const now = this.clock();
    // Another admit may have rolled the period while this one waited for its seed.
    if (!this.periodsCurrent(state, now, true)) return this.admit(input);
    this.purge(state, now);
    const { limits } = input;
    const estimateTokens = toCount(input.estimateTokens);
    const estimateNano = toNanoUsd(input.estimateCostUsd);
    const budgetNano = limits.monthlyBudgetUsd === null ? null : toNanoUsd(limits.monthlyBudgetUsd);
    const before = this.snapshot(state, limits, now);
    const refusal = firstRefusal(before, limits, estimateTokens, budgetNano);
    if (refusal) {
      return { ok: false, refusal, retryAfterSeconds: retryAfterSeconds(refusal, before, limits, estimateTokens), state: rateLimitState(before, limits) };
    }
    if (limits.rpm !== null) state.rpm = { tokens: (before.rpmTokens ?? 0) - 1, atMs: now };
    if (limits.tpm !== null) state.tpm = { tokens: (before.tpmTokens ?? 0) - estimateTokens, atMs: now };
    const id = randomUUID();
    const expiresAtMs = now + Math.max(1, input.leaseTtlMs);
    state.leases.set(id, { expiresAtMs, tokens: estimateTokens, nano: estimateNano });
    state.reservedTokens += estimateTokens;
    state.reservedNano += estimateNano;
    if (state.day) state.day.requests += 1;
    const lease: Lease = {
      id,
      tokenId: input.tokenId,
      estimateTokens,
      estimateCostUsd: estimateNano / 1e9,
      tpm: limits.tpm,
      expiresAtMs,
      origin: this,
    };
    return { ok: true, lease, state: rateLimitState(this.snapshot(state, limits, now), limits) };
  }

  async settle(lease: Lease, actual: ActualUsage): Promise<void> {
    if (this.settled.has(lease)) return;
    this.settled.add(lease);
    const state = await this.ready(lease.tokenId, false);
    const now = this.clock();
    if (!this.periodsCurrent(state, now, false)) {
      this.settled.delete(lease);
      return this.settle(lease, actual);
    }
    const held = state.leases.get(lease.id);
    // An expired lease has already given its reservation back (purge).
    if (held) this.release(state, lease.id, held);
    const tokens = toCount(actual.tokens);
    if (lease.tpm !== null && lease.tpm > 0) {
      const level = state.tpm ? refill(state.tpm.tokens, state.tpm.atMs, now, lease.tpm) : lease.tpm;
      state.tpm = { tokens: Math.min(lease.tpm, level + lease.estimateTokens - tokens), atMs: now };
    }
    this.charge(state, tokens, toNanoUsd(actual.costUsd));
  }

  /**
   * Charges usage to the token's month without a lease (ResilientLimitStore: a request admitted by
   * Redis whose settle could not reach it still counts against this instance's limits).
   */
  async chargeMonth(tokenId: number, actual: ActualUsage): Promise<void> {
    const state = await this.ready(tokenId, false);
    if (!this.periodsCurrent(state, this.clock(), false)) return this.chargeMonth(tokenId, actual);
    this.charge(state, toCount(actual.tokens), toNanoUsd(actual.costUsd));
  }

  async usageNow(tokenId: number, limits: NumericLimits): Promise<UsageNowNumbers> {
    const now = this.clock();
    const state = this.tokens.get(tokenId) ?? this.fresh();
    const day = dayIndex(now);
    const month = monthIndexOfDay(day);
    const counters = { ...state };
    // Reading never stores a seed: only admit and settle keep counters (see LimitStore).
    if (state.day?.index !== day || state.month?.index !== month) {
      const seeded = await this.load(tokenId, day, month);
      if (state.day?.index !== day) counters.day = { index: day, requests: seeded.dayRequests };
      if (state.month?.index !== month) counters.month = { index: month, tokens: seeded.monthTokens, nano: toNanoUsd(seeded.monthCostUsd) };
    }
    const live = [...state.leases.values()].filter((l) => l.expiresAtMs > now);
    const snapshot = this.snapshot(counters, limits, now);
    return usageFromSnapshot(
      { ...snapshot, inFlight: live.length, reservedTokens: live.reduce((a, l) => a + l.tokens, 0), reservedNanoUsd: live.reduce((a, l) => a + l.nano, 0) },
      limits,
    );
  }

  private fresh(): TokenState {
    return { rpm: null, tpm: null, leases: new Map(), reservedTokens: 0, reservedNano: 0, day: null, month: null };
  }

  private periodsCurrent(state: TokenState, now: number, needDay: boolean): boolean {
    const day = dayIndex(now);
    return (!needDay || state.day?.index === day) && state.month?.index === monthIndexOfDay(day);
  }

  /** The token's state with its current day (when needed) and month seeded from the database. */
  private async ready(tokenId: number, needDay: boolean): Promise<TokenState> {
    let state = this.tokens.get(tokenId);
    if (!state) {
      state = this.fresh();
      this.tokens.set(tokenId, state);
    }
    const now = this.clock();
    if (this.periodsCurrent(state, now, needDay)) return state;
    const day = dayIndex(now);
    const month = monthIndexOfDay(day);
    const seeded = await this.load(tokenId, day, month);
    // Like SET NX: the first seed of a period wins; counts made since are kept.
    if (needDay && state.day?.index !== day) state.day = { index: day, requests: seeded.dayRequests };
    if (state.month?.index !== month) state.month = { index: month, tokens: seeded.monthTokens, nano: toNanoUsd(seeded.monthCostUsd) };
    return state;
  }

  /** One CounterSeed.load per (token, day, month) at a time, however many requests wait for it. */
  private load(tokenId: number, day: number, month: number): Promise<SeedCounters> {
    const key = `${tokenId}:${day}:${month}`;
    let pending = this.seeding.get(key);
    if (!pending) {
      pending = this.seed.load(tokenId, day * DAY_MS, monthStartMs(month)).then(
        (c) => c,
        (err: unknown) => {
          throw new CounterSeedError(tokenId, err);
        },
      );
      const forget = (): void => void this.seeding.delete(key);
      pending.then(forget, forget);
      this.seeding.set(key, pending);
    }
    return pending;
  }

  private purge(state: TokenState, now: number): void {
    for (const [id, held] of state.leases) if (held.expiresAtMs <= now) this.release(state, id, held);
  }

  private release(state: TokenState, id: string, held: HeldLease): void {
    state.leases.delete(id);
    state.reservedTokens -= held.tokens;
    state.reservedNano -= held.nano;
  }

  private charge(state: TokenState, tokens: number, nano: number): void {
    if (!state.month) return;
    state.month.tokens += tokens;
    state.month.nano += nano;
  }

  private snapshot(
    state: Pick<TokenState, 'rpm' | 'tpm' | 'leases' | 'reservedTokens' | 'reservedNano' | 'day' | 'month'>,
    limits: NumericLimits,
    now: number,
  ): CounterSnapshot {
    const level = (b: Bucket | null, capacity: number | null): number | null =>
      capacity === null ? null : b ? refill(b.tokens, b.atMs, now, capacity) : capacity;
    return {
      nowMs: now,
      rpmTokens: level(state.rpm, limits.rpm),
      tpmTokens: level(state.tpm, limits.tpm),
      inFlight: state.leases.size,
      dayRequests: state.day?.requests ?? 0,
      monthTokens: state.month?.tokens ?? 0,
      monthNanoUsd: state.month?.nano ?? 0,
      reservedTokens: state.reservedTokens,
      reservedNanoUsd: state.reservedNano,
    };
  }
}
