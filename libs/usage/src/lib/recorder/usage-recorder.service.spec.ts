import type { UsageConfig } from '@lmarena-bridge/config';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { bruteForceRollups, ROLLUP_TABLE_NAMES } from '../../testing/rollup-fixtures';
import { aUsageConfig, aUsageRow, eventually, NOON, Owner, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { nanoUsd } from '../cost';
import { latencyBucket } from '../latency-buckets';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageRecorder } from './usage-recorder.service';
import { SpooledRow } from './usage-spool';
import { DAY_MS, MAX_ERROR_MESSAGE, UsageRow, utcDay } from './usage-row';
import { UsageWriter } from './usage-writer';

/** A promise and the function that settles it: the test decides when a write may finish. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Swaps the recorder's private writer for one wrapping the real one; answers the batches it was given. */
function wrapWriter(recorder: UsageRecorder, wrap: (real: UsageWriter, attempt: number, rows: readonly SpooledRow[]) => Promise<number>): SpooledRow[][] {
  const internals = recorder as unknown as { writer: UsageWriter };
  const real = internals.writer;
  const batches: SpooledRow[][] = [];
  internals.writer = {
    write: (rows) => {
      batches.push([...rows]);
      return wrap(real, batches.length, rows);
    },
  };
  return batches;
}

/** What an unreachable PostgreSQL looks like to the writer. */
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** The spool files of a folder, and the rows in them. */
const spoolFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')) : []);
const spooledRows = (dir: string) => spoolFiles(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));

/** Keeps a recorder's log quiet in the test output; returns the spies. */
function quiet(recorder: UsageRecorder) {
  const logger = (recorder as unknown as { logger: Record<'log' | 'warn' | 'error', (m: string) => void> }).logger;
  return {
    log: jest.spyOn(logger, 'log').mockImplementation(() => undefined),
    warn: jest.spyOn(logger, 'warn').mockImplementation(() => undefined),
    error: jest.spyOn(logger, 'error').mockImplementation(() => undefined),
  };
}

/** The stored form of a row as the dashboard reads it through the entity. */
const stored = (row: UsageRow) => ({ ...row, id: expect.any(Number), createdAt: new Date(row.createdAt) });

describe.each(testDatabaseKinds())('UsageRecorder on $kind', ({ create }) => {
  let db: UsageTestDatabase;
  let recorders: UsageRecorder[] = [];

  const aRecorder = (usage: Partial<UsageConfig> = {}) => {
    const config = aUsageConfig(usage);
    const recorder = new UsageRecorder(db.dataSource, config);
    recorders.push(recorder);
    return Object.assign(recorder, { spoolDir: config.usage.spool_dir });
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
      aUsageRow({
        ...owner,
        createdAt: NOON + 2,
        model: 'gpt-x',
        statusCode: 502,
        responseTimeMs: 7,
        ttftMs: null,
        promptTokens: null,
        completionTokens: null,
        errorMessage: 'upstream reset',
      }),
      aUsageRow({
        ...owner,
        createdAt: NOON + 3,
        endpoint: '/v1/other',
        statusCode: 499,
        promptTokens: 0,
        completionTokens: 0,
        errorMessage: 'é'.repeat(MAX_ERROR_MESSAGE),
      }),
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
    recorder.record(
      aUsageRow({
        ...owner,
        createdAt: NOON + 2,
        model: 'm'.repeat(250),
        endpoint: `/${'e'.repeat(150)}`,
        responseTimeMs: 0.4,
        ttftMs: 12.6,
        promptTokens: 1e12,
        completionTokens: Number.NaN,
      }),
    );

    await recorder.flush();

    expect(await db.logs(owner.tokenId)).toEqual([
      expect.objectContaining({ model: 'gpt', errorMessage: 'The model "gpt" does not exist.', statusCode: 404 }),
      expect.objectContaining({
        model: 'm'.repeat(200),
        endpoint: `/${'e'.repeat(99)}`,
        responseTimeMs: 0,
        ttftMs: 13,
        promptTokens: 2_147_483_647,
        completionTokens: null,
      }),
    ]);
    expect((await db.daily(owner.tokenId)).map((d) => d.model).sort()).toEqual(['gpt', 'm'.repeat(200)]);
  });

  it('stores costs to the nano-dollar and a cost that is not a number as none; the rollup sums what was stored', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder();
    const costs = [1.2345678912, Number.NaN, -3, 2e9, 3.8e-8, null];
    costs.forEach((costUsd, i) => recorder.record(aUsageRow({ ...owner, createdAt: NOON + i, costUsd })));
    await recorder.flush();
    expect((await db.logs(owner.tokenId)).map((l) => l.costUsd)).toEqual([1.234567891, null, 0, 1_000_000, 3.8e-8, null]);
    expect((await db.daily(owner.tokenId)).map((d) => d.costNanoUsd)).toEqual([1_234_567_891 + 1_000_000 * 1e9 + 38]);
  });

  it('writes in batches of batch_size and keeps the rollups equal to the rows', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 3 });
    const batches = wrapWriter(recorder, (real, _attempt, rows) => real.write(rows));
    const rows = [
      aUsageRow({ ...owner, responseTimeMs: 1 }),
      aUsageRow({ ...owner, responseTimeMs: 95, promptTokens: 11, completionTokens: 40, costUsd: 0.0000261 }),
      aUsageRow({ ...owner, responseTimeMs: 2500, statusCode: 502, promptTokens: null, completionTokens: null, errorMessage: 'boom' }),
      aUsageRow({ ...owner, responseTimeMs: 130, model: 'gpt-x', promptTokens: 7, completionTokens: 1, costUsd: 3.8e-8 }),
      aUsageRow({ ...owner, responseTimeMs: 131, createdAt: NOON + DAY_MS, costUsd: 0.5 }),
      aUsageRow({ ...owner, responseTimeMs: 0, createdAt: NOON + DAY_MS, stream: true }),
      aUsageRow({ ...owner, responseTimeMs: 60_000, createdAt: NOON + DAY_MS, model: 'gpt-x', statusCode: 429, refused: true }),
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
    for (const r of rows) {
      const key = [utcDay(r.createdAt), r.userId, r.tokenId, r.model, r.statusCode].join('|');
      const [n, ms, p, c, cost, refused] = expectedDaily.get(key) ?? [0, 0, 0, 0, 0, 0];
      expectedDaily.set(key, [
        n + 1,
        ms + r.responseTimeMs,
        p + (r.promptTokens ?? 0),
        c + (r.completionTokens ?? 0),
        cost + nanoUsd(r.costUsd ?? 0),
        refused + (r.refused ? 1 : 0),
      ]);
    }
    const daily = await db.daily(owner.tokenId);
    expect(
      new Map(
        daily.map((d) => [
          [d.day, d.userId, d.tokenId, d.model, d.statusCode].join('|'),
          [d.requests, d.responseTimeMsSum, d.promptTokens, d.completionTokens, d.costNanoUsd, d.refusedRequests],
        ]),
      ),
    ).toEqual(expectedDaily);
    expect(daily.reduce((sum, d) => sum + d.requests, 0)).toBe(rows.length);
    expect(daily.reduce((sum, d) => sum + d.costNanoUsd, 0)).toBe(500_026_138);
    expect(daily.reduce((sum, d) => sum + d.refusedRequests, 0)).toBe(1);

    // And the summary's rollups, table by table.
    const expected = bruteForceRollups(rows);
    for (const table of ROLLUP_TABLE_NAMES) expect([table, await db.rollup(table, owner.userId)]).toEqual([table, expected[table]]);
    expect((await db.latency(owner.userId)).reduce((sum, l) => sum + l.count, 0)).toBe(rows.length);
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
    const row = (responseTimeMs: number, promptTokens: number) =>
      aUsageRow({ ...owner, responseTimeMs, promptTokens, completionTokens: 1, costUsd: promptTokens * 1e-9, refused: promptTokens === 4 });
    recorder.record(row(100, 1));
    recorder.record(row(100, 2));
    await eventually(() => recorder.writtenRows === 2, 'the first batch');
    recorder.record(row(100, 3));
    await recorder.flush();
    recorder.record(row(5000, 4));
    await recorder.flush();

    expect(await db.daily(owner.tokenId)).toEqual([
      {
        day: utcDay(NOON),
        userId: owner.userId,
        tokenId: owner.tokenId,
        model: 'echo',
        statusCode: 200,
        requests: 4,
        responseTimeMsSum: 5300,
        promptTokens: 10,
        completionTokens: 4,
        costNanoUsd: 10,
        refusedRequests: 1,
      },
    ]);
    const latency = await db.latency(owner.userId);
    expect(new Map(latency.map((l) => [l.bucket, l.count]))).toEqual(
      new Map([
        [latencyBucket(100), 3],
        [latencyBucket(5000), 1],
      ]),
    );
  });

  it('resolves flush() at once when nothing waits', async () => {
    const recorder = aRecorder();
    const batches = wrapWriter(recorder, (real, _attempt, rows) => real.write(rows));
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(batches).toEqual([]);
    expect(recorder.writtenRows).toBe(0);
  });

  it('never makes record() wait: with the database down rows go to the spool only and are replayed exactly once when it returns', async () => {
    const owner: Owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 10, max_queue: 100 });
    const spies = quiet(recorder);
    let down = true;
    wrapWriter(recorder, async (real, _attempt, rows) => {
      if (down) throw refused();
      return real.write(rows);
    });

    const rows = Array.from({ length: 250 }, (_, i) => aUsageRow({ ...owner, createdAt: NOON + i, responseTimeMs: 1 + i }));
    for (const row of rows) recorder.record(row); // synchronous: no promise to wait for
    await eventually(() => recorder.spilling, 'the spill after the first failed write');
    expect(recorder.pending).toBe(250);
    // Memory let go of the batches: every row is in the spool, once.
    const onDisk = spooledRows(recorder.spoolDir).map((line) => (JSON.parse(line) as SpooledRow).createdAt);
    expect(onDisk.sort((a, b) => a - b)).toEqual(rows.map((r) => r.createdAt));
    expect(await db.logs(owner.tokenId)).toEqual([]);

    down = false;
    await recorder.flush();
    expect(recorder.spilling).toBe(false);
    const logs = await db.logs(owner.tokenId);
    expect(logs.map((l) => l.createdAt.getTime())).toEqual(rows.map((r) => r.createdAt));
    expect((await db.daily(owner.tokenId)).reduce((n, d) => n + d.requests, 0)).toBe(250);
    expect((await db.daily(owner.tokenId)).reduce((n, d) => n + d.responseTimeMsSum, 0)).toBe(rows.reduce((n, r) => n + r.responseTimeMs, 0));
    // The replayed files are gone; the stop removes the (empty) one appended to now.
    expect(spoolFiles(recorder.spoolDir)).toHaveLength(1);
    await recorder.beforeApplicationShutdown();
    expect(spoolFiles(recorder.spoolDir)).toEqual([]);
    // The outage was logged by the shared outage log, not once per batch.
    expect(spies.error).not.toHaveBeenCalled();
  });

  it('appends every batch to the spool before the database sees it, with one fdatasync per batch at most', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 20 });
    const seenOnDisk: number[] = [];
    wrapWriter(recorder, (real, _attempt, rows) => {
      const lines = new Set(spooledRows(recorder.spoolDir).map((l) => (JSON.parse(l) as SpooledRow).uid));
      seenOnDisk.push(rows.filter((r) => lines.has(r.uid)).length);
      return real.write(rows);
    });
    for (let i = 0; i < 200; i++) recorder.record(aUsageRow({ ...owner, createdAt: NOON + i }));
    await recorder.flush();

    expect(seenOnDisk).toEqual(Array.from({ length: 10 }, () => 20));
    await eventually(() => recorder.spoolSyncs >= 1, 'the first fdatasync');
    await recorder.beforeApplicationShutdown();
    expect(recorder.spoolSyncs).toBeLessThanOrEqual(10);
    expect(await db.logs(owner.tokenId)).toHaveLength(200);
  });

  it('spills past max_queue instead of holding rows in memory, and loses none', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 100, max_queue: 100 });
    quiet(recorder);
    const blocked = gate();
    wrapWriter(recorder, async (real, attempt, rows) => {
      if (attempt === 1) await blocked.promise;
      return real.write(rows);
    });
    for (let i = 0; i < 350; i++) recorder.record(aUsageRow({ ...owner, createdAt: NOON + i }));
    expect(recorder.spilling).toBe(true);
    const internals = recorder as unknown as { queued: number };
    expect(internals.queued).toBe(0);

    blocked.open();
    await recorder.flush();
    const logs = await db.logs(owner.tokenId);
    expect(logs.map((l) => l.createdAt.getTime())).toEqual(Array.from({ length: 350 }, (_, i) => NOON + i));
    expect((await db.daily(owner.tokenId)).reduce((n, d) => n + d.requests, 0)).toBe(350);
  });

  it('a graceful stop with the database down spools every row; the next start replays them once', async () => {
    const owner = await db.anOwner();
    const first = aRecorder({ batch_size: 50, flush_interval_ms: 60_000 });
    const spies = quiet(first);
    wrapWriter(first, async () => {
      throw refused();
    });
    for (let i = 0; i < 120; i++) first.record(aUsageRow({ ...owner, createdAt: NOON + i }));

    await first.beforeApplicationShutdown();
    expect(spooledRows(first.spoolDir)).toHaveLength(120);
    expect(spies.warn).toHaveBeenCalledWith(expect.stringMatching(/written at the next start/));

    const second = aRecorder({ spool_dir: first.spoolDir, batch_size: 50 });
    quiet(second);
    second.onApplicationBootstrap();
    await second.flush();
    expect((await db.logs(owner.tokenId)).map((l) => l.createdAt.getTime())).toEqual(Array.from({ length: 120 }, (_, i) => NOON + i));
    expect(spoolFiles(first.spoolDir)).toEqual([]);
  });

  it('replays idempotently: a replay killed half-way and run again, and a torn last line, count each row once', async () => {
    const owner = await db.anOwner();
    const first = aRecorder({ batch_size: 10 });
    quiet(first);
    wrapWriter(first, async () => {
      throw refused();
    });
    for (let i = 0; i < 40; i++) first.record(aUsageRow({ ...owner, createdAt: NOON + i, responseTimeMs: 10 }));
    await first.beforeApplicationShutdown();
    const [file] = spoolFiles(first.spoolDir);
    // A crash in the middle of a write (power loss): half a line at the end.
    writeFileSync(join(first.spoolDir, file), `${readFileSync(join(first.spoolDir, file), 'utf8')}{"uid":"torn","createdAt":`);

    // The second process stores 2 of the 4 chunks, then dies (its writer fails for good).
    const second = aRecorder({ spool_dir: first.spoolDir, batch_size: 10 });
    quiet(second);
    wrapWriter(second, async (real, attempt, rows) => {
      if (attempt > 2) throw new Error('killed');
      return real.write(rows);
    });
    second.onApplicationBootstrap();
    await eventually(async () => (await db.logs(owner.tokenId)).length === 20, 'half the replay');
    await second.beforeApplicationShutdown();
    expect(spoolFiles(first.spoolDir)).toEqual([file]);

    const third = aRecorder({ spool_dir: first.spoolDir, batch_size: 10 });
    const spies = quiet(third);
    third.onApplicationBootstrap();
    await third.flush();
    expect(third.writtenRows).toBe(20);
    expect((await db.logs(owner.tokenId)).map((l) => l.createdAt.getTime())).toEqual(Array.from({ length: 40 }, (_, i) => NOON + i));
    expect(await db.daily(owner.tokenId)).toEqual([expect.objectContaining({ requests: 40, responseTimeMsSum: 400 })]);
    expect(spies.log).toHaveBeenCalledWith(expect.stringMatching(/20 of 40 rows inserted .*a torn last line ignored/));
    expect(spoolFiles(first.spoolDir)).toEqual([]);
  });

  it('replays spool lines written before prices and refusals: no cost, not refused', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder();
    quiet(recorder);
    // A line exactly as the previous version wrote it (no costUsd, no refused), and a current one.
    const old = {
      createdAt: NOON,
      userId: owner.userId,
      tokenId: owner.tokenId,
      model: 'echo',
      endpoint: '/v1/chat/completions',
      stream: false,
      statusCode: 200,
      responseTimeMs: 5,
      ttftMs: null,
      promptTokens: 3,
      completionTokens: 5,
      errorMessage: null,
      usageEstimated: false,
      uid: `old-${owner.tokenId}-1`,
    };
    const current = { ...old, createdAt: NOON + 1, statusCode: 429, costUsd: 0.0000012, refused: true, uid: `old-${owner.tokenId}-2` };
    // Our own pid reads as a process that is gone (an earlier life), so the file is adopted.
    writeFileSync(join(recorder.spoolDir, `usage-${process.pid}-old${owner.tokenId}-0000.jsonl`), `${JSON.stringify(old)}\n${JSON.stringify(current)}\n`);
    recorder.onApplicationBootstrap();
    await recorder.flush();
    expect((await db.logs(owner.tokenId)).map((l) => [l.statusCode, l.costUsd])).toEqual([
      [200, null],
      [429, 0.0000012],
    ]);
    expect((await db.daily(owner.tokenId)).map((d) => [d.statusCode, d.requests, d.costNanoUsd, d.refusedRequests]).sort()).toEqual([
      [200, 1, 0, 0],
      [429, 1, 1200, 1],
    ]);
    expect(spoolFiles(recorder.spoolDir)).toEqual([]);
  });

  it('retries a failed batch until it is written, losing and duplicating nothing', async () => {
    const owner = await db.anOwner();
    const recorder = aRecorder({ batch_size: 10 });
    const batches = wrapWriter(recorder, async (real, attempt, rows) => {
      if (attempt <= 2) throw new Error(`database unavailable (attempt ${attempt})`);
      return real.write(rows);
    });
    // The recorder logs each failure; keep the test output quiet.
    const logError = quiet(recorder).error;
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
    quiet(recorder);
    for (let i = 0; i < 5; i++) recorder.record(aUsageRow({ ...owner, createdAt: NOON + i }));

    await recorder.beforeApplicationShutdown();

    expect(recorder.pending).toBe(0);
    expect(await db.logs(owner.tokenId)).toHaveLength(5);
  });
});
