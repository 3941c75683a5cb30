import { aUsageRow, NOON } from '../../testing/usage-builders';
import { latencyBucket } from '../latency-buckets';
import { rollUp } from './rollup';
import { DAY_MS, utcDay, utcMonth } from './usage-row';

const byKey = <T extends object>(items: T[], key: (t: T) => string) => new Map(items.map((i) => [key(i), i]));

describe('rollUp', () => {
  it('gives nothing for an empty batch', () => {
    expect(rollUp([])).toEqual({ daily: [], status: [], latency: [], dayModel: [], monthModel: [], dayToken: [], monthToken: [], lastUsed: new Map() });
  });

  it('sums requests, response times and tokens per (day, user, token, model, status)', () => {
    const rows = [
      aUsageRow({ responseTimeMs: 100, promptTokens: 3, completionTokens: 5 }),
      aUsageRow({ responseTimeMs: 300, promptTokens: 4, completionTokens: 6 }),
      aUsageRow({ statusCode: 502, responseTimeMs: 50, promptTokens: null, completionTokens: null, errorMessage: 'upstream failed' }),
      aUsageRow({ model: 'gpt-x', responseTimeMs: 10 }),
      aUsageRow({ tokenId: 2, responseTimeMs: 20 }),
      aUsageRow({ userId: 9, tokenId: 9, responseTimeMs: 30 }),
      aUsageRow({ createdAt: NOON + DAY_MS, responseTimeMs: 40 }),
    ];
    const { daily } = rollUp(rows);
    const key = (d: { day: number; userId: number; tokenId: number; model: string; statusCode: number }) =>
      `${d.day}/${d.userId}/${d.tokenId}/${d.model}/${d.statusCode}`;
    const day = utcDay(NOON);
    expect(daily).toHaveLength(6);
    expect(byKey(daily, key)).toEqual(
      byKey(
        [
          {
            day,
            userId: 1,
            tokenId: 1,
            model: 'echo',
            statusCode: 200,
            requests: 2,
            responseTimeMsSum: 400,
            promptTokens: 7,
            completionTokens: 11,
            costNanoUsd: 0,
            refusedRequests: 0,
          },
          // Missing token counts add nothing; the request still counts.
          {
            day,
            userId: 1,
            tokenId: 1,
            model: 'echo',
            statusCode: 502,
            requests: 1,
            responseTimeMsSum: 50,
            promptTokens: 0,
            completionTokens: 0,
            costNanoUsd: 0,
            refusedRequests: 0,
          },
          {
            day,
            userId: 1,
            tokenId: 1,
            model: 'gpt-x',
            statusCode: 200,
            requests: 1,
            responseTimeMsSum: 10,
            promptTokens: 3,
            completionTokens: 5,
            costNanoUsd: 0,
            refusedRequests: 0,
          },
          {
            day,
            userId: 1,
            tokenId: 2,
            model: 'echo',
            statusCode: 200,
            requests: 1,
            responseTimeMsSum: 20,
            promptTokens: 3,
            completionTokens: 5,
            costNanoUsd: 0,
            refusedRequests: 0,
          },
          {
            day,
            userId: 9,
            tokenId: 9,
            model: 'echo',
            statusCode: 200,
            requests: 1,
            responseTimeMsSum: 30,
            promptTokens: 3,
            completionTokens: 5,
            costNanoUsd: 0,
            refusedRequests: 0,
          },
          {
            day: day + 1,
            userId: 1,
            tokenId: 1,
            model: 'echo',
            statusCode: 200,
            requests: 1,
            responseTimeMsSum: 40,
            promptTokens: 3,
            completionTokens: 5,
            costNanoUsd: 0,
            refusedRequests: 0,
          },
        ],
        key,
      ),
    );
  });

  it('sums costs in whole nano-dollars and counts refusals; rows without them add nothing', () => {
    const { daily } = rollUp([
      aUsageRow({ costUsd: 0.00039 }),
      aUsageRow({ costUsd: 3.8e-8 }),
      aUsageRow({ costUsd: null }),
      // A spool line written before prices: neither field.
      { ...aUsageRow(), costUsd: undefined, refused: undefined },
      aUsageRow({ statusCode: 429, refused: true, promptTokens: null, completionTokens: null }),
      aUsageRow({ statusCode: 429, refused: false, errorMessage: "the upstream's own 429" }),
    ]);
    expect(daily.map((d) => [d.statusCode, d.requests, d.costNanoUsd, d.refusedRequests]).sort()).toEqual([
      [200, 4, 390_038, 0],
      [429, 2, 0, 1],
    ]);
  });

  it('adds costs exactly whatever their order, unlike a float sum', () => {
    // A dollar, ten costs of 0.1 micro-dollar and two more: as doubles, the order changes the sum.
    const costs = [1, ...Array.from({ length: 10 }, () => 1e-7), 0.3, 0.6];
    const forward = rollUp(costs.map((costUsd) => aUsageRow({ costUsd }))).daily[0].costNanoUsd;
    const backward = rollUp([...costs].reverse().map((costUsd) => aUsageRow({ costUsd }))).daily[0].costNanoUsd;
    expect(forward).toBe(1_900_001_000);
    expect(backward).toBe(forward);
    expect(costs.reduce((a, b) => a + b, 0)).not.toBe([...costs].reverse().reduce((a, b) => a + b, 0));
  });

  it('counts latency buckets per (user, day), whatever the status, token or model', () => {
    const times = [0.4, 1, 1, 2, 120, 121, 5000];
    const rows = times.map((responseTimeMs, i) => aUsageRow({ responseTimeMs, statusCode: i % 2 ? 500 : 200, tokenId: 1 + (i % 3) }));
    const { latency } = rollUp([...rows, aUsageRow({ model: 'other', responseTimeMs: 1 }), aUsageRow({ userId: 2, responseTimeMs: 1 })]);
    const expected = new Map<number, number>();
    for (const t of [...times, 1]) expected.set(latencyBucket(t), (expected.get(latencyBucket(t)) ?? 0) + 1);
    const mine = latency.filter((l) => l.userId === 1);
    expect(new Map(mine.map((l) => [l.bucket, l.count]))).toEqual(expected);
    expect(mine).toHaveLength(expected.size);
    expect(mine.every((l) => l.day === utcDay(NOON))).toBe(true);
    expect(latency.filter((l) => l.userId === 2)).toEqual([{ userId: 2, day: utcDay(NOON), bucket: latencyBucket(1), count: 1 }]);
    // Every request lands in exactly one bucket.
    expect(latency.reduce((sum, l) => sum + l.count, 0)).toBe(times.length + 2);
  });

  it('sums per (user, day, status), per (user, day or month, model) with errors, and per (user, day or month, token)', () => {
    // 2024-12-31 and 2025-01-01: two days in two months (and years); then 2025-01-20, same month.
    const dec31 = Date.UTC(2024, 11, 31, 23, 59, 59, 999);
    const jan1 = Date.UTC(2025, 0, 1);
    const jan20 = Date.UTC(2025, 0, 20, 8);
    const rows = [
      aUsageRow({ createdAt: dec31, responseTimeMs: 10, costUsd: 1e-9 }),
      aUsageRow({ createdAt: jan1, responseTimeMs: 20, statusCode: 502, promptTokens: null, completionTokens: null }),
      aUsageRow({ createdAt: jan1, responseTimeMs: 30, tokenId: 2, costUsd: 2e-9 }),
      aUsageRow({ createdAt: jan20, responseTimeMs: 40, model: 'gpt-x', statusCode: 429, costUsd: 4e-9 }),
      aUsageRow({ createdAt: jan20, responseTimeMs: 50, userId: 2, tokenId: 3 }),
    ];
    const r = rollUp(rows);
    const [d31, d1, d20] = [dec31, jan1, jan20].map(utcDay);
    const [dec, jan] = [Date.UTC(2024, 11, 1), Date.UTC(2025, 0, 1)].map(utcDay);
    expect(jan).toBe(d1);
    const sums = (requests: number, responseTimeMsSum: number, promptTokens: number, completionTokens: number, costNanoUsd: number) => ({
      requests,
      responseTimeMsSum,
      promptTokens,
      completionTokens,
      costNanoUsd,
    });
    expect(r.status).toEqual([
      { userId: 1, day: d31, statusCode: 200, ...sums(1, 10, 3, 5, 1) },
      { userId: 1, day: d1, statusCode: 200, ...sums(1, 30, 3, 5, 2) },
      { userId: 1, day: d1, statusCode: 502, ...sums(1, 20, 0, 0, 0) },
      { userId: 1, day: d20, statusCode: 429, ...sums(1, 40, 3, 5, 4) },
      { userId: 2, day: d20, statusCode: 200, ...sums(1, 50, 3, 5, 0) },
    ]);
    expect(r.dayModel).toEqual([
      { userId: 1, period: d31, model: 'echo', errors: 0, ...sums(1, 10, 3, 5, 1) },
      { userId: 1, period: d1, model: 'echo', errors: 1, ...sums(2, 50, 3, 5, 2) },
      { userId: 1, period: d20, model: 'gpt-x', errors: 1, ...sums(1, 40, 3, 5, 4) },
      { userId: 2, period: d20, model: 'echo', errors: 0, ...sums(1, 50, 3, 5, 0) },
    ]);
    // Months keyed by the day number of their first day.
    expect(r.monthModel).toEqual([
      { userId: 1, period: dec, model: 'echo', errors: 0, ...sums(1, 10, 3, 5, 1) },
      { userId: 1, period: jan, model: 'echo', errors: 1, ...sums(2, 50, 3, 5, 2) },
      { userId: 1, period: jan, model: 'gpt-x', errors: 1, ...sums(1, 40, 3, 5, 4) },
      { userId: 2, period: jan, model: 'echo', errors: 0, ...sums(1, 50, 3, 5, 0) },
    ]);
    expect(r.dayToken).toEqual([
      { userId: 1, period: d31, tokenId: 1, requests: 1, costNanoUsd: 1 },
      { userId: 1, period: d1, tokenId: 1, requests: 1, costNanoUsd: 0 },
      { userId: 1, period: d1, tokenId: 2, requests: 1, costNanoUsd: 2 },
      { userId: 1, period: d20, tokenId: 1, requests: 1, costNanoUsd: 4 },
      { userId: 2, period: d20, tokenId: 3, requests: 1, costNanoUsd: 0 },
    ]);
    expect(r.monthToken).toEqual([
      { userId: 1, period: dec, tokenId: 1, requests: 1, costNanoUsd: 1 },
      { userId: 1, period: jan, tokenId: 1, requests: 2, costNanoUsd: 4 },
      { userId: 1, period: jan, tokenId: 2, requests: 1, costNanoUsd: 2 },
      { userId: 2, period: jan, tokenId: 3, requests: 1, costNanoUsd: 0 },
    ]);
  });

  it('cuts days at midnight UTC: 23:59:59.999 and 00:00:00.000 are different days', () => {
    const midnight = Date.UTC(2025, 2, 15);
    const { daily, latency } = rollUp([
      aUsageRow({ createdAt: midnight - 1 }),
      aUsageRow({ createdAt: midnight }),
      aUsageRow({ createdAt: midnight + DAY_MS - 1 }),
    ]);
    const day = midnight / DAY_MS;
    expect(Number.isInteger(day)).toBe(true);
    expect(daily.map((d) => [d.day, d.requests]).sort()).toEqual([
      [day - 1, 1],
      [day, 2],
    ]);
    expect(latency.map((l) => [l.day, l.count]).sort()).toEqual([
      [day - 1, 1],
      [day, 2],
    ]);
  });

  it('keys models exactly: names differing only in case stay apart', () => {
    const { daily, dayModel } = rollUp([aUsageRow({ model: 'Echo' }), aUsageRow({ model: 'echo' }), aUsageRow({ model: 'echo' })]);
    expect(daily.map((d) => [d.model, d.requests]).sort()).toEqual([
      ['Echo', 1],
      ['echo', 2],
    ]);
    expect(dayModel.map((m) => [m.model, m.requests]).sort()).toEqual([
      ['Echo', 1],
      ['echo', 2],
    ]);
  });

  it('gives its deltas in key order whatever the order of the rows (concurrent writers lock rollup rows in one order)', () => {
    const rows = [
      aUsageRow({ tokenId: 2, model: 'b', statusCode: 429, responseTimeMs: 5_000 }),
      aUsageRow({ tokenId: 2, model: 'a', statusCode: 200, responseTimeMs: 10 }),
      aUsageRow({ tokenId: 1, model: 'b', statusCode: 500, responseTimeMs: 900 }),
      aUsageRow({ tokenId: 1, model: 'b', statusCode: 200, responseTimeMs: 10 }),
      aUsageRow({ userId: 0, tokenId: 3, createdAt: NOON + DAY_MS }),
      aUsageRow({ userId: 0, tokenId: 3 }),
    ];
    const keys = (batch: typeof rows) => {
      const r = rollUp(batch);
      return {
        daily: r.daily.map((d) => `${d.day}/${d.userId}/${d.tokenId}/${d.model}/${d.statusCode}`),
        status: r.status.map((x) => `${x.userId}/${x.day}/${x.statusCode}`),
        latency: r.latency.map((l) => `${l.userId}/${l.day}/${l.bucket}`),
        models: [...r.dayModel, ...r.monthModel].map((m) => `${m.userId}/${m.period}/${m.model}`),
        tokens: [...r.dayToken, ...r.monthToken].map((t) => `${t.userId}/${t.period}/${t.tokenId}`),
        lastUsed: [...r.lastUsed.keys()],
      };
    };
    const day = utcDay(NOON);
    const forward = keys(rows);
    expect(forward.daily).toEqual([
      `${day}/0/3/echo/200`,
      `${day}/1/1/b/200`,
      `${day}/1/1/b/500`,
      `${day}/1/2/a/200`,
      `${day}/1/2/b/429`,
      `${day + 1}/0/3/echo/200`,
    ]);
    expect(forward.lastUsed).toEqual([1, 2, 3]);
    // The summary's rollups in their key order, user first.
    expect(forward.status).toEqual([`0/${day}/200`, `0/${day + 1}/200`, `1/${day}/200`, `1/${day}/429`, `1/${day}/500`]);
    expect(forward.tokens.slice(0, 5)).toEqual([`0/${day}/3`, `0/${day + 1}/3`, `1/${day}/1`, `1/${day}/2`, `0/${utcMonth(day)}/3`]);
    // And every list likewise: the same order whichever way the batch came.
    expect(keys([...rows].reverse())).toEqual(forward);
  });

  it('notes the newest createdAt per token for last_used_at, whatever the row order', () => {
    const { lastUsed } = rollUp([
      aUsageRow({ tokenId: 1, createdAt: NOON + 5 }),
      aUsageRow({ tokenId: 1, createdAt: NOON + 9 }),
      aUsageRow({ tokenId: 1, createdAt: NOON + 7 }),
      aUsageRow({ tokenId: 2, createdAt: NOON - DAY_MS }),
      aUsageRow({ tokenId: 3, createdAt: NOON, model: 'a' }),
      aUsageRow({ tokenId: 3, createdAt: NOON + DAY_MS, model: 'b', statusCode: 500 }),
    ]);
    expect(lastUsed).toEqual(
      new Map([
        [1, NOON + 9],
        [2, NOON - DAY_MS],
        [3, NOON + DAY_MS],
      ]),
    );
  });
});
