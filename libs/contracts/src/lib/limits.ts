/**
 * A token's limits (and, with the same shape, a user's caps set by an admin). Every field
 * null means unlimited / everything. A token's effective limit is the stricter of its own and
 * its owner's cap. Counters are exact across proxy instances when Redis is configured.
 */
export interface TokenLimits {
  /** Requests per minute: a token bucket of this capacity refilled continuously over 60 s. */
  rpm: number | null;
  /** Tokens per minute (prompt + completion), the same kind of bucket. */
  tpm: number | null;
  /** Requests in flight at once. */
  max_parallel: number | null;
  /** Requests per UTC day (reset at 00:00 UTC). */
  daily_requests: number | null;
  /** Prompt + completion tokens per UTC calendar month. */
  monthly_tokens: number | null;
  /** USD per UTC calendar month, priced from models.json. */
  monthly_budget_usd: number | null;
  /** Exact public model names; null: every model. */
  allowed_models: string[] | null;
  /** IPv4/IPv6 addresses or CIDR ranges a request may come from; null: anywhere. */
  allowed_ips: string[] | null;
  /** Addresses or ranges refused even when allowed. */
  denied_ips: string[] | null;
}

/** Every field of TokenLimits may be given or left out (left out: unchanged / unlimited). */
export type TokenLimitsInput = Partial<TokenLimits>;

/** What the limits compare against now. */
export interface UsageNow {
  minute_requests: number;
  minute_tokens: number;
  in_flight: number;
  day_requests: number;
  month_tokens: number;
  month_cost_usd: number;
}

/** GET/PUT /api/admin/ip-denylist: the proxy-wide deny list. */
export interface IpDenylist {
  ranges: string[];
}

/** The limits nobody set. */
export const NO_LIMITS: Readonly<TokenLimits> = Object.freeze({
  rpm: null,
  tpm: null,
  max_parallel: null,
  daily_requests: null,
  monthly_tokens: null,
  monthly_budget_usd: null,
  allowed_models: null,
  allowed_ips: null,
  denied_ips: null,
});

/**
 * The bounds the dashboard API checks limits against, shared with the SPA's forms so both say
 * the same. Counts stay exact integers in the limits' Lua scripts; the budget is counted in
 * whole nano-dollars, exact below 2^53 (about $9 million).
 */
export const LIMIT_BOUNDS: Readonly<Record<'maxCount' | 'minRate' | 'maxBudgetUsd' | 'maxListEntries' | 'maxDenylistEntries' | 'maxModelName', number>> =
  Object.freeze({
    /** Largest rpm, tpm, max_parallel, daily_requests or monthly_tokens. */
    maxCount: 1_000_000_000_000,
    /** rpm, tpm and max_parallel are at least 1 (a bucket of 0 would refuse everything: revoke instead); quotas may be 0. */
    minRate: 1,
    maxBudgetUsd: 1_000_000,
    /** Entries of a token's (or a cap's) model and IP lists. */
    maxListEntries: 200,
    /** Entries of the proxy-wide deny list. */
    maxDenylistEntries: 1000,
    /** As long as usage_logs.model can hold. */
    maxModelName: 200,
  });

/** The limits that are token buckets or concurrency: at least LIMIT_BOUNDS.minRate when set. */
export const RATE_LIMIT_FIELDS = ['rpm', 'tpm', 'max_parallel'] as const;
