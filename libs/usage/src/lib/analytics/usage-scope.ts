import { DAY_MS, nextUtcMonth, utcDay, utcMonth } from '../recorder/usage-row';

/** Whose usage a query reads: one owner's (the rows whose user_id is theirs) or everyone's. */
export type UsageScope = { userId: number } | 'all';

export const MIN_USAGE_DAYS = 1;
export const MAX_USAGE_DAYS = 365;
export const DEFAULT_USAGE_DAYS = 30;

/** The last `days` UTC days up to and including the day of `now`. */
export interface UsageWindow {
  firstDay: number;
  lastDay: number;
  /** Epoch ms of 00:00:00.000 UTC on firstDay: raw rows from here on fall in the window. */
  since: number;
}

export function assertUsageDays(days: number): void {
  if (!Number.isInteger(days) || days < MIN_USAGE_DAYS || days > MAX_USAGE_DAYS) {
    throw new RangeError(`days must be an integer from ${MIN_USAGE_DAYS} to ${MAX_USAGE_DAYS}, got ${days}`);
  }
}

export function usageWindow(days: number, now: number): UsageWindow {
  assertUsageDays(days);
  const lastDay = utcDay(now);
  const firstDay = lastDay - days + 1;
  return { firstDay, lastDay, since: firstDay * DAY_MS };
}

/** `YYYY-MM-DD` of a UTC day number. */
export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Day numbers `from` (inclusive) to `to` (exclusive); for months, the day numbers of their first days. */
export interface DayRange {
  from: number;
  to: number;
}

/**
 * The window cut for the rollups: the whole UTC months inside it (read from the monthly
 * tables) and the days before and after them (from the daily ones), at most 60 days
 * however long the window. A window holding no whole month is all edge days.
 */
export function windowParts(firstDay: number, lastDay: number): { months: DayRange | null; days: DayRange[] } {
  // from: the first month starting on or after firstDay; to: the day after the last whole
  // month, the first day of lastDay's month unless lastDay ends its month.
  const from = nextUtcMonth(firstDay - 1);
  const to = utcMonth(lastDay + 1);
  if (from >= to) return { months: null, days: [{ from: firstDay, to: lastDay + 1 }] };
  const days = [
    { from: firstDay, to: from },
    { from: to, to: lastDay + 1 },
  ].filter((r) => r.from < r.to);
  return { months: { from, to }, days };
}
