import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aUsageConfig, aUsageRow, openUsageTestDatabase, Owner, UsageTestDatabase } from '../testing/usage-builders';
import { UsageRecorder } from './recorder/usage-recorder.service';
import { DAY_MS, UsageRow } from './recorder/usage-row';
import { UsageCounters } from './usage-counters.service';

/** 2025-03-20 15:30 UTC; the month is March 2025 (31 days). */
const NOW = Date.UTC(2025, 2, 20, 15, 30);
const TODAY = Date.UTC(2025, 2, 20);
const MARCH = Date.UTC(2025, 2, 1);
const APRIL = Date.UTC(2025, 3, 1);

describe.each(testDatabaseKinds())('UsageCounters on $kind', ({ create }) => {
  let db: UsageTestDatabase;
  let counters: UsageCounters;
  let alice: Owner;
  let aliceOther: number;
  let bob: Owner;
  const rows: UsageRow[] = [];

  beforeAll(async () => {
    db = await openUsageTestDatabase(create);
    counters = new UsageCounters(db.dataSource);
    alice = await db.anOwner();
    aliceOther = await db.aToken(alice.userId);
    bob = await db.anOwner();
    const at = (createdAt: number, extra: Partial<UsageRow> = {}) => rows.push(aUsageRow({ ...alice, createdAt, ...extra }));
    // Alice's token today: 3 successes, an upstream error, 2 refusals by the limits, a client gone.
    at(TODAY, { promptTokens: 100, completionTokens: 50, costUsd: 0.000045 });
    at(TODAY + 1000, { model: 'gpt-x', promptTokens: 10, completionTokens: 5, costUsd: 0.0000045 });
    at(NOW, { stream: true, promptTokens: 1, completionTokens: 1, costUsd: 3.8e-8 });
    at(NOW - 1, { statusCode: 502, promptTokens: null, completionTokens: null, errorMessage: 'upstream reset' });
    at(NOW - 2, { statusCode: 429, refused: true, promptTokens: null, completionTokens: null, errorMessage: 'rate limit' });
    at(NOW - 3, { statusCode: 429, refused: true, model: 'gpt-x', promptTokens: null, completionTokens: null, errorMessage: 'rate limit' });
    at(NOW - 4, { statusCode: 499, promptTokens: 7, completionTokens: null, costUsd: 0.000000007 });
    // The last millisecond of today still counts; the first of tomorrow is another day (same month).
    at(TODAY + DAY_MS - 1, { promptTokens: 2, completionTokens: 3, costUsd: 0.000001 });
    at(TODAY + DAY_MS, { promptTokens: 4, completionTokens: 4, costUsd: 0.000002 });
    // Earlier this month: the first day at midnight, and yesterday (one refused).
    at(MARCH, { promptTokens: 1000, completionTokens: 1000, costUsd: 0.75 });
    at(TODAY - DAY_MS, { promptTokens: 20, completionTokens: 30, costUsd: 0.25 });
    at(TODAY - DAY_MS + 5, { statusCode: 403, refused: true, promptTokens: null, completionTokens: null, errorMessage: 'ip not allowed' });
    // Outside the month: the last millisecond of February, and April.
    at(MARCH - 1, { promptTokens: 5000, completionTokens: 5000, costUsd: 9 });
    at(APRIL, { promptTokens: 6000, completionTokens: 6000, costUsd: 8 });
    // Alice's other token and Bob's token, today: never counted for alice's first token.
    rows.push(aUsageRow({ userId: alice.userId, tokenId: aliceOther, createdAt: NOW, promptTokens: 300, completionTokens: 300, costUsd: 5 }));
    rows.push(aUsageRow({ ...bob, createdAt: NOW, promptTokens: 400, completionTokens: 400, costUsd: 7 }));
    const recorder = new UsageRecorder(db.dataSource, aUsageConfig({ batch_size: 4 }));
    for (const row of rows) recorder.record(row);
    await recorder.flush();
  });
  afterAll(() => db?.close());

  it("counts the token's requests of the day without refusals, and its tokens and cost over the month", async () => {
    expect(await counters.load(alice.tokenId, TODAY, MARCH)).toEqual({
      // 8 requests today (the 00:00 tomorrow excluded), 2 of them refused.
      dayRequests: 6,
      // 150 + 15 + 2 + 0 + 7 + 5 + 8 + 2000 + 50: every day of March, tomorrow included, not February or April.
      monthTokens: 2237,
      monthCostUsd: 1.000052545,
      monthCostNanoUsd: 1_000_052_545,
    });
  });

  it('takes any instant of the day and of the first day of the month', async () => {
    expect(await counters.load(alice.tokenId, NOW, MARCH + 12 * 3_600_000)).toEqual(await counters.load(alice.tokenId, TODAY, MARCH));
  });

  it('reads another day and another month: yesterday, tomorrow, February, April', async () => {
    expect((await counters.load(alice.tokenId, TODAY - DAY_MS, MARCH)).dayRequests).toBe(1);
    expect((await counters.load(alice.tokenId, TODAY + DAY_MS, MARCH)).dayRequests).toBe(1);
    expect(await counters.load(alice.tokenId, MARCH - 1, Date.UTC(2025, 1, 1))).toEqual({
      dayRequests: 1,
      monthTokens: 10_000,
      monthCostUsd: 9,
      monthCostNanoUsd: 9_000_000_000,
    });
    // A day outside the month asked for still counts for the day only.
    expect(await counters.load(alice.tokenId, APRIL, MARCH)).toMatchObject({ dayRequests: 1, monthTokens: 2237 });
  });

  it('keeps tokens apart, and answers zeros for a token without usage', async () => {
    expect(await counters.load(aliceOther, TODAY, MARCH)).toEqual({ dayRequests: 1, monthTokens: 600, monthCostUsd: 5, monthCostNanoUsd: 5_000_000_000 });
    expect(await counters.load(bob.tokenId, TODAY, MARCH)).toEqual({ dayRequests: 1, monthTokens: 800, monthCostUsd: 7, monthCostNanoUsd: 7_000_000_000 });
    const unused = await db.aToken(bob.userId);
    expect(await counters.load(unused, TODAY, MARCH)).toEqual({ dayRequests: 0, monthTokens: 0, monthCostUsd: 0, monthCostNanoUsd: 0 });
  });

  it('agrees with a plain count over the raw rows it was given', async () => {
    const mine = rows.filter((r) => r.tokenId === alice.tokenId);
    const inMonth = mine.filter((r) => r.createdAt >= MARCH && r.createdAt < APRIL);
    const today = mine.filter((r) => r.createdAt >= TODAY && r.createdAt < TODAY + DAY_MS);
    const loaded = await counters.load(alice.tokenId, TODAY, MARCH);
    expect(loaded.dayRequests).toBe(today.filter((r) => !r.refused).length);
    expect(loaded.monthTokens).toBe(inMonth.reduce((n, r) => n + (r.promptTokens ?? 0) + (r.completionTokens ?? 0), 0));
    expect(loaded.monthCostNanoUsd).toBe(inMonth.reduce((n, r) => n + Math.round((r.costUsd ?? 0) * 1e9), 0));
  });
});
