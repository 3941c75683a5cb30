import type { TokenLimits } from '@lmarena-bridge/contracts';
import { IpRules } from './ip-ranges';

/** The counted limits, as the stores take them; null: unlimited. */
export interface NumericLimits {
  rpm: number | null;
  tpm: number | null;
  maxParallel: number | null;
  dailyRequests: number | null;
  monthlyTokens: number | null;
  monthlyBudgetUsd: number | null;
}

export const NO_NUMERIC_LIMITS: Readonly<NumericLimits> = Object.freeze({
  rpm: null,
  tpm: null,
  maxParallel: null,
  dailyRequests: null,
  monthlyTokens: null,
  monthlyBudgetUsd: null,
});

/** What the request path applies to one token: its limits combined with its owner's caps. */
export interface EffectiveLimits {
  numeric: NumericLimits;
  /** True when any numeric limit is set: the request goes through the LimitStore and carries x-ratelimit-* headers. */
  counted: boolean;
  /** Public model names the token may use; null: every model. */
  allowedModels: ReadonlySet<string> | null;
  /** The token's and the owner's IP lists (each allow list must contain the address) and the global deny list. */
  ipRules: IpRules;
}

type MaybeLimits = Partial<TokenLimits> | null | undefined;

function stricterNumber(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null) return b ?? null;
  if (b == null) return a;
  return Math.min(a, b);
}

function stricterModels(a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): ReadonlySet<string> | null {
  if (a == null && b == null) return null;
  if (a == null) return new Set(b);
  if (b == null) return new Set(a);
  const other = new Set(b);
  return new Set(a.filter((m) => other.has(m)));
}

/**
 * The stricter of a token's limits and its owner's caps, per field: the smaller number, the
 * intersection of the model lists, both IP allow lists (an address must be in each: their
 * intersection, without computing it) and every deny list (token, owner, proxy-wide).
 * Throws InvalidIpRangeError for a stored range that does not parse (they are validated on write).
 */
export function effectiveLimits(token: MaybeLimits, userCap?: MaybeLimits, globalDenied?: readonly string[] | null): EffectiveLimits {
  const t = token ?? {};
  const u = userCap ?? {};
  const numeric: NumericLimits = {
    rpm: stricterNumber(t.rpm, u.rpm),
    tpm: stricterNumber(t.tpm, u.tpm),
    maxParallel: stricterNumber(t.max_parallel, u.max_parallel),
    dailyRequests: stricterNumber(t.daily_requests, u.daily_requests),
    monthlyTokens: stricterNumber(t.monthly_tokens, u.monthly_tokens),
    monthlyBudgetUsd: stricterNumber(t.monthly_budget_usd, u.monthly_budget_usd),
  };
  const ipRules = IpRules.both(
    new IpRules({ allowed: t.allowed_ips, denied: t.denied_ips }),
    new IpRules({ allowed: u.allowed_ips, denied: u.denied_ips }),
    new IpRules({ globalDenied }),
  );
  return {
    numeric,
    counted: Object.values(numeric).some((v) => v !== null),
    allowedModels: stricterModels(t.allowed_models, u.allowed_models),
    ipRules,
  };
}

/** Whether the limits let the token use this public model name. */
export function modelAllowed(limits: Pick<EffectiveLimits, 'allowedModels'>, model: string): boolean {
  return limits.allowedModels === null || limits.allowedModels.has(model);
}
