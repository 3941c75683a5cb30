import type { TokenLimits, TokenLimitsInput } from '@lmarena-bridge/contracts';
import { IpRules, parseIpRange, type Parsed } from './ip-ranges';

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

/** Largest count accepted: rates and quotas above it are not limits, and Lua's doubles stay exact. */
export const MAX_LIMIT_COUNT = 1_000_000_000_000;
/** Largest monthly budget accepted (USD): kept as integer nano-USD, exact in Lua's doubles below 2^53. */
export const MAX_BUDGET_USD = 1_000_000;
export const MAX_LIST_ENTRIES = 200;
export const MAX_MODEL_NAME_LENGTH = 200;

const COUNT_KEYS = ['rpm', 'tpm', 'max_parallel', 'daily_requests', 'monthly_tokens'] as const;
const LIST_KEYS = ['allowed_models', 'allowed_ips', 'denied_ips'] as const;
const KNOWN_KEYS: ReadonlySet<string> = new Set<string>([...COUNT_KEYS, 'monthly_budget_usd', ...LIST_KEYS]);

function validateList(key: (typeof LIST_KEYS)[number], value: unknown): Parsed<string[] | null> {
  if (value === null) return { ok: true, value: null };
  if (!Array.isArray(value)) return { ok: false, message: `${key}: expected an array of strings or null` };
  if (value.length > MAX_LIST_ENTRIES) return { ok: false, message: `${key}: at most ${MAX_LIST_ENTRIES} entries` };
  // An empty allow list would let nothing through; null is how "anything" is said, so an
  // empty list is refused rather than guessed at.
  if (value.length === 0 && key !== 'denied_ips') return { ok: false, message: `${key}: an empty list would allow nothing; use null for no restriction` };
  const out: string[] = [];
  for (const [i, entry] of value.entries()) {
    if (typeof entry !== 'string' || entry.trim() === '') return { ok: false, message: `${key}[${i}]: expected a non-empty string` };
    let normalised: string;
    if (key === 'allowed_models') {
      normalised = entry.trim();
      if (normalised.length > MAX_MODEL_NAME_LENGTH) return { ok: false, message: `${key}[${i}]: longer than ${MAX_MODEL_NAME_LENGTH} characters` };
    } else {
      const range = parseIpRange(entry);
      if (!range.ok) return { ok: false, message: `${key}[${i}]: ${range.message}` };
      normalised = range.value;
    }
    if (!out.includes(normalised)) out.push(normalised);
  }
  return { ok: true, value: out };
}

/**
 * Checks limits as the dashboard receives them (JSON), and returns them normalised: IP ranges
 * in canonical form, list entries trimmed and deduplicated. Counts are whole numbers from 0
 * (0 refuses every request) to MAX_LIMIT_COUNT; the budget a finite number of USD from 0 to
 * MAX_BUDGET_USD; lists null or 1–200 non-empty strings (denied_ips may be empty). A key left
 * out stays out (unchanged); unknown keys are refused. Messages start with the key
 * (`rpm: …`, `allowed_ips[2]: …`) so the caller can prefix `limits.`.
 */
export function validateLimits(input: unknown): Parsed<TokenLimitsInput> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, message: 'expected an object' };
  const record = input as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length) return { ok: false, message: `${unknown[0]}: unknown key (known: ${[...KNOWN_KEYS].join(', ')})` };
  const out: TokenLimitsInput = {};
  for (const key of COUNT_KEYS) {
    if (!(key in record)) continue;
    const v = record[key];
    if (v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_LIMIT_COUNT)) {
      return { ok: false, message: `${key}: expected a whole number from 0 to ${MAX_LIMIT_COUNT}, or null` };
    }
    out[key] = v as number | null;
  }
  if ('monthly_budget_usd' in record) {
    const v = record['monthly_budget_usd'];
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_BUDGET_USD)) {
      return { ok: false, message: `monthly_budget_usd: expected a number of USD from 0 to ${MAX_BUDGET_USD}, or null` };
    }
    out.monthly_budget_usd = v as number | null;
  }
  for (const key of LIST_KEYS) {
    if (!(key in record)) continue;
    const list = validateList(key, record[key]);
    if (!list.ok) return list;
    out[key] = list.value;
  }
  return { ok: true, value: out };
}

/** Checks the admins' proxy-wide deny list (`PUT /api/admin/ip-denylist` `{ranges}`): normalised, deduplicated. */
export function validateIpRanges(input: unknown, maxEntries = 1000): Parsed<string[]> {
  if (!Array.isArray(input)) return { ok: false, message: 'ranges: expected an array of strings' };
  if (input.length > maxEntries) return { ok: false, message: `ranges: at most ${maxEntries} entries` };
  const out: string[] = [];
  for (const [i, entry] of input.entries()) {
    if (typeof entry !== 'string') return { ok: false, message: `ranges[${i}]: expected a string` };
    const range = parseIpRange(entry);
    if (!range.ok) return { ok: false, message: `ranges[${i}]: ${range.message}` };
    if (!out.includes(range.value)) out.push(range.value);
  }
  return { ok: true, value: out };
}
