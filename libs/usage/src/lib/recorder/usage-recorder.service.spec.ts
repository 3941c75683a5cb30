import type { UsageConfig } from '@lmarena-bridge/config';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aUsageConfig, aUsageRow, eventually, NOON, Owner, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { latencyBucket } from '../latency-buckets';
import { BatchRollup } from './rollup';
import { UsageRecorder } from './usage-recorder.service';
import { DAY_MS, MAX_ERROR_MESSAGE, UsageRow, utcDay } from './usage-row';
import { UsageWriter } from './usage-writer';

/** A promise and the function that settles it: the test decides when a write may finish. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Swaps the recorder's private writer for one wrapping the real one; answers the batches it was given. */
function wrapWriter(recorder: UsageRecorder, wrap: (real: UsageWriter, attempt: number, rows: readonly UsageRow[], rollup: BatchRollup) => Promise<void>): UsageRow[][] {
  const internals = recorder as unknown as { writer: UsageWriter };
  const real = internals.writer;
  const batches: UsageRow[][] = [];
  internals.writer = {
    write: (rows, rollup) => {
      batches.push([...rows]);
      return wrap(real, batches.length, rows, rollup);
    },
  };
  return batches;
}

/** Lets every pending callback run (microtasks, I/O, timers due now) without waiting for time to pass. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** The stored form of a row as the dashboard reads it through the entity. */
const stored = (row: UsageRow) => ({ ...row, id: expect.any(Number), createdAt: new Date(row.createdAt) });

describe.each(testDatabaseKinds())('UsageRecorder on $kind', ({ create }) => {
  let db: UsageTestDatabase;
  let recorders: UsageRecorder[] = [];

  const aRecorder = (usage: Partial<UsageConfig> = {}) => {
    const recorder = new UsageRecorder(db.dataSource, aUsageConfig(usage));
    recorders.push(recorder);
    return recorder;
  };

  beforeAll(async () => {
    db = await openUsageTestDatabase(create);
  });
  // Flushing also clears a pending flush timer, so nothing outlives its test.
  afterEach(async () => {
    await Promise.all(recorders.map((r) => r.flush()));
    recorders = [];
  });
  afterAll(() => db?.close());

  it('writes each row exactly once, with every column as given', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder();
    const rows = [
      aUsageRow({ ...owner, createdAt: NOON + 1, stream: true, responseTimeMs: 1234, ttftMs: 56, promptTokens: 10, completionTokens: 20 }),
      aUsageRow({ ...owner, createdAt: NOON + 2, model: 'gpt-x', statusCode: 502, responseTimeMs: 7, ttftMs: null, promptTokens: null, completionTokens: null, errorMessage: 'upstream reset' }),
      aUsageRow({ ...owner, createdAt: NOON + 3, endpoint: '/v1/other', statusCode: 499, promptTokens: 0, completionTokens: 0, errorMessage: 'é'.repeat(MAX_ERROR_MESSAGE) }),
    ];
    for (const row of rows) recorder.record(row);
    expect(recorder.pending).toBe(3);

    await recorder.flush();
    await recorder.flush();

    expect(recorder.pending).toBe(0);
    expect(recorder.writtenRows).toBe(3);
    expect(await db.logs(owner.tokenId)).toEqual(rows.map(stored));
  });

  it('cuts an error message longer than 1000 characters to 999 and an ellipsis', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder();
    const message = `${'x'.repeat(998)}yz${'!'.repeat(500)}`;
    const row = aUsageRow({ ...owner, statusCode: 500, errorMessage: message });
    recorder.record(row);
    await recorder.flush();

    const [log] = await db.logs(owner.tokenId);
    expect(log.errorMessage).toHaveLength(MAX_ERROR_MESSAGE);
    expect(log.errorMessage).toBe(`${'x'.repeat(998)}y…`);
    // The caller's row is left as it was.
    expect(row.errorMessage).toBe(message);
  });

  it('stores rows the database would otherwise refuse for ever: NUL, fractions, overflowing counts, long names', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder();
    // A client picks the model name; an unknown one is answered 404 with the name in the message.
    recorder.record(aUsageRow({ ...owner, createdAt: NOON + 1, statusCode: 404, model: 'gp\u0000t', errorMessage: 'The model "gp\u0000t" does not exist.' }));
    recorder.record(aUsageRow({
      ...owner, createdAt: NOON + 2, model: 'm'.repeat(250), endpoint: `/${'e'.repeat(150)}`,
      responseTimeMs: 0.4, ttftMs: 12.6, promptTokens: 1e12, completionTokens: Number.NaN,
    }));

    await recorder.flush();

    expect(await db.logs(owner.tokenId)).toEqual([
      expect.objectContaining({ model: 'gpt', errorMessage: 'The model "gpt" does not exist.', statusCode: 404 }),
      expect.objectContaining({
        model: 'm'.repeat(200), endpoint: `/${'e'.repeat(99)}`, responseTimeMs: 0, ttftMs: 13, promptTokens: 2_147_483_647, completionTokens: null,
      }),
    ]);
    expect((await db.daily(owner.tokenId)).map((d) => d.model).sort()).toEqual(['gpt', 'm'.repeat(200)]);
  });

  it('writes in batches of batch_size and keeps the rollups equal to the rows', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 3 });
    const batches = wrapWriter(recorder, (real, _attempt, rows, rollup) => real.write(rows, rollup));
    const rows = [
      aUsageRow({ ...owner, responseTimeMs: 1 }),
      aUsageRow({ ...owner, responseTimeMs: 95, promptTokens: 11, completionTokens: 40 }),
      aUsageRow({ ...owner, responseTimeMs: 2500, statusCode: 502, promptTokens: null, completionTokens: null, errorMessage: 'boom' }),
      aUsageRow({ ...owner, responseTimeMs: 130, model: 'gpt-x', promptTokens: 7, completionTokens: 1 }),
      aUsageRow({ ...owner, responseTimeMs: 131, createdAt: NOON + DAY_MS }),
      aUsageRow({ ...owner, responseTimeMs: 0, createdAt: NOON + DAY_MS, stream: true }),
      aUsageRow({ ...owner, responseTimeMs: 60_000, createdAt: NOON + DAY_MS, model: 'gpt-x', statusCode: 429 }),
    ];
    for (const row of rows) recorder.record(row);

    // Two full batches go on their own; the seventh row waits for the timer or a flush.
    await eventually(() => recorder.writtenRows === 6, 'two full batches');
    expect(recorder.pending).toBe(1);
    expect(await db.logs(owner.tokenId)).toHaveLength(6);
    await recorder.flush();
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect((await db.logs(owner.tokenId)).map((l) => l.createdAt.getTime())).toEqual(rows.map((r) => r.createdAt));

    // The rollups, against a plain computation over the same rows.
    const expectedDaily = new Map<string, number[]>();
    const expectedLatency = new Map<string, number>();
    for (const r of rows) {
      const key = [utcDay(r.createdAt), r.userId, r.tokenId, r.model, r.statusCode].join('|');
      const [n, ms, p, c] = expectedDaily.get(key) ?? [0, 0, 0, 0];
      expectedDaily.set(key, [n + 1, ms + r.responseTimeMs, p + (r.promptTokens ?? 0), c + (r.completionTokens ?? 0)]);
      const lKey = [utcDay(r.createdAt), r.userId, r.tokenId, r.model, latencyBucket(r.responseTimeMs)].join('|');
      expectedLatency.set(lKey, (expectedLatency.get(lKey) ?? 0) + 1);
    }
    const daily = await db.daily(owner.tokenId);
    expect(new Map(daily.map((d) => [[d.day, d.userId, d.tokenId, d.model, d.statusCode].join('|'), [d.requests, d.responseTimeMsSum, d.promptTokens, d.completionTokens]]))).toEqual(expectedDaily);
    expect(daily.reduce((sum, d) => sum + d.requests, 0)).toBe(rows.length);

    const latency = await db.latency(owner.tokenId);
    expect(new Map(latency.map((l) => [[l.day, l.userId, l.tokenId, l.model, l.bucket].join('|'), l.count]))).toEqual(expectedLatency);
    expect(latency.reduce((sum, l) => sum + l.count, 0)).toBe(rows.length);
  });

  it('writes a partial batch once flush_interval_ms has passed, without a flush', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 100, flush_interval_ms: 20 });
    recorder.record(aUsageRow({ ...owner, createdAt: NOON + 1 }));
    recorder.record(aUsageRow({ ...owner, createdAt: NOON + 2 }));
    expect(recorder.pending).toBe(2);
    expect(await db.logs(owner.tokenId)).toEqual([]);

    await eventually(async () => (await db.logs(owner.tokenId)).length === 2, 'the timed flush');
    expect(recorder.pending).toBe(0);
    expect(recorder.writtenRows).toBe(2);
  });

  it('sets last_used_at to the newest createdAt of the batch and never moves it back', async () => {
    const owner = await db.anOwner();
    const later = NOON + 10 * DAY_MS;
    const other = await db.aToken(owner.userId, { lastUsedAt: later });
    const recorder = aRecorder();

    recorder.record(aUsageRow({ ...owner, createdAt: NOON + 5 }));
    recorder.record(aUsageRow({ ...owner, createdAt: NOON + 9 }));
    recorder.record(aUsageRow({ ...owner, createdAt: NOON + 7, statusCode: 500 }));
    recorder.record(aUsageRow({ userId: owner.userId, tokenId: other, createdAt: NOON + 1 }));
    await recorder.flush();
    expect(await db.lastUsedAt(owner.tokenId)).toBe(NOON + 9);
    // A token already used more recently keeps its newer time.
    expect(await db.lastUsedAt(other)).toBe(later);

    // An older request written later (a slow stream) does not move it back.
    recorder.record(aUsageRow({ ...owner, createdAt: NOON + 3 }));
    await recorder.flush();
    expect(await db.lastUsedAt(owner.tokenId)).toBe(NOON + 9);

    recorder.record(aUsageRow({ ...owner, createdAt: NOON + 20 }));
    await recorder.flush();
    expect(await db.lastUsedAt(owner.tokenId)).toBe(NOON + 20);
  });

  it('adds each batch to the rollup rows already stored', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 2 });
    const row = (responseTimeMs: number, promptTokens: number) => aUsageRow({ ...owner, responseTimeMs, promptTokens, completionTokens: 1 });
    recorder.record(row(100, 1));
    recorder.record(row(100, 2));
    await eventually(() => recorder.writtenRows === 2, 'the first batch');
    recorder.record(row(100, 3));
    await recorder.flush();
    recorder.record(row(5000, 4));
    await recorder.flush();

    expect(await db.daily(owner.tokenId)).toEqual([
      { day: utcDay(NOON), userId: owner.userId, tokenId: owner.tokenId, model: 'echo', statusCode: 200, requests: 4, responseTimeMsSum: 5300, promptTokens: 10, completionTokens: 4 },
    ]);
    const latency = await db.latency(owner.tokenId);
    expect(new Map(latency.map((l) => [l.bucket, l.count]))).toEqual(new Map([[latencyBucket(100), 3], [latencyBucket(5000), 1]]));
  });

  it('resolves flush() at once when nothing waits', async () => {
    const recorder = aRecorder();
    const batches = wrapWriter(recorder, (real, _attempt, rows, rollup) => real.write(rows, rollup));
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(batches).toEqual([]);
    expect(recorder.writtenRows).toBe(0);
  });

  it('holds new requests while max_queue rows wait and lets them go once the blocked batch is written', async () => {
    const owner: Owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 100, max_queue: 100 });
    const blocked = gate();
    let firstBatchWritten = false;
    wrapWriter(recorder, async (real, attempt, rows, rollup) => {
      if (attempt === 1) await blocked.promise;
      await real.write(rows, rollup);
      if (attempt === 1) firstBatchWritten = true;
    });

    for (let i = 0; i < 99; i++) recorder.record(aUsageRow({ ...owner, createdAt: NOON + i }));
    expect(recorder.full).toBe(false);
    await expect(recorder.waitForRoom()).resolves.toBeUndefined();

    recorder.record(aUsageRow({ ...owner, createdAt: NOON + 99 })); // the 100th row starts the (blocked) batch
    expect(recorder.full).toBe(true);
    let roomAt: boolean | null = null;
    const room = recorder.waitForRoom().then(() => {
      roomAt = firstBatchWritten;
    });
    // Rows are never dropped: one more still queues.
    recorder.record(aUsageRow({ ...owner, createdAt: NOON + 100 }));
    expect(recorder.pending).toBe(101);

    await settle();
    await settle();
    expect(roomAt).toBeNull();
    expect(await db.logs(owner.tokenId)).toEqual([]);

    blocked.open();
    await room;
    expect(roomAt).toBe(true);
    expect(recorder.full).toBe(false);
    expect(await db.logs(owner.tokenId)).toHaveLength(100);

    await recorder.flush();
    expect(await db.logs(owner.tokenId)).toHaveLength(101);
  });

  it('retries a failed batch until it is written, losing and duplicating nothing', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 10 });
    const batches = wrapWriter(recorder, async (real, attempt, rows, rollup) => {
      if (attempt <= 2) throw new Error(`database unavailable (attempt ${attempt})`);
      await real.write(rows, rollup);
    });
    // The recorder logs each failure; keep the test output quiet.
    const logError = jest.spyOn((recorder as unknown as { logger: { error: (m: string) => void } }).logger, 'error').mockImplementation(() => undefined);
    const rows = [1, 2, 3].map((i) => aUsageRow({ ...owner, createdAt: NOON + i, responseTimeMs: 10 * i }));
    for (const row of rows) recorder.record(row);

    await recorder.flush();

    expect(batches.map((b) => b.map((r) => r.createdAt))).toEqual([rows, rows, rows].map((b) => b.map((r) => r.createdAt)));
    expect(logError).toHaveBeenCalledTimes(2);
    expect(await db.logs(owner.tokenId)).toEqual(rows.map(stored));
    expect((await db.daily(owner.tokenId)).map((d) => d.requests)).toEqual([3]);
    expect(recorder.writtenRows).toBe(3);
  });

  it('writes every waiting row before the application shuts down', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 500, flush_interval_ms: 60_000 });
    jest.spyOn((recorder as unknown as { logger: { log: (m: string) => void } }).logger, 'log').mockImplementation(() => undefined);
    for (let i = 0; i < 5; i++) recorder.record(aUsageRow({ ...owner, createdAt: NOON + i }));

    await recorder.beforeApplicationShutdown();

    expect(recorder.pending).toBe(0);
    expect(await db.logs(owner.tokenId)).toHaveLength(5);
  });
});
