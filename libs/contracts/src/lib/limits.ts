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
