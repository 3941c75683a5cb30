import type { UsageSummary } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aRandomRow, exactPercentile, picker, seededRandom } from '../../testing/analytics-fixtures';
import { aUsageConfig, aUsageRow, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { requestCostUsd } from '../cost';
import { LATENCY_MAX_RELATIVE_ERROR } from '../latency-buckets';
import { UsageRecorder } from '../recorder/usage-recorder.service';
import { DAY_MS, isSuccessStatus, UsageRow, utcDay } from '../recorder/usage-row';
import { isoDate, UsageScope } from './usage-scope';
import { UsageSummaryService } from './usage-summary.service';

/** 2025-03-20 15:30 UTC, the "now" of every summary here. */
const NOW = Date.UTC(2025, 2, 20, 15, 30);
const TODAY = utcDay(NOW);

async function record(db: UsageTestDatabase, rows: UsageRow[]): Promise<void> {
  const recorder = new UsageRecorder(db.dataSource, aUsageConfig({ batch_size: 500 }));
  for (const row of rows) recorder.record(row);
  await recorder.flush();
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const avg = (rows: UsageRow[]) => (rows.length ? round1(rows.reduce((s, r) => s + r.responseTimeMs, 0) / rows.length) : 0);
const errors = (rows: UsageRow[]) => rows.filter((r) => !isSuccessStatus(r.statusCode)).length;
const sum = (rows: UsageRow[], pick: (r: UsageRow) => number | null) => rows.reduce((s, r) => s + (pick(r) ?? 0), 0);
/** The rows' costs added as exact integers of nano-dollars (BigInt), then as USD. */
const cost = (rows: UsageRow[]) => Number(rows.reduce((s, r) => s + BigInt(Math.round((r.costUsd ?? 0) * 1e9)), 0n)) / 1e9;
const p = (rows: UsageRow[], q: number) =>
  exactPercentile(
    rows.map((r) => r.responseTimeMs),
    q,
  );
const groupBy = <K>(rows: UsageRow[], key: (r: UsageRow) => K) => {
  const groups = new Map<K, UsageRow[]>();
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return groups;
};

/**
 * The summary computed the plain way: straight from the raw rows, exact percentiles
 * (nearest rank) included.
 */
function bruteForce(
  all: UsageRow[],
  days: number,
  userIds: number[] | 'all',
  tokenNames: Map<number, string>,
  activeTokens: number,
  today: number = TODAY,
): UsageSummary {
  const first = today - days + 1;
  const rows = all.filter((r) => (userIds === 'all' || userIds.includes(r.userId)) && utcDay(r.createdAt) >= first && utcDay(r.createdAt) <= today);
  const total = rows.length;
  const success = total - errors(rows);
  const byDay = groupBy(rows, (r) => utcDay(r.createdAt));
  return {
    days,
    total_requests: total,
    success_requests: success,
    error_requests: errors(rows),
    success_rate: total ? Number((success / total).toFixed(4)) : 0,
    avg_response_time_ms: avg(rows),
    p50_response_time_ms: p(rows, 0.5),
    p95_response_time_ms: p(rows, 0.95),
    prompt_tokens: sum(rows, (r) => r.promptTokens),
    completion_tokens: sum(rows, (r) => r.completionTokens),
    cost_usd: cost(rows),
    active_tokens: activeTokens,
    by_day: Array.from({ length: days }, (_, i) => {
      const dayRows = byDay.get(first + i) ?? [];
      return {
        date: isoDate(first + i),
        requests: dayRows.length,
        errors: errors(dayRows),
        avg_response_time_ms: avg(dayRows),
        p95_response_time_ms: p(dayRows, 0.95),
        cost_usd: cost(dayRows),
      };
    }),
    by_model: [...groupBy(rows, (r) => r.model)]
      .map(([model, m]) => ({
        model,
        requests: m.length,
        errors: errors(m),
        avg_response_time_ms: avg(m),
        prompt_tokens: sum(m, (r) => r.promptTokens),
        completion_tokens: sum(m, (r) => r.completionTokens),
        cost_usd: cost(m),
      }))
      .sort((a, b) => b.requests - a.requests || a.model.localeCompare(b.model)),
    by_token: [...groupBy(rows, (r) => r.tokenId)]
      .map(([tokenId, t]) => ({ token_id: tokenId, name: tokenNames.get(tokenId) ?? '?', requests: t.length, cost_usd: cost(t) }))
      .sort((a, b) => b.requests - a.requests || a.token_id - b.token_id),
    by_status: [...groupBy(rows, (r) => r.statusCode)]
      .map(([status, s]) => ({ status_code: status, count: s.length }))
      .sort((a, b) => a.status_code - b.status_code),
  };
}

/** Within the documented histogram error of the exact value, plus the 0.05 ms of rounding to 0.1 ms. */
function expectPercentile(actual: number, exact: number, what: string): void {
  const bound = exact * LATENCY_MAX_RELATIVE_ERROR * (1 + 1e-9) + 0.05 + 1e-9;
  if (!(Math.abs(actual - exact) <= bound)) throw new Error(`${what}: ${actual} is not within ${bound} of the exact ${exact}`);
}

/** Every field equal, percentiles within the bucket error. */
function expectSummary(actual: UsageSummary, expected: UsageSummary): void {
  expectPercentile(actual.p50_response_time_ms, expected.p50_response_time_ms, 'p50');
  expectPercentile(actual.p95_response_time_ms, expected.p95_response_time_ms, 'p95');
  expect(actual.by_day).toHaveLength(expected.by_day.length);
  actual.by_day.forEach((d, i) => expectPercentile(d.p95_response_time_ms, expected.by_day[i].p95_response_time_ms, `p95 of ${d.date}`));
  const withoutPercentiles = (s: UsageSummary) => ({
    ...s,
    p50_response_time_ms: 0,
    p95_response_time_ms: 0,
    by_day: s.by_day.map((d) => ({ ...d, p95_response_time_ms: 0 })),
  });
  expect(withoutPercentiles(actual)).toEqual(withoutPercentiles(expected));
}

describe.each(testDatabaseKinds())('UsageSummaryService on $kind', ({ create }) => {
  describe('against a brute-force computation over the raw rows', () => {
    let db: UsageTestDatabase;
    let service: UsageSummaryService;
    const rows: UsageRow[] = [];
    const names = new Map<number, string>();
    let alice: { userId: number; tokens: number[] };
    let bob: { userId: number; tokens: number[] };

    beforeAll(async () => {
      db = await openUsageTestDatabase(create);
      service = new UsageSummaryService(db.dataSource);
      const a = await db.anOwner();
      alice = { userId: a.userId, tokens: [a.tokenId, await db.aToken(a.userId)] };
      const b = await db.anOwner();
      bob = { userId: b.userId, tokens: [b.tokenId] };
      for (const { id, name } of await db.dataSource.query('SELECT id, name FROM api_tokens')) names.set(Number(id), name);

      const pick = picker(seededRandom(20250320));
      const owners = [...alice.tokens.map((tokenId) => ({ userId: alice.userId, tokenId })), { userId: bob.userId, tokenId: bob.tokens[0] }];
      const models = ['echo', 'gpt-x', 'Claude 3'];
      // echo has no price; $0.0375 per million tokens puts every odd prompt on half a nano-dollar.
      const prices = new Map([
        ['gpt-x', { inputPerMtok: 0.15, outputPerMtok: 0.6 }],
        ['Claude 3', { inputPerMtok: 0.0375, outputPerMtok: 15 }],
      ]);
      const priced = (row: UsageRow): UsageRow => ({ ...row, costUsd: requestCostUsd(prices.get(row.model) ?? null, row.promptTokens, row.completionTokens) });
      // 3,000 requests over the last 10 days, none 4 days ago (a gap), none after NOW.
      while (rows.length < 3000) {
        const day = TODAY - pick.int(0, 9);
        if (day === TODAY - 4) continue;
        const createdAt = day * DAY_MS + pick.int(0, day === TODAY ? NOW - TODAY * DAY_MS : DAY_MS - 1);
        rows.push(priced(aRandomRow(pick, { ...pick.one(owners), createdAt, model: pick.one(models) })));
      }
      // And 300 older ones, 15 to 60 days ago: outside a 10-day window, inside a 365-day one.
      for (let i = 0; i < 300; i++) {
        rows.push(priced(aRandomRow(pick, { ...pick.one(owners), createdAt: NOW - pick.int(15, 60) * DAY_MS, model: pick.one(models) })));
      }
      await record(db, rows);
    });
    afterAll(() => db?.close());

    const scopes = (): Array<[string, UsageScope, number[] | 'all', number]> => [
      ['alice', { userId: alice.userId }, [alice.userId], 2],
      ['bob', { userId: bob.userId }, [bob.userId], 1],
      ['everyone', 'all', 'all', 3],
    ];

    it.each([1, 2, 7, 10, 30, 365])('equals it for days=%i in every scope', async (days) => {
      for (const [who, scope, userIds, active] of scopes()) {
        const actual = await service.summary(days, scope, NOW);
        try {
          expectSummary(actual, bruteForce(rows, days, userIds, names, active));
        } catch (err) {
          throw new Error(`scope ${who}, days ${days}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    });

    it('has data in every corner it is compared on (the seed is not degenerate)', async () => {
      const s = await service.summary(10, 'all', NOW);
      expect(s.by_status.map((x) => x.status_code)).toEqual([200, 400, 499, 502]);
      expect(s.by_model).toHaveLength(3);
      expect(s.by_token).toHaveLength(3);
      expect(s.success_rate).toBeGreaterThan(0.5);
      expect(s.success_rate).toBeLessThan(0.75);
      expect(s.by_day.filter((d) => d.requests === 0).map((d) => d.date)).toEqual([isoDate(TODAY - 4)]);
      expect(s.p95_response_time_ms).toBeGreaterThan(s.p50_response_time_ms);
      expect(s.total_requests).toBe(3000);
      // Costs on the priced models only, some of them on half a nano-dollar.
      expect(s.by_model.find((m) => m.model === 'echo')?.cost_usd).toBe(0);
      expect(s.by_model.filter((m) => m.cost_usd > 0)).toHaveLength(2);
      expect(rows.some((r) => r.model === 'Claude 3' && r.promptTokens !== null && r.promptTokens % 2 === 1)).toBe(true);
      expect(s.cost_usd).toBeGreaterThan(0);
    });

    it("never shows one user another user's requests or tokens", async () => {
      const [a, b, all] = await Promise.all([
        service.summary(365, { userId: alice.userId }, NOW),
        service.summary(365, { userId: bob.userId }, NOW),
        service.summary(365, 'all', NOW),
      ]);
      expect(a.by_token.map((t) => t.token_id).sort()).toEqual([...alice.tokens].sort());
      expect(b.by_token.map((t) => t.token_id)).toEqual(bob.tokens);
      expect(a.total_requests + b.total_requests).toBe(all.total_requests);
      expect(a.total_requests).toBe(rows.filter((r) => r.userId === alice.userId).length);
    });
  });

  describe('against the brute force over a year of several users, on windows that cut months and years', () => {
    let db: UsageTestDatabase;
    let service: UsageSummaryService;
    const rows: UsageRow[] = [];
    const names = new Map<number, string>();
    const users: Array<{ userId: number; tokens: number[] }> = [];

    beforeAll(async () => {
      db = await openUsageTestDatabase(create);
      service = new UsageSummaryService(db.dataSource);
      for (let u = 0; u < 3; u++) {
        const owner = await db.anOwner();
        users.push({ userId: owner.userId, tokens: u === 0 ? [owner.tokenId, await db.aToken(owner.userId)] : [owner.tokenId] });
      }
      for (const { id, name } of await db.dataSource.query('SELECT id, name FROM api_tokens')) names.set(Number(id), name);
      const pick = picker(seededRandom(20241231));
      const owners = users.flatMap(({ userId, tokens }) => tokens.map((tokenId) => ({ userId, tokenId })));
      const prices = new Map([['gpt-x', { inputPerMtok: 0.15, outputPerMtok: 0.6 }]]);
      // 5,000 requests from 2024-01-15 to 2025-03-20 15:30, a few on the very first and last millisecond of days.
      const start = Date.UTC(2024, 0, 15);
      while (rows.length < 5000) {
        const edge = pick.chance(0.05) ? (pick.chance(0.5) ? 0 : DAY_MS - 1) : pick.int(0, DAY_MS - 1);
        const createdAt = start + pick.int(0, utcDay(NOW) - utcDay(start)) * DAY_MS + edge;
        if (createdAt > NOW) continue;
        const row = aRandomRow(pick, { ...pick.one(owners), createdAt, model: pick.one(['echo', 'gpt-x', 'Claude 3']) });
        rows.push({ ...row, costUsd: requestCostUsd(prices.get(row.model) ?? null, row.promptTokens, row.completionTokens) });
      }
      await record(db, rows);
    });
    afterAll(() => db?.close());

    // Mid-month (a 365-day window then crosses the turn of the year), the first and last
    // millisecond of a year, the last day of February, and a leap day.
    const nows: Array<[string, number]> = [
      ['2025-03-20 15:30', NOW],
      ['2025-01-01 00:00', Date.UTC(2025, 0, 1)],
      ['2024-12-31 23:59:59.999', Date.UTC(2025, 0, 1) - 1],
      ['2025-02-28 12:00', Date.UTC(2025, 1, 28, 12)],
      ['2024-02-29 08:00', Date.UTC(2024, 1, 29, 8)],
    ];
    it.each(nows)('equals it at %s for 1, 2, 28 to 31, 45, 60, 90, 200 and 365 days, for each user and for everyone', async (_, now) => {
      const scopes: Array<[string, UsageScope, number[] | 'all', number]> = [
        ...users.map((u, i): [string, UsageScope, number[], number] => [`user ${i}`, { userId: u.userId }, [u.userId], u.tokens.length]),
        ['everyone', 'all', 'all', 4],
      ];
      for (const days of [1, 2, 28, 29, 30, 31, 45, 60, 90, 200, 365]) {
        for (const [who, scope, userIds, active] of scopes) {
          const actual = await service.summary(days, scope, now);
          try {
            expectSummary(actual, bruteForce(rows, days, userIds, names, active, utcDay(now)));
          } catch (err) {
            throw new Error(`scope ${who}, days ${days}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      }
    });

    it('has requests in every month and for every user (the comparison is not vacuous)', async () => {
      const s = await service.summary(365, 'all', NOW);
      const months = new Set(s.by_day.filter((d) => d.requests > 0).map((d) => d.date.slice(0, 7)));
      expect(months.size).toBe(13);
      for (const { userId } of users) expect((await service.summary(365, { userId }, NOW)).total_requests).toBeGreaterThan(500);
      expect(s.by_model.find((m) => m.model === 'gpt-x')?.cost_usd).toBeGreaterThan(0);
    });
  });

  describe('windows, day boundaries and empty days', () => {
    let db: UsageTestDatabase;
    let service: UsageSummaryService;

    beforeAll(async () => {
      db = await openUsageTestDatabase(create);
      service = new UsageSummaryService(db.dataSource);
    });
    afterAll(() => db?.close());

    it('cuts days at midnight UTC: 23:59:59.999 and 00:00:00.000 fall on different days', async () => {
      const owner = await db.anOwner();
      const midnight = TODAY * DAY_MS;
      await record(db, [
        aUsageRow({ ...owner, createdAt: midnight - 1, responseTimeMs: 10 }),
        aUsageRow({ ...owner, createdAt: midnight, responseTimeMs: 20 }),
        aUsageRow({ ...owner, createdAt: midnight + DAY_MS - 1, responseTimeMs: 30 }),
      ]);
      const scope = { userId: owner.userId };
      const today = await service.summary(1, scope, midnight + 5 * 3_600_000);
      expect(today.total_requests).toBe(2);
      expect(today.avg_response_time_ms).toBe(25);
      expect(today.by_day).toEqual([
        { date: isoDate(TODAY), requests: 2, errors: 0, avg_response_time_ms: 25, p95_response_time_ms: expect.any(Number), cost_usd: 0 },
      ]);

      const twoDays = await service.summary(2, scope, midnight);
      expect(twoDays.by_day.map((d) => [d.date, d.requests, d.avg_response_time_ms])).toEqual([
        [isoDate(TODAY - 1), 1, 10],
        [isoDate(TODAY), 2, 25],
      ]);

      // "Today" is the day of `now`: one millisecond before midnight it is still yesterday.
      const lastMsOfYesterday = await service.summary(1, scope, midnight - 1);
      expect(lastMsOfYesterday.by_day.map((d) => [d.date, d.requests])).toEqual([[isoDate(TODAY - 1), 1]]);
      const firstMsOfToday = await service.summary(1, scope, midnight);
      expect(firstMsOfToday.by_day.map((d) => [d.date, d.requests])).toEqual([[isoDate(TODAY), 2]]);
    });

    it('lists every day of the window, oldest first, with zeros on days without requests', async () => {
      const owner = await db.anOwner();
      await record(db, [
        aUsageRow({ ...owner, createdAt: (TODAY - 5) * DAY_MS + 1000, statusCode: 502, responseTimeMs: 100 }),
        aUsageRow({ ...owner, createdAt: (TODAY - 2) * DAY_MS + 1000, responseTimeMs: 300 }),
      ]);
      const s = await service.summary(7, { userId: owner.userId }, NOW);
      expect(s.by_day.map((d) => d.date)).toEqual(Array.from({ length: 7 }, (_, i) => isoDate(TODAY - 6 + i)));
      const zero = (date: string) => ({ date, requests: 0, errors: 0, avg_response_time_ms: 0, p95_response_time_ms: 0, cost_usd: 0 });
      expect(s.by_day[0]).toEqual(zero(isoDate(TODAY - 6)));
      expect(s.by_day[1]).toMatchObject({ requests: 1, errors: 1, avg_response_time_ms: 100 });
      expect(s.by_day[2]).toEqual(zero(isoDate(TODAY - 4)));
      expect(s.by_day[4]).toMatchObject({ requests: 1, errors: 0, avg_response_time_ms: 300 });
      expect(s.by_day[6]).toEqual(zero(isoDate(TODAY)));
      expect(s).toMatchObject({ total_requests: 2, success_requests: 1, error_requests: 1, success_rate: 0.5, avg_response_time_ms: 200 });
      expect(s.by_status).toEqual([
        { status_code: 200, count: 1 },
        { status_code: 502, count: 1 },
      ]);
    });

    it('answers zeros (success_rate 0, not NaN) for a user without requests, every day still listed', async () => {
      const owner = await db.anOwner();
      const s = await service.summary(30, { userId: owner.userId }, NOW);
      expect(s).toEqual({
        days: 30,
        total_requests: 0,
        success_requests: 0,
        error_requests: 0,
        success_rate: 0,
        avg_response_time_ms: 0,
        p50_response_time_ms: 0,
        p95_response_time_ms: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        cost_usd: 0,
        active_tokens: 1,
        by_day: Array.from({ length: 30 }, (_, i) => ({
          date: isoDate(TODAY - 29 + i),
          requests: 0,
          errors: 0,
          avg_response_time_ms: 0,
          p95_response_time_ms: 0,
          cost_usd: 0,
        })),
        by_model: [],
        by_token: [],
        by_status: [],
      });
    });

    it('counts as active the tokens neither revoked nor expired at `now`, of accounts not disabled', async () => {
      const owner = await db.anOwner();
      const [revoked, expiresNow, expiresLater] = [await db.aToken(owner.userId), await db.aToken(owner.userId), await db.aToken(owner.userId)];
      const p = (i: number) => (db.dataSource.options.type === 'postgres' ? `$${i}` : '?');
      const set = (column: string, value: number, id: number) =>
        db.dataSource.query(`UPDATE api_tokens SET ${column} = ${p(1)} WHERE id = ${p(2)}`, [value, id]);
      await set('revoked_at', NOW - 1000, revoked);
      await set('expires_at', NOW, expiresNow);
      await set('expires_at', NOW + 1, expiresLater);
      // The first token (no expiry) and the one expiring a millisecond after now.
      expect((await service.summary(1, { userId: owner.userId }, NOW)).active_tokens).toBe(2);
      expect((await service.summary(1, { userId: owner.userId }, NOW + 1)).active_tokens).toBe(1);
      // A disabled account's tokens are refused by the proxy: not active either.
      const other = await db.anOwner();
      await db.dataSource.query(`UPDATE users SET disabled = ${db.dataSource.options.type === 'postgres' ? 'TRUE' : '1'} WHERE id = ${p(1)}`, [other.userId]);
      expect((await service.summary(1, { userId: other.userId }, NOW)).active_tokens).toBe(0);
      const everyone: Array<{ revoked_at: unknown; expires_at: unknown; disabled: unknown }> = await db.dataSource.query(
        'SELECT t.revoked_at, t.expires_at, u.disabled FROM api_tokens t JOIN users u ON u.id = t.user_id',
      );
      const active = everyone.filter((t) => t.revoked_at === null && (t.expires_at === null || Number(t.expires_at) > NOW) && !t.disabled).length;
      expect(active).toBeGreaterThan(2);
      expect((await service.summary(1, 'all', NOW)).active_tokens).toBe(active);
    });

    it('sums costs exactly: the summary is the sum of the logged costs to the nano-dollar, whatever a float sum would say', async () => {
      const owner = await db.anOwner();
      const other = await db.aToken(owner.userId);
      // Costs whose float sums depend on the order, over two days, two models and two tokens.
      const costs = [1, 1e-7, 1e-7, 1e-7, 0.3, 0.6, 0.000000038, 0.1, 0.2, 123.456789012];
      const rows = costs.map((costUsd, i) =>
        aUsageRow({ userId: owner.userId, tokenId: i % 2 ? other : owner.tokenId, model: i % 3 ? 'a' : 'b', createdAt: NOW - (i % 2) * DAY_MS - i, costUsd }),
      );
      await record(db, rows);
      const s = await service.summary(2, { userId: owner.userId }, NOW);
      expect(s.cost_usd).toBe(125.65678935);
      expect(s.by_day.reduce((n, d) => n + Math.round(d.cost_usd * 1e9), 0)).toBe(125_656_789_350);
      expect(s.by_model.reduce((n, m) => n + Math.round(m.cost_usd * 1e9), 0)).toBe(125_656_789_350);
      expect(s.by_token.reduce((n, t) => n + Math.round(t.cost_usd * 1e9), 0)).toBe(125_656_789_350);
    });

    it.each([0, 366, -1, 1.5, Number.NaN])('refuses days=%p', async (days) => {
      await expect(service.summary(days, 'all', NOW)).rejects.toThrow(RangeError);
    });
  });
});
