import type { TokenLimits, UsageNow } from '@lmarena-bridge/contracts';
import { formatNumber, type Locale } from '../core/format';

export type BarLevel = 'ok' | 'warn' | 'danger';

/** One counted limit against what it compares with now. */
export interface UsageBar {
  key: 'rpm' | 'tpm' | 'max_parallel' | 'daily_requests' | 'monthly_tokens' | 'monthly_budget_usd';
  /** What is measured, for the progress bar's accessible name. */
  name: string;
  value: number;
  max: number;
  /** The value kept within 0..max, as ARIA wants aria-valuenow (the text tells the real figure). */
  ariaValue: number;
  /** 0–100, for the bar's width (a counter may pass its limit: tokens are charged at the end). */
  percent: number;
  level: BarLevel;
  /** "412 / 600 rpm". */
  text: string;
}

/** A bar turns warning from 80 % of its limit and danger at 100 %. */
export const WARN_AT = 0.8;

/** Where `value` stands against `max`: a limit of 0 is always reached (it refuses everything). */
export function barLevel(value: number, max: number): BarLevel {
  const ratio = max > 0 ? value / max : 1;
  return ratio >= 1 ? 'danger' : ratio >= WARN_AT ? 'warn' : 'ok';
}

function usd(n: number, locale: Locale): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
}

const SPECS: ReadonlyArray<{
  key: UsageBar['key'];
  usage: keyof UsageNow;
  name: string;
  unit: string;
}> = [
  { key: 'rpm', usage: 'minute_requests', name: 'Requests this minute', unit: 'rpm' },
  { key: 'tpm', usage: 'minute_tokens', name: 'Tokens this minute', unit: 'tpm' },
  { key: 'max_parallel', usage: 'in_flight', name: 'Requests in flight', unit: 'in flight' },
  { key: 'daily_requests', usage: 'day_requests', name: 'Requests today (UTC)', unit: 'requests today' },
  { key: 'monthly_tokens', usage: 'month_tokens', name: 'Tokens this month', unit: 'tokens this month' },
  { key: 'monthly_budget_usd', usage: 'month_cost_usd', name: 'Spend this month', unit: 'this month' },
];

/** A bar for each counted limit that is set, in the order of the limits form. */
export function usageBars(limits: TokenLimits, usage: UsageNow, locale: Locale = undefined): UsageBar[] {
  const bars: UsageBar[] = [];
  for (const spec of SPECS) {
    const max = limits[spec.key];
    if (max === null) continue;
    const value = usage[spec.usage];
    const money = spec.key === 'monthly_budget_usd';
    const shown = (n: number) => (money ? usd(n, locale) : formatNumber(n, locale));
    bars.push({
      key: spec.key,
      name: spec.name,
      value,
      max,
      ariaValue: Math.min(value, max),
      percent: max > 0 ? Math.min(100, (value / max) * 100) : 100,
      level: barLevel(value, max),
      text: `${shown(value)} / ${shown(max)} ${spec.unit}`,
    });
  }
  return bars;
}

/** The limits that are not counted (models, IP lists), as short lines. */
export function restrictionLines(limits: TokenLimits): string[] {
  const lines: string[] = [];
  if (limits.allowed_models) lines.push(`Models: ${limits.allowed_models.join(', ')}`);
  if (limits.allowed_ips) lines.push(`Allowed IPs: ${limits.allowed_ips.join(', ')}`);
  if (limits.denied_ips?.length) lines.push(`Denied IPs: ${limits.denied_ips.join(', ')}`);
  return lines;
}

/** Every limit that is set, short ("60 rpm", "$5.00 per month", "Models: echo"): a user's caps at a glance. */
export function limitLines(limits: TokenLimits, locale: Locale = undefined): string[] {
  const n = (v: number) => formatNumber(v, locale);
  const lines: string[] = [];
  if (limits.rpm !== null) lines.push(`${n(limits.rpm)} rpm`);
  if (limits.tpm !== null) lines.push(`${n(limits.tpm)} tpm`);
  if (limits.max_parallel !== null) lines.push(`${n(limits.max_parallel)} parallel`);
  if (limits.daily_requests !== null) lines.push(`${n(limits.daily_requests)} requests per day`);
  if (limits.monthly_tokens !== null) lines.push(`${n(limits.monthly_tokens)} tokens per month`);
  if (limits.monthly_budget_usd !== null) lines.push(`${usd(limits.monthly_budget_usd, locale)} per month`);
  return [...lines, ...restrictionLines(limits)];
}
