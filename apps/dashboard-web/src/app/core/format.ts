/**
 * Locale-aware formatting with Intl in the browser's own locale (`undefined` locale = the
 * user's). Every function takes the locale so tests can pin it.
 */
export type Locale = string | undefined;

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function dateTimeFormat(locale: Locale, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let f = dateTimeFormats.get(key);
  if (!f) dateTimeFormats.set(key, (f = new Intl.DateTimeFormat(locale, options)));
  return f;
}

function numberFormat(locale: Locale, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let f = numberFormats.get(key);
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(locale, options)));
  return f;
}

export const EMPTY_VALUE = '—';

/** An ISO 8601 timestamp as a local date and time; `—` when absent. */
export function formatDateTime(iso: string | null | undefined, locale: Locale = undefined): string {
  if (!iso) return EMPTY_VALUE;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? EMPTY_VALUE : dateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** An ISO 8601 timestamp as a local date. */
export function formatDate(iso: string | null | undefined, locale: Locale = undefined): string {
  if (!iso) return EMPTY_VALUE;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? EMPTY_VALUE : dateTimeFormat(locale, { dateStyle: 'medium' }).format(d);
}

/** A UTC day `YYYY-MM-DD` (the API's days) as a short label, e.g. "Nov 24". */
export function formatDay(day: string, locale: Locale = undefined): string {
  const d = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : dateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(d);
}

export function formatNumber(n: number | null | undefined, locale: Locale = undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? EMPTY_VALUE : numberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

/**
 * An amount in USD: cents from a dollar up ("$12.35"), three significant digits below
 * ("$0.0123", "$0.50", down to the API's nano-dollar: "$0.000000038"); `—` when absent
 * (a request of a model without a price).
 */
export function formatUsd(usd: number | null | undefined, locale: Locale = undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return EMPTY_VALUE;
  const abs = Math.abs(usd);
  const digits = abs === 0 || abs >= 1 ? 2 : Math.min(9, Math.max(2, 2 - Math.floor(Math.log10(abs))));
  return numberFormat(locale, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: digits }).format(usd);
}

/** A duration in milliseconds: "840 ms", "1.2 s". */
export function formatMs(ms: number | null | undefined, locale: Locale = undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return EMPTY_VALUE;
  if (ms < 1000) return numberFormat(locale, { style: 'unit', unit: 'millisecond', maximumFractionDigits: 0 }).format(ms);
  return numberFormat(locale, { style: 'unit', unit: 'second', maximumFractionDigits: 1 }).format(ms / 1000);
}

/** How a request without a `model` field is labelled, instead of a blank row or slice. */
export const NO_MODEL_LABEL = '(no model)';

export function modelLabel(model: string | null | undefined): string {
  return model ? model : NO_MODEL_LABEL;
}

/**
 * A response-time figure only when there were requests: with none the API's average is 0,
 * which must read "—" like the percentiles beside it, not "0 ms".
 */
export function latencyWhenAny(ms: number | null | undefined, requests: number): number | null {
  return requests > 0 && ms !== undefined ? ms : null;
}

/** A ratio 0..1 as a percentage; `—` when there is nothing to divide. */
export function formatPercent(ratio: number | null | undefined, locale: Locale = undefined): string {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio)
    ? EMPTY_VALUE
    : numberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

/** success / total, or null when there were no requests (not 0 %, not 100 %). */
export function successRatio(success: number, total: number): number | null {
  return total > 0 ? success / total : null;
}

/** "1 error", "1,234 errors": the number formatted, the noun by the locale's plural rule. */
export function formatCount(n: number, one: string, other: string, locale: Locale = undefined): string {
  const rule = new Intl.PluralRules(locale).select(n);
  return `${formatNumber(n, locale)} ${rule === 'one' ? one : other}`;
}
