import { nextUtcMonth, utcDay, utcMonth } from '../recorder/usage-row';
import { isoDate, usageWindow, windowParts } from './usage-scope';

const day = (iso: string) => utcDay(Date.parse(`${iso}T00:00:00Z`));
const range = (from: string, toExclusive: string) => ({ from: day(from), to: day(toExclusive) });

describe('utcMonth and nextUtcMonth', () => {
  it.each([
    ['2025-03-20', '2025-03-01', '2025-04-01'],
    ['2025-03-01', '2025-03-01', '2025-04-01'],
    ['2024-12-31', '2024-12-01', '2025-01-01'],
    ['2024-02-29', '2024-02-01', '2024-03-01'],
    ['1970-01-01', '1970-01-01', '1970-02-01'],
  ])('%s is in the month starting %s; the next starts %s', (date, first, next) => {
    expect(isoDate(utcMonth(day(date)))).toBe(first);
    expect(isoDate(nextUtcMonth(day(date)))).toBe(next);
  });
});

describe('windowParts', () => {
  const parts = (days: number, nowIso: string) => {
    const { firstDay, lastDay } = usageWindow(days, Date.parse(nowIso));
    return windowParts(firstDay, lastDay);
  };

  it('reads a window inside one month as days only', () => {
    expect(parts(1, '2025-03-20T15:30:00Z')).toEqual({ months: null, days: [range('2025-03-20', '2025-03-21')] });
    expect(parts(20, '2025-03-20T15:30:00Z')).toEqual({ months: null, days: [range('2025-03-01', '2025-03-21')] });
  });

  it('reads a window across a month boundary without a whole month as days only', () => {
    expect(parts(31, '2025-03-20T15:30:00Z')).toEqual({ months: null, days: [range('2025-02-18', '2025-03-21')] });
  });

  it('takes a whole month ending on the last day of the window', () => {
    expect(parts(28, '2025-02-28T23:59:59.999Z')).toEqual({ months: range('2025-02-01', '2025-03-01'), days: [] });
    expect(parts(29, '2025-02-28T12:00:00Z')).toEqual({ months: range('2025-02-01', '2025-03-01'), days: [range('2025-01-31', '2025-02-01')] });
  });

  it('cuts 365 days into the edge days and the whole months between them, across the year', () => {
    expect(parts(365, '2025-03-20T15:30:00Z')).toEqual({
      months: range('2024-04-01', '2025-03-01'),
      days: [range('2024-03-21', '2024-04-01'), range('2025-03-01', '2025-03-21')],
    });
  });

  it('covers every day of every window exactly once, with at most 60 edge days', () => {
    for (const now of [Date.UTC(2025, 2, 20, 15, 30), Date.UTC(2024, 1, 29), Date.UTC(2024, 11, 31, 23), Date.UTC(2025, 0, 1)]) {
      for (let days = 1; days <= 365; days++) {
        const { firstDay, lastDay } = usageWindow(days, now);
        const { months, days: edges } = windowParts(firstDay, lastDay);
        const covered: number[] = [];
        for (const r of edges) for (let d = r.from; d < r.to; d++) covered.push(d);
        if (months) {
          expect(utcMonth(months.from)).toBe(months.from);
          expect(utcMonth(months.to)).toBe(months.to);
          for (let d = months.from; d < months.to; d++) covered.push(d);
        }
        expect(covered.sort((a, b) => a - b)).toEqual(Array.from({ length: days }, (_, i) => firstDay + i));
        expect(edges.reduce((n, r) => n + r.to - r.from, 0)).toBeLessThanOrEqual(60);
      }
    }
  });
});
