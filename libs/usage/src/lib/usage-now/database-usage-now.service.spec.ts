import { NO_LIMITS } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aUsageConfig, aUsageRow, openUsageTestDatabase, Owner, UsageTestDatabase } from '../../testing/usage-builders';
import { UsageRecorder } from '../recorder/usage-recorder.service';
import { DAY_MS, UsageRow } from '../recorder/usage-row';
import { DatabaseUsageNowSource } from './database-usage-now.service';
import { NO_USAGE_NOW } from './usage-now-source';

/** 2025-03-20 15:30:00 UTC: the "now" of these tests, 19 days into March. */
const NOW = Date.UTC(2025, 2, 20, 15, 30);
const SECOND = 1000;

async function record(db: UsageTestDatabase, rows: UsageRow[]): Promise<void> {
  const recorder = new UsageRecorder(db.dataSource, aUsageConfig({ batch_size: 500 }));
  for (const row of rows) recorder.record(row);
  await recorder.flush();
}

const asked = (...ids: number[]) => ids.map((id) => ({ id, limits: NO_LIMITS }));

describe.each(testDatabaseKinds())('DatabaseUsageNowSource on $kind', ({ create }) => {
  let db: UsageTestDatabase;
  let source: DatabaseUsageNowSource;
  let busy: Owner;
  let quiet: Owner;
  let other: Owner;

  beforeAll(async () => {
    db = await openUsageTestDatabase(create);
    source = new DatabaseUsageNowSource(db.dataSource);
    busy = await db.anOwner();
    quiet = await db.anOwner();
    other = await db.anOwner();
    const mine = (overrides: Partial<UsageRow>) => aUsageRow({ userId: busy.userId, tokenId: busy.tokenId, ...overrides });
    await record(db, [
      // The last 60 s: 3 requests (one of them refused with 429), 10 + 20 + 0 tokens.
      mine({ createdAt: NOW - 5 * SECOND, promptTokens: 4, completionTokens: 6 }),
      mine({ createdAt: NOW - 59 * SECOND, promptTokens: 15, completionTokens: 5 }),
      mine({ createdAt: NOW - 30 * SECOND, statusCode: 429, refused: true, promptTokens: null, completionTokens: null, errorMessage: 'rate limited' }),
      // Earlier today: 2 more requests (one a 502 after the upstream failed, which counts) and a 403 refusal.
      mine({ createdAt: NOW - 61 * SECOND, promptTokens: 100, completionTokens: 1 }),
      mine({ createdAt: NOW - 3_600_000, statusCode: 502, promptTokens: 7, completionTokens: null, errorMessage: 'upstream reset' }),
      mine({ createdAt: NOW - 3_600_000, statusCode: 403, refused: true, promptTokens: null, completionTokens: null, errorMessage: 'ip not allowed' }),
      // An upstream's own 429, passed through: the limits admitted it, so the day counts it.
      mine({ createdAt: NOW - 7_200_000, statusCode: 429, promptTokens: null, completionTokens: null, errorMessage: 'upstream rate limit' }),
      // Earlier this month: tokens only, no requests of today.
      mine({ createdAt: NOW - 2 * DAY_MS, promptTokens: 1000, completionTokens: 2000, costUsd: 0.0125 }),
      mine({ createdAt: Date.UTC(2025, 2, 1, 0, 0, 0), promptTokens: 10_000, completionTokens: 0, costUsd: 0.000000375 }),
      // Last month: counts for nothing now.
      mine({ createdAt: Date.UTC(2025, 1, 28, 23, 59, 59), promptTokens: 999_999, completionTokens: 1, costUsd: 3 }),
      // Another token of another user, in the same minute.
      aUsageRow({ userId: other.userId, tokenId: other.tokenId, createdAt: NOW - SECOND, promptTokens: 1, completionTokens: 1 }),
    ]);
  });
  afterAll(() => db?.close());

  it('reads what each limit compares against, per token', async () => {
    const usage = await source.forTokens(asked(busy.tokenId, other.tokenId), NOW);
    expect(usage.get(busy.tokenId)).toEqual({
      minute_requests: 2,
      minute_tokens: 10 + 20,
      in_flight: 0,
      day_requests: 2 + 3,
      month_tokens: 10 + 20 + 101 + 7 + 3000 + 10_000,
      month_cost_usd: 0.012500375,
    });
    expect(usage.get(other.tokenId)).toEqual({ ...NO_USAGE_NOW, minute_requests: 1, minute_tokens: 2, day_requests: 1, month_tokens: 2 });
  });

  it('answers zeros for a token without usage and for an id that has no token', async () => {
    const usage = await source.forTokens(asked(quiet.tokenId, 987_654), NOW);
    expect(usage.get(quiet.tokenId)).toEqual(NO_USAGE_NOW);
    expect(usage.get(987_654)).toEqual(NO_USAGE_NOW);
  });

  it('starts the day at 00:00 UTC and the month on the first', async () => {
    // The first second of March: the day and the month hold only the row stamped 00:00:00
    // that day; the last second of February is in the minute, but in neither of those.
    const usage = await source.forTokens(asked(busy.tokenId), Date.UTC(2025, 2, 1, 0, 0, 1));
    expect(usage.get(busy.tokenId)).toEqual({
      ...NO_USAGE_NOW,
      minute_requests: 2,
      minute_tokens: 1_010_000,
      day_requests: 1,
      month_tokens: 10_000,
      month_cost_usd: 0.000000375,
    });
    const february = await source.forTokens(asked(busy.tokenId), Date.UTC(2025, 1, 28, 23, 59, 59, 500));
    expect(february.get(busy.tokenId)).toMatchObject({ minute_requests: 1, day_requests: 1, month_tokens: 1_000_000, month_cost_usd: 3 });
  });

  it('answers an empty list without a statement', async () => {
    const query = jest.spyOn(db.dataSource, 'query');
    try {
      expect((await source.forTokens([], NOW)).size).toBe(0);
      expect(query).not.toHaveBeenCalled();
    } finally {
      query.mockRestore();
    }
  });

  it('reads any number of tokens with two statements per 500, not one per token', async () => {
    const query = jest.spyOn(db.dataSource, 'query');
    try {
      await source.forTokens(asked(busy.tokenId, quiet.tokenId, other.tokenId), NOW);
      expect(query).toHaveBeenCalledTimes(2);
      query.mockClear();
      const many = asked(...Array.from({ length: 1200 }, (_, i) => i + 1_000_000), busy.tokenId);
      const usage = await source.forTokens(many, NOW);
      expect(query).toHaveBeenCalledTimes(2 * 3);
      expect(usage.size).toBe(1201);
      expect(usage.get(busy.tokenId)?.day_requests).toBe(5);
    } finally {
      query.mockRestore();
    }
  });
});
