import type { NumericLimits } from './effective-limits';

/**
 * The counters behind the numeric limits, and the one semantics every store implements
 * (MemoryLimitStore for one instance, RedisLimitStore across instances, ResilientLimitStore for
 * Redis with a memory fallback). One shared spec suite runs against each.
 *
 * - rpm / tpm: token buckets of capacity N refilled continuously over 60 s, full when first
 *   seen. rpm costs 1 per request. tpm reserves `estimateTokens` at admit: a request is admitted
 *   when the bucket holds at least min(estimate, capacity) — so an estimate above the capacity
 *   can still pass on a full bucket — and the bucket may go negative; settle adds back
 *   (estimate − actual), never above the capacity. A limit of 0 refuses everything.
 * - max_parallel: leases in flight. A lease expires after `leaseTtlMs`, so an instance that
 *   crashes mid-request cannot hold a slot (or a reservation) for ever.
 * - daily_requests: admitted requests per UTC day. monthly_tokens / monthly_budget_usd: tokens
 *   and cost charged at settle from the upstream's actual usage, per UTC calendar month. A
 *   request may start while budget remains, but the estimates of requests in flight count as
 *   reserved: admitted only while spent + reserved < limit, which bounds the overshoot to what
 *   the last admitted requests spend beyond their estimates.
 * - Checked in this order; the first that fails is the refusal: rpm, tpm, max_parallel,
 *   daily_requests, monthly_tokens, monthly_budget_usd. All pass: every counter changes at
 *   once. One fails: nothing changes.
 * - Day and month counters are kept for every token that goes through admit (whatever its
 *   limits), and seeded from the database (CounterSeed) the first time a (token, day) or
 *   (token, month) is seen, so a restart or a new instance starts from the truth.
 */
export interface LimitStore {
  admit(input: AdmitInput): Promise<Admission>;
  /** Ends a lease with the upstream's actual usage. Settling the same lease twice does nothing. */
  settle(lease: Lease, actual: ActualUsage): Promise<void>;
  /** What the limits compare against now (`usage_now`); changes nothing. */
  usageNow(tokenId: number, limits: NumericLimits): Promise<UsageNowNumbers>;
}

export interface AdmitInput {
  tokenId: number;
  limits: NumericLimits;
  /** Prompt tokens counted with the tokenizer plus max_tokens (or a default). */
  estimateTokens: number;
  estimateCostUsd: number;
  /** How long the lease holds its max_parallel slot and reservations if never settled. */
  leaseTtlMs: number;
}

export interface ActualUsage {
  tokens: number;
  costUsd: number;
}

export type Refusal = 'rpm' | 'tpm' | 'max_parallel' | 'daily_requests' | 'monthly_tokens' | 'monthly_budget_usd';

/** Refusals the contract answers with `429 rate_limit_error / rate_limit_exceeded`; the others are `429 insufficient_quota / quota_exceeded`. */
export const RATE_REFUSALS: ReadonlySet<Refusal> = new Set<Refusal>(['rpm', 'tpm', 'max_parallel']);

export type Admission = { ok: true; lease: Lease; state: RateLimitState } | { ok: false; refusal: Refusal; retryAfterSeconds: number; state: RateLimitState };

/** An admitted request's hold on the counters. Opaque to callers beyond its fields; pass it back to settle. */
export interface Lease {
  readonly id: string;
  readonly tokenId: number;
  readonly estimateTokens: number;
  readonly estimateCostUsd: number;
  /** The tpm capacity at admit (settle corrects that bucket); null when tpm was not limited. */
  readonly tpm: number | null;
  readonly expiresAtMs: number;
  /** The store that admitted the lease: settle goes back to it. */
  readonly origin: object;
}

/** One of OpenAI's rate-limit windows as its x-ratelimit-* headers show it. */
export interface RateLimitWindow {
  limit: number;
  remaining: number;
  /** Time until the window is back to its full limit. */
  resetMs: number;
}

/** requests: from rpm, else from daily_requests; tokens: from tpm. null when not limited. */
export interface RateLimitState {
  requests: RateLimitWindow | null;
  tokens: RateLimitWindow | null;
}

/** The contract's UsageNow in camelCase. minute_* are 0 when rpm / tpm are not limited (no bucket is kept). */
export interface UsageNowNumbers {
  minuteRequests: number;
  minuteTokens: number;
  inFlight: number;
  dayRequests: number;
  monthTokens: number;
  monthCostUsd: number;
}

/** The day and month counters as the database's usage rollups have them. */
export interface SeedCounters {
  /** Admitted requests of the token since dayStartMs (limit refusals excluded). */
  dayRequests: number;
  /** Prompt + completion tokens since monthStartMs. */
  monthTokens: number;
  monthCostUsd: number;
}

/** Reads a token's counters from the database when a store first meets a (token, day) or (token, month). */
export interface CounterSeed {
  load(tokenId: number, dayStartMs: number, monthStartMs: number): Promise<SeedCounters>;
}

/** A seed that knows of no earlier usage (tests, and deployments without history). */
export const EMPTY_SEED: CounterSeed = { load: async () => ({ dayRequests: 0, monthTokens: 0, monthCostUsd: 0 }) };

/** CounterSeed.load failed (the database is unreachable): the store cannot know the counters. */
export class CounterSeedError extends Error {
  constructor(
    readonly tokenId: number,
    override readonly cause: unknown,
  ) {
    super(`could not read the usage counters of token ${tokenId} from the database: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CounterSeedError';
  }
}

/** The logger the stores and the bus report to (Nest's Logger fits). */
export interface LimitsLogger {
  warn(message: string): void;
  log(message: string): void;
}

// ---------------------------------------------------------------------------------------------
// What both stores share: periods, money, and the arithmetic from a snapshot of the counters.

export const DAY_MS = 86_400_000;
export const WINDOW_MS = 60_000;
export const NANO_PER_USD = 1_000_000_000;

export function dayIndex(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** Months since year 0 (year × 12 + month − 1) of a UTC day index. */
export function monthIndexOfDay(day: number): number {
  const d = new Date(day * DAY_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

export function monthStartMs(month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(Math.floor(month / 12), month % 12, 1);
  return d.getTime();
}

/** Cost as whole nano-USD, so sums never drift. Negative or non-finite: 0. */
export function toNanoUsd(usd: number): number {
  return Number.isFinite(usd) && usd > 0 ? Math.round(usd * NANO_PER_USD) : 0;
}

/** A count as a whole non-negative number. */
export function toCount(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.ceil(n) : 0;
}

/** The counters of one token at one moment, as both stores read them. */
export interface CounterSnapshot {
  nowMs: number;
  /** Bucket levels (fractional, may be negative for tpm); null when that limit is unset. */
  rpmTokens: number | null;
  tpmTokens: number | null;
  inFlight: number;
  dayRequests: number;
  monthTokens: number;
  monthNanoUsd: number;
  reservedTokens: number;
  reservedNanoUsd: number;
}

/** The level of a bucket of `capacity` that held `tokens` at `atMs`, at `nowMs`. Both stores (and the Lua) compute it in this order. */
export function refill(tokens: number, atMs: number, nowMs: number, capacity: number): number {
  const elapsed = Math.max(0, nowMs - atMs);
  return Math.min(capacity, tokens + (elapsed * capacity) / WINDOW_MS);
}

/** Milliseconds until a bucket at `tokens` is full again (0 for a zero-capacity bucket, which never fills). */
export function msToFull(tokens: number, capacity: number): number {
  return capacity > 0 ? Math.max(0, Math.ceil(((capacity - tokens) * WINDOW_MS) / capacity)) : 0;
}

function secondsUntilBucketHas(need: number, tokens: number, capacity: number): number {
  if (capacity <= 0) return WINDOW_MS / 1000;
  return Math.max(1, Math.ceil(((need - tokens) * WINDOW_MS) / capacity / 1000));
}

/** The first limit the snapshot fails for this request, or null (the reference the Lua script mirrors). */
export function firstRefusal(s: CounterSnapshot, limits: NumericLimits, estimateTokens: number, budgetNano: number | null): Refusal | null {
  if (limits.rpm !== null && (limits.rpm <= 0 || (s.rpmTokens ?? 0) < 1)) return 'rpm';
  if (limits.tpm !== null && (limits.tpm <= 0 || (s.tpmTokens ?? 0) < Math.min(estimateTokens, limits.tpm))) return 'tpm';
  if (limits.maxParallel !== null && s.inFlight >= limits.maxParallel) return 'max_parallel';
  if (limits.dailyRequests !== null && s.dayRequests >= limits.dailyRequests) return 'daily_requests';
  if (limits.monthlyTokens !== null && s.monthTokens + s.reservedTokens >= limits.monthlyTokens) return 'monthly_tokens';
  if (budgetNano !== null && s.monthNanoUsd + s.reservedNanoUsd >= budgetNano) return 'monthly_budget_usd';
  return null;
}

export function nextDayStartMs(nowMs: number): number {
  return (dayIndex(nowMs) + 1) * DAY_MS;
}

export function nextMonthStartMs(nowMs: number): number {
  return monthStartMs(monthIndexOfDay(dayIndex(nowMs)) + 1);
}

/** Retry-After for a refusal: until the bucket holds enough, 1 s for max_parallel, else the next period. */
export function retryAfterSeconds(refusal: Refusal, s: CounterSnapshot, limits: NumericLimits, estimateTokens: number): number {
  switch (refusal) {
    case 'rpm':
      return secondsUntilBucketHas(1, s.rpmTokens ?? 0, limits.rpm ?? 0);
    case 'tpm':
      return secondsUntilBucketHas(Math.min(estimateTokens, limits.tpm ?? 0), s.tpmTokens ?? 0, limits.tpm ?? 0);
    case 'max_parallel':
      return 1;
    case 'daily_requests':
      return Math.max(1, Math.ceil((nextDayStartMs(s.nowMs) - s.nowMs) / 1000));
    case 'monthly_tokens':
    case 'monthly_budget_usd':
      return Math.max(1, Math.ceil((nextMonthStartMs(s.nowMs) - s.nowMs) / 1000));
  }
}

function bucketWindow(capacity: number, tokens: number | null): RateLimitWindow {
  const level = tokens ?? capacity;
  return { limit: capacity, remaining: Math.max(0, Math.floor(level)), resetMs: capacity > 0 ? msToFull(level, capacity) : WINDOW_MS };
}

/** The x-ratelimit-* view of a snapshot. */
export function rateLimitState(s: CounterSnapshot, limits: NumericLimits): RateLimitState {
  let requests: RateLimitWindow | null = null;
  if (limits.rpm !== null) requests = bucketWindow(limits.rpm, s.rpmTokens);
  else if (limits.dailyRequests !== null) {
    requests = { limit: limits.dailyRequests, remaining: Math.max(0, limits.dailyRequests - s.dayRequests), resetMs: nextDayStartMs(s.nowMs) - s.nowMs };
  }
  return { requests, tokens: limits.tpm !== null ? bucketWindow(limits.tpm, s.tpmTokens) : null };
}

export function usageFromSnapshot(s: CounterSnapshot, limits: NumericLimits): UsageNowNumbers {
  const used = (capacity: number | null, tokens: number | null): number => (capacity === null ? 0 : Math.max(0, Math.ceil(capacity - (tokens ?? capacity))));
  return {
    minuteRequests: used(limits.rpm, s.rpmTokens),
    minuteTokens: used(limits.tpm, s.tpmTokens),
    inFlight: s.inFlight,
    dayRequests: s.dayRequests,
    monthTokens: s.monthTokens,
    monthCostUsd: s.monthNanoUsd / NANO_PER_USD,
  };
}

/** A duration as OpenAI writes it in x-ratelimit-reset-*: "20ms", "1s", "1.5s", "6m0s", "1h2m3s". */
export function openAiDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = (total % 60_000) / 1000;
  const s = `${Number(seconds.toFixed(3))}s`;
  if (hours) return `${hours}h${minutes}m${s}`;
  if (minutes) return `${minutes}m${s}`;
  return s;
}

/** OpenAI's x-ratelimit-* headers for an answer to a limited token. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [kind, w] of [
    ['requests', state.requests],
    ['tokens', state.tokens],
  ] as const) {
    if (!w) continue;
    headers[`x-ratelimit-limit-${kind}`] = String(w.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(w.remaining);
    headers[`x-ratelimit-reset-${kind}`] = openAiDuration(w.resetMs);
  }
  return headers;
}
