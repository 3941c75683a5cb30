import { LIMIT_BOUNDS, NO_LIMITS } from '@lmarena-bridge/contracts';
import type { TokenLimits, TokenLimitsInput } from '@lmarena-bridge/contracts';
import { BadRequestException } from '@nestjs/common';
import { parseIpRange } from '@lmarena-bridge/limits';

export type LimitField = keyof TokenLimits;

/** Every limit, in the contract's order (also the order of the stored JSON). */
export const LIMIT_FIELDS = Object.keys(NO_LIMITS) as LimitField[];

/** The contract's bounds (LIMIT_BOUNDS, shared with the SPA's forms). */
export const MAX_LIMIT_COUNT = LIMIT_BOUNDS.maxCount;
export const MAX_BUDGET_USD = LIMIT_BOUNDS.maxBudgetUsd;
/** Entries per list limit (models, ranges) and in the proxy-wide deny list. */
export const MAX_LIMIT_LIST = LIMIT_BOUNDS.maxListEntries;
export const MAX_DENYLIST = LIMIT_BOUNDS.maxDenylistEntries;
/** As long as usage_logs.model can hold. */
export const MAX_MODEL_NAME = LIMIT_BOUNDS.maxModelName;

type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const wholeNumber =
  (min: number) =>
  (value: unknown): Checked<number> =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= MAX_LIMIT_COUNT
      ? { ok: true, value: value === 0 ? 0 : value }
      : { ok: false, problem: ` must be null or a whole number from ${min} to ${MAX_LIMIT_COUNT}` };

const usd = (value: unknown): Checked<number> =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_BUDGET_USD
    ? { ok: true, value: value === 0 ? 0 : value }
    : { ok: false, problem: ` must be null or a number of US dollars from 0 to ${MAX_BUDGET_USD}` };

/** A list whose entries are checked (and canonicalised) one by one, then deduplicated in order. */
const list =
  (what: string, entry: (item: unknown) => Checked<string>, max = MAX_LIMIT_LIST) =>
  (value: unknown): Checked<string[]> => {
    if (!Array.isArray(value)) return { ok: false, problem: ` must be null or a list of ${what}` };
    if (value.length > max) return { ok: false, problem: ` must hold at most ${max} entries` };
    const out = new Set<string>();
    for (const [i, item] of value.entries()) {
      const checked = entry(item);
      if (!checked.ok) return { ok: false, problem: `[${i}]${checked.problem}` };
      out.add(checked.value);
    }
    return { ok: true, value: [...out] };
  };

/** Exact public names (models.json keys are not trimmed either); never blank. */
const modelName = (item: unknown): Checked<string> =>
  typeof item === 'string' && item.trim() !== '' && item.length <= MAX_MODEL_NAME
    ? { ok: true, value: item }
    : { ok: false, problem: ` must be a model name: a non-blank string of at most ${MAX_MODEL_NAME} characters` };

export const ipRange = (item: unknown): Checked<string> => {
  if (typeof item !== 'string') return { ok: false, problem: ' must be an IP address or CIDR range (a string)' };
  const parsed = parseIpRange(item);
  return parsed.ok ? { ok: true, value: parsed.value } : { ok: false, problem: `: ${parsed.message}` };
};

const RULES: { [F in LimitField]: (value: unknown) => Checked<NonNullable<TokenLimits[F]>> } = {
  rpm: wholeNumber(LIMIT_BOUNDS.minRate),
  tpm: wholeNumber(LIMIT_BOUNDS.minRate),
  max_parallel: wholeNumber(LIMIT_BOUNDS.minRate),
  daily_requests: wholeNumber(0),
  monthly_tokens: wholeNumber(0),
  monthly_budget_usd: usd,
  allowed_models: list('model names', modelName),
  allowed_ips: list('IP addresses or CIDR ranges', ipRange),
  denied_ips: list('IP addresses or CIDR ranges', ipRange),
};

/**
 * What is wrong with `value` as the limit `field`, as the rest of a sentence that starts with
 * the field's name (" must be …", "[2]: … is not an IPv4 …"), or null when it is fine. null and
 * a left-out field (undefined) are always fine: unlimited, or unchanged.
 */
export function limitProblem(field: LimitField, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const checked = RULES[field](value);
  return checked.ok ? null : checked.problem;
}

/**
 * Checks a limits object from a request and returns it canonical (IP ranges in canonical text,
 * lists without duplicates), keeping exactly the fields that were given. Every problem is
 * reported at once, each naming its field under `path` ("limits.rpm must be …"), as a 400 in
 * the dashboard's validation-error shape.
 */
export function normalizeLimitsInput(input: unknown, path = 'limits'): TokenLimitsInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new BadRequestException([`${path} must be an object`]);
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(LIMIT_FIELDS as string[]).includes(key)) {
      problems.push(`${path}.${key} is not a limit (${LIMIT_FIELDS.join(', ')})`);
      continue;
    }
    if (value === undefined) continue;
    if (value === null) {
      out[key] = null;
      continue;
    }
    const checked = RULES[key as LimitField](value);
    if (checked.ok) out[key] = checked.value;
    else problems.push(`${path}.${key}${checked.problem}`);
  }
  if (problems.length) throw new BadRequestException(problems);
  return out as TokenLimitsInput;
}

/** The proxy-wide deny list from a request: canonical, deduplicated in order, or a 400 naming each bad entry. */
export function normalizeRanges(input: unknown, path = 'ranges'): string[] {
  const checked = list('IP addresses or CIDR ranges', ipRange, MAX_DENYLIST)(input);
  if (!checked.ok) throw new BadRequestException([`${path}${checked.problem}`]);
  return checked.value;
}

/**
 * Limits after a change: a field left out stays, a field given (null included) replaces it,
 * and `null` for the whole object lifts every limit. `change` must be normalised already.
 */
export function applyLimitsChange(current: TokenLimits, change: TokenLimitsInput | null | undefined): TokenLimits {
  if (change === undefined) return current;
  if (change === null) return { ...NO_LIMITS };
  const next: TokenLimits = { ...current };
  for (const field of LIMIT_FIELDS) {
    if (change[field] !== undefined) (next as unknown as Record<string, unknown>)[field] = change[field];
  }
  return next;
}

/** Only the limits that are set, in the contract's order: the stored JSON and the audit log's view. */
export function setLimits(limits: TokenLimits): Partial<TokenLimits> {
  const out: Record<string, unknown> = {};
  for (const field of LIMIT_FIELDS) if (limits[field] !== null) out[field] = limits[field];
  return out as Partial<TokenLimits>;
}

/** The stored form: JSON of the fields that are set; NULL when none is (no limits). */
export function encodeLimits(limits: TokenLimits): string | null {
  const set = setLimits(limits);
  return Object.keys(set).length ? JSON.stringify(set) : null;
}

/**
 * The stored form read back. Only the dashboard writes it (normalised); a value that does not
 * parse means someone edited the row by hand, and is an error rather than "no limits": an
 * unreadable restriction must never turn into none.
 */
export function decodeLimits(text: string | null, where = 'limits'): TokenLimits {
  if (text === null || text === '') return { ...NO_LIMITS };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${where}: the stored limits are not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${where}: the stored limits are not a JSON object`);
  const limits: TokenLimits = { ...NO_LIMITS };
  for (const field of LIMIT_FIELDS) {
    const value = (parsed as Record<string, unknown>)[field];
    if (value === undefined || value === null) continue;
    const checked = RULES[field](value);
    if (!checked.ok) throw new Error(`${where}: the stored ${field}${checked.problem}`);
    (limits as unknown as Record<string, unknown>)[field] = checked.value;
  }
  return limits;
}
