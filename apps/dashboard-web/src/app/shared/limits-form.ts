import { AbstractControl, FormControl, FormGroup, NonNullableFormBuilder, ValidationErrors, ValidatorFn } from '@angular/forms';
import type { TokenLimits, TokenLimitsInput } from '@lmarena-bridge/contracts';
import { LIMIT_BOUNDS, NO_LIMITS } from '@lmarena-bridge/contracts';

// The limits form shared by the token create/edit dialogs and the admin's user caps dialog:
// every field is text (an empty field is "unlimited"), parsed and checked here with the
// server's rules, then turned into the request body: every set limit for a new token, only
// the changed fields (null to lift one) for an edit.

/**
 * The dashboard API's bounds, from the contract both sides compile. The server stays the judge:
 * whatever slips through comes back as a 400 whose message the dialog shows.
 */
export const LIMIT_COUNT_MAX = LIMIT_BOUNDS.maxCount;
export const BUDGET_USD_MAX = LIMIT_BOUNDS.maxBudgetUsd;
export const LIST_ENTRIES_MAX = LIMIT_BOUNDS.maxListEntries;
export const MODEL_NAME_MAX = LIMIT_BOUNDS.maxModelName;
/** The proxy-wide deny list takes more entries than a token's lists. */
export const DENYLIST_ENTRIES_MAX = LIMIT_BOUNDS.maxDenylistEntries;

export const COUNT_KEYS = ['rpm', 'tpm', 'max_parallel', 'daily_requests', 'monthly_tokens'] as const;
export type CountKey = (typeof COUNT_KEYS)[number];
export const IP_KEYS = ['allowed_ips', 'denied_ips'] as const;
export type IpKey = (typeof IP_KEYS)[number];
export type LimitKey = keyof TokenLimits;
export const LIMIT_KEYS: readonly LimitKey[] = [...COUNT_KEYS, 'monthly_budget_usd', 'allowed_models', ...IP_KEYS];

/** One text control per limit. */
export type LimitsFormGroup = FormGroup<{ [K in LimitKey]: FormControl<string> }>;
export type LimitsFormValue = { [K in LimitKey]: string };

// ---- parsing -------------------------------------------------------------------------------

/** Entries of a list field: one per line or separated by commas, trimmed, blanks dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseCount(text: string): number | null {
  const t = text.trim();
  return t === '' ? null : Number(t);
}

function parseList(text: string): string[] | null {
  const entries = splitList(text);
  // An empty list means "no restriction" here, which the API spells null (it refuses [] for
  // the allow lists, where it would let nothing through).
  return entries.length ? entries : null;
}

/** Every limit of a (valid) form value; empty fields are null. */
export function limitsFromForm(value: LimitsFormValue): TokenLimits {
  return {
    rpm: parseCount(value.rpm),
    tpm: parseCount(value.tpm),
    max_parallel: parseCount(value.max_parallel),
    daily_requests: parseCount(value.daily_requests),
    monthly_tokens: parseCount(value.monthly_tokens),
    monthly_budget_usd: parseCount(value.monthly_budget_usd),
    allowed_models: parseList(value.allowed_models),
    allowed_ips: parseList(value.allowed_ips),
    denied_ips: parseList(value.denied_ips),
  };
}

/** Limits as the form shows them: models comma-separated, IP ranges one per line. */
export function limitsToForm(limits: TokenLimits): LimitsFormValue {
  const num = (n: number | null) => (n === null ? '' : String(n));
  return {
    rpm: num(limits.rpm),
    tpm: num(limits.tpm),
    max_parallel: num(limits.max_parallel),
    daily_requests: num(limits.daily_requests),
    monthly_tokens: num(limits.monthly_tokens),
    monthly_budget_usd: num(limits.monthly_budget_usd),
    allowed_models: (limits.allowed_models ?? []).join(', '),
    allowed_ips: (limits.allowed_ips ?? []).join('\n'),
    denied_ips: (limits.denied_ips ?? []).join('\n'),
  };
}

// ---- request bodies ------------------------------------------------------------------------

function sameLimit(a: number | string[] | null, b: number | string[] | null): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** POST /api/tokens: only the limits that are set (a field left out is unlimited); undefined when none. */
export function limitsForCreate(value: LimitsFormValue): TokenLimitsInput | undefined {
  const limits = limitsFromForm(value);
  const out: Record<string, unknown> = {};
  for (const key of LIMIT_KEYS) if (limits[key] !== null) out[key] = limits[key];
  return Object.keys(out).length ? (out as TokenLimitsInput) : undefined;
}

/**
 * PATCH: only the fields that differ from `before`, a lifted limit as null; undefined when
 * nothing changed. Lists compare entry by entry in order (the server keeps the order given).
 */
export function limitsChanges(before: TokenLimits, value: LimitsFormValue): TokenLimitsInput | undefined {
  const after = limitsFromForm(value);
  const out: Record<string, unknown> = {};
  for (const key of LIMIT_KEYS) if (!sameLimit(before[key], after[key])) out[key] = after[key];
  return Object.keys(out).length ? (out as TokenLimitsInput) : undefined;
}

export function hasAnyLimit(limits: TokenLimits): boolean {
  return LIMIT_KEYS.some((key) => limits[key] !== null);
}

// ---- validation ----------------------------------------------------------------------------

/** A whole number from 0 to LIMIT_COUNT_MAX, or empty. */
export const wholeNumber: ValidatorFn = (control: AbstractControl<string>): ValidationErrors | null => {
  const t = control.value.trim();
  if (t === '') return null;
  if (!/^\d+$/.test(t)) return { wholeNumber: true };
  return Number(t) > LIMIT_COUNT_MAX ? { tooLarge: { max: LIMIT_COUNT_MAX } } : null;
};

/** rpm, tpm and max_parallel: at least LIMIT_BOUNDS.minRate when set (the server refuses 0 for them). */
export const atLeastRate: ValidatorFn = (control: AbstractControl<string>): ValidationErrors | null => {
  const t = control.value.trim();
  return t !== '' && /^\d+$/.test(t) && Number(t) < LIMIT_BOUNDS.minRate ? { tooSmall: { min: LIMIT_BOUNDS.minRate } } : null;
};

/** An amount of USD from 0 to BUDGET_USD_MAX (`5`, `12.50`, `.5`), or empty. */
export const usdAmount: ValidatorFn = (control: AbstractControl<string>): ValidationErrors | null => {
  const t = control.value.trim();
  if (t === '') return null;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) return { usd: true };
  return Number(t) > BUDGET_USD_MAX ? { tooLarge: { max: BUDGET_USD_MAX } } : null;
};

export const modelList: ValidatorFn = (control: AbstractControl<string>): ValidationErrors | null => {
  const entries = splitList(control.value);
  if (entries.length > LIST_ENTRIES_MAX) return { tooMany: { max: LIST_ENTRIES_MAX } };
  const long = entries.find((m) => m.length > MODEL_NAME_MAX);
  return long ? { modelTooLong: { max: MODEL_NAME_MAX } } : null;
};

// Decimal octets without leading zeros, as the server parses them ("010.0.0.1" is refused there).
const OCTET = '(0|[1-9]\\d{0,2})';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** Whether the browser's URL parser takes it as an IPv6 literal (it knows every spelling, mapped IPv4 included). */
function isIpv6(text: string): boolean {
  if (!text.includes(':') || /[[\]/%@?#\s]/.test(text)) return false;
  try {
    return new URL(`http://[${text}]/`).hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Why an entry is not an IPv4/IPv6 address or CIDR range (the server's wording), or null when
 * it is one. The same spellings as the server's parser take; the server then stores the
 * canonical form (`10.1.2.3/8` → `10.0.0.0/8`, a mapped IPv4 address as IPv4).
 */
export function ipRangeProblem(entry: string): string | null {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const v4 = IPV4.exec(address);
  const family = v4 && v4.slice(1, 5).every((octet) => Number(octet) <= 255) ? 4 : isIpv6(address) ? 6 : 0;
  if (!family) return `“${entry}” is not an IPv4 or IPv6 address or CIDR range`;
  if (slash >= 0) {
    const max = family === 4 ? 32 : 128;
    const prefix = entry.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(prefix) || Number(prefix) > max) return `“${entry}”: the prefix length must be a whole number from 0 to ${max}`;
  }
  return null;
}

/** One address or CIDR range per line (commas work too); at most `max` entries. */
export function ipList(max = LIST_ENTRIES_MAX): ValidatorFn {
  return (control: AbstractControl<string>): ValidationErrors | null => {
    const entries = splitList(control.value);
    if (entries.length > max) return { tooMany: { max } };
    for (const entry of entries) {
      const problem = ipRangeProblem(entry);
      if (problem) return { ipRange: { message: problem } };
    }
    return null;
  };
}

/** The sentence for a limit control's first error, or null when it is valid. */
export function limitErrorMessage(errors: ValidationErrors | null): string | null {
  if (!errors) return null;
  if (errors['wholeNumber']) return 'Enter a whole number (0 or more), or leave it empty for no limit.';
  if (errors['usd']) return 'Enter an amount in USD such as 5 or 12.50, or leave it empty for no budget.';
  if (errors['tooSmall']) return `At least ${(errors['tooSmall'] as { min: number }).min} (to stop a token altogether, revoke it).`;
  if (errors['tooLarge']) return `At most ${(errors['tooLarge'] as { max: number }).max.toLocaleString('en-US')}.`;
  if (errors['tooMany']) return `At most ${(errors['tooMany'] as { max: number }).max} entries.`;
  if (errors['modelTooLong']) return `A model name has at most ${(errors['modelTooLong'] as { max: number }).max} characters.`;
  if (errors['ipRange']) return `${(errors['ipRange'] as { message: string }).message}.`;
  return 'Check this value.';
}

// ---- the form ------------------------------------------------------------------------------

/** The limits form group, filled with `limits` (default: none set). */
export function limitsForm(fb: NonNullableFormBuilder, limits: TokenLimits = NO_LIMITS): LimitsFormGroup {
  const v = limitsToForm(limits);
  return fb.group({
    rpm: [v.rpm, [wholeNumber, atLeastRate]],
    tpm: [v.tpm, [wholeNumber, atLeastRate]],
    max_parallel: [v.max_parallel, [wholeNumber, atLeastRate]],
    daily_requests: [v.daily_requests, wholeNumber],
    monthly_tokens: [v.monthly_tokens, wholeNumber],
    monthly_budget_usd: [v.monthly_budget_usd, usdAmount],
    allowed_models: [v.allowed_models, modelList],
    allowed_ips: [v.allowed_ips, ipList()],
    denied_ips: [v.denied_ips, ipList()],
  });
}
