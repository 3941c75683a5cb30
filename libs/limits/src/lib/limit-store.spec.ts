import {
  dayIndex,
  monthIndexOfDay,
  monthStartMs,
  nextDayStartMs,
  nextMonthStartMs,
  openAiDuration,
  RATE_REFUSALS,
  rateLimitHeaders,
  refill,
  toCount,
  toNanoUsd,
} from './limit-store';

describe('openAiDuration', () => {
  it.each([
    [0, '0s'],
    [-5, '0s'],
    [0.4, '1ms'],
    [20, '20ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [8640, '8.64s'],
    [59_999, '59.999s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [361_250, '6m1.25s'],
    [3_600_000, '1h0m0s'],
    [3_723_000, '1h2m3s'],
    [86_400_000, '24h0m0s'],
  ])('%d ms → %s', (ms, text) => {
    expect(openAiDuration(ms)).toBe(text);
  });
});

describe('rateLimitHeaders', () => {
  it('writes the requests and tokens trios that are set', () => {
    expect(rateLimitHeaders({ requests: { limit: 600, remaining: 599, resetMs: 100 }, tokens: { limit: 10_000, remaining: 0, resetMs: 360_000 } })).toEqual({
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-remaining-requests': '599',
      'x-ratelimit-reset-requests': '100ms',
      'x-ratelimit-limit-tokens': '10000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(rateLimitHeaders({ requests: { limit: 250, remaining: 10, resetMs: 7_200_000 }, tokens: null })).toEqual({
      'x-ratelimit-limit-requests': '250',
      'x-ratelimit-remaining-requests': '10',
      'x-ratelimit-reset-requests': '2h0m0s',
    });
    expect(rateLimitHeaders({ requests: null, tokens: null })).toEqual({});
  });
});

describe('periods (UTC)', () => {
  it('days start at 00:00 UTC and months on the 1st, leap years included', () => {
    const at = Date.parse('2032-02-29T13:14:15Z');
    expect(new Date(dayIndex(at) * 86_400_000).toISOString()).toBe('2032-02-29T00:00:00.000Z');
    expect(new Date(nextDayStartMs(at)).toISOString()).toBe('2032-03-01T00:00:00.000Z');
    expect(new Date(monthStartMs(monthIndexOfDay(dayIndex(at)))).toISOString()).toBe('2032-02-01T00:00:00.000Z');
    expect(new Date(nextMonthStartMs(at)).toISOString()).toBe('2032-03-01T00:00:00.000Z');
    expect(new Date(nextMonthStartMs(Date.parse('2031-12-31T23:59:59.999Z'))).toISOString()).toBe('2032-01-01T00:00:00.000Z');
    expect(new Date(nextMonthStartMs(Date.parse('2032-01-01T00:00:00.000Z'))).toISOString()).toBe('2032-02-01T00:00:00.000Z');
    expect(monthIndexOfDay(dayIndex(Date.parse('2031-01-31T23:59:59Z')))).toBe(2031 * 12);
  });
});

describe('numbers', () => {
  it('money in whole nano-USD, counts as whole non-negative numbers', () => {
    expect(toNanoUsd(0.1) + toNanoUsd(0.2)).toBe(toNanoUsd(0.3));
    expect(toNanoUsd(1e-10)).toBe(0);
    expect(toNanoUsd(-1)).toBe(0);
    expect(toNanoUsd(Number.NaN)).toBe(0);
    expect(toCount(2.1)).toBe(3);
    expect(toCount(-4)).toBe(0);
    expect(toCount(Infinity)).toBe(0);
  });

  it('a bucket refills linearly over 60 s and stops at its capacity', () => {
    expect(refill(0, 0, 30_000, 10)).toBe(5);
    expect(refill(-10, 0, 60_000, 10)).toBe(0);
    expect(refill(9, 0, 60_000, 10)).toBe(10);
    // A clock that steps back does not drain the bucket.
    expect(refill(3, 1000, 0, 10)).toBe(3);
  });

  it('rpm, tpm and max_parallel are rate refusals; the others quota refusals', () => {
    expect([...RATE_REFUSALS].sort()).toEqual(['max_parallel', 'rpm', 'tpm']);
  });
});
