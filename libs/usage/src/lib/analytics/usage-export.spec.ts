import type { UsageLogEntry } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseCsv, seededRandom } from '../../testing/analytics-fixtures';
import { aUsageConfig, aUsageRow, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { UsageRecorder } from '../recorder/usage-recorder.service';
import { DAY_MS } from '../recorder/usage-row';
import { csvField, csvLogRecord, USAGE_CSV_COLUMNS, usageExportChunks, usageExportFileName, usdText } from './usage-export';
import { UsageExportService } from './usage-export.service';
import { UsageLogFilter, UsageLogService } from './usage-log.service';
import { UsageScope } from './usage-scope';

const NOW = Date.UTC(2025, 2, 20, 15, 30);
const MIB = 1024 * 1024;

/** The Log entry as its CSV fields read back: text, null as the empty field, the cost as a plain decimal. */
const asCsvFields = (entry: UsageLogEntry) =>
  USAGE_CSV_COLUMNS.map((c) => (entry[c] === null ? '' : c === 'cost_usd' ? usdText(entry.cost_usd as number) : String(entry[c])));

describe('CSV encoding', () => {
  it.each([
    ['plain', 'upstream reset', 'upstream reset'],
    ['a comma', 'a, b', '"a, b"'],
    ['quotes', 'say "hi"', '"say ""hi"""'],
    ['a line feed', 'one\ntwo', '"one\ntwo"'],
    ['a carriage return', 'one\rtwo', '"one\rtwo"'],
    ['CRLF', 'one\r\ntwo', '"one\r\ntwo"'],
    ['only a quote', '"', '""""'],
    ['leading spaces (kept, unquoted)', '  x', '  x'],
    ['the empty string', '', ''],
  ])('writes %s as RFC 4180 has it', (_label, value, field) => {
    expect(csvField(value)).toBe(field);
    expect(parseCsv(`${field}\r\n`)).toEqual([[value]]);
  });

  it('writes null as the empty field, numbers and booleans as text', () => {
    expect([csvField(null), csvField(0), csvField(12.5), csvField(true), csvField(false)]).toEqual(['', '0', '12.5', 'true', 'false']);
  });

  it('writes a cost as plain decimal text to the nano-dollar, never with an exponent', () => {
    expect([0, 3.8e-8, 0.00039, 0.1 + 0.2, 1, 1_000_000, 123.456789012].map(usdText)).toEqual([
      '0',
      '0.000000038',
      '0.00039',
      '0.3',
      '1',
      '1000000',
      '123.456789012',
    ]);
    expect(parseCsv(csvLogRecord({ cost_usd: 3.8e-8 } as UsageLogEntry))[0][USAGE_CSV_COLUMNS.indexOf('cost_usd')]).toBe('0.000000038');
    expect(parseCsv(csvLogRecord({ cost_usd: null } as UsageLogEntry))[0][USAGE_CSV_COLUMNS.indexOf('cost_usd')]).toBe('');
  });

  it('writes a log record field by field exactly as the generic record over USAGE_CSV_COLUMNS', () => {
    const random = seededRandom(7);
    const one = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const texts = ['gpt-4o', '', 'a, b', 'say "hi"', 'one\r\ntwo', '=SUM(A1)', '+1', '-x', '@me', '\tx', '\rx', "'quoted", 'ünïcødé ✓', ','];
    const numbers = [0, 1, -5, 12.5, 2_147_483_647, 1e21, 3.8e-8];
    // The rules as first written (regular expressions over String(value)): the fast path must give the same bytes.
    const referenceField = (value: string | number | boolean | null): string => {
      if (value === null) return '';
      let text = String(value);
      if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    };
    for (const value of [null, true, false, ...numbers, ...texts]) expect(csvField(value)).toBe(referenceField(value));
    const generic = (entry: UsageLogEntry) =>
      `${USAGE_CSV_COLUMNS.map((c) => referenceField(c === 'cost_usd' && entry.cost_usd !== null ? usdText(entry.cost_usd) : entry[c])).join(',')}\r\n`;
    for (let i = 0; i < 2000; i++) {
      const entry: UsageLogEntry = {
        id: one(numbers),
        created_at: one(['2025-03-20T15:30:00.000Z', '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00.000Z']),
        token_id: one([null, ...numbers]),
        token_name: one([null, ...texts]),
        model: one(texts),
        endpoint: one(texts),
        stream: one([true, false]),
        status_code: one(numbers),
        response_time_ms: one(numbers),
        ttft_ms: one([null, ...numbers]),
        prompt_tokens: one([null, ...numbers]),
        completion_tokens: one([null, ...numbers]),
        error_message: one([null, ...texts]),
        usage_estimated: one([true, false]),
        cost_usd: one([null, 0, 3.8e-8, 0.1 + 0.2, 123.456789012, -1]),
      };
      expect(csvLogRecord(entry)).toBe(generic(entry));
    }
  });

  it('names the file after the UTC day of now', () => {
    expect(usageExportFileName('csv', Date.UTC(2025, 0, 2, 23, 59, 59, 999))).toBe('usage-2025-01-02.csv');
    expect(usageExportFileName('json', Date.UTC(2025, 0, 3))).toBe('usage-2025-01-03.json');
  });

  it('writes an empty export as a header row or an empty array', async () => {
    const none = async function* (): AsyncGenerator<UsageLogEntry[]> {
      // no pages
    };
    expect(await text(usageExportChunks(none(), 'csv'))).toBe(`${USAGE_CSV_COLUMNS.join(',')}\r\n`);
    expect(JSON.parse(await text(usageExportChunks(none(), 'json')))).toEqual([]);
  });
});

describe.each(testDatabaseKinds())('UsageExportService on $kind', ({ create }) => {
  describe('content, scope and filters', () => {
    let db: UsageTestDatabase;
    let logs: UsageLogService;
    let service: UsageExportService;
    let alice: { userId: number; tokenId: number };
    let bob: { userId: number; tokenId: number };

    const exported = async (filter: UsageLogFilter, scope: UsageScope, format: 'csv' | 'json') => text((await service.open(filter, scope, format, NOW)).stream);
    const allPages = async (filter: UsageLogFilter, scope: UsageScope) => {
      const entries: UsageLogEntry[] = [];
      for await (const page of logs.pages(filter, scope, NOW)) entries.push(...page);
      return entries;
    };

    beforeAll(async () => {
      db = await openUsageTestDatabase(create);
      logs = new UsageLogService(db.dataSource);
      service = new UsageExportService(logs);
      alice = await db.anOwner();
      bob = await db.anOwner();
      const p = (i: number) => (db.dataSource.options.type === 'postgres' ? `$${i}` : '?');
      await db.dataSource.query(`UPDATE api_tokens SET name = ${p(1)} WHERE id = ${p(2)}`, ['laptop, "home"', alice.tokenId]);
      const recorder = new UsageRecorder(db.dataSource, aUsageConfig({ batch_size: 1000 }));
      const tricky = ['a, b', 'say "hi"', 'line one\nline two', 'cr\ronly', 'crlf\r\nend', '"', ',', '', '  padded  ', 'ünïcødé ✓', null];
      // 2,500 rows for alice: more than two export pages, with every awkward message.
      for (let i = 0; i < 2500; i++) {
        const errorMessage = tricky[i % tricky.length];
        recorder.record(
          aUsageRow({
            ...alice,
            createdAt: NOW - i * 60_000,
            statusCode: errorMessage === null ? 200 : 502,
            errorMessage,
            stream: i % 2 === 0,
            ttftMs: i % 2 ? null : 5,
            // Some priced, some not; tiny ones that String() would write as 1e-9.
            costUsd: errorMessage === null ? (i % 3) * 1e-9 + (i % 5) * 0.01 : null,
          }),
        );
      }
      for (let i = 0; i < 300; i++) recorder.record(aUsageRow({ ...bob, createdAt: NOW - i * 1000, model: 'bob-model', errorMessage: 'bob, only' }));
      await recorder.flush();
    });
    afterAll(() => db?.close());

    it('writes CSV that parses back to exactly the logs: header, quoting of commas, quotes and line breaks', async () => {
      const csv = await exported({}, { userId: alice.userId }, 'csv');
      const [header, ...records] = parseCsv(csv);
      expect(header).toEqual([...USAGE_CSV_COLUMNS]);
      const entries = await allPages({}, { userId: alice.userId });
      expect(entries).toHaveLength(2500);
      expect(records).toEqual(entries.map(asCsvFields));
      // The awkward values really are in there, and the token name with its comma.
      const messages = new Set(records.map((r) => r[USAGE_CSV_COLUMNS.indexOf('error_message')]));
      for (const m of ['a, b', 'say "hi"', 'line one\nline two', 'cr\ronly', 'crlf\r\nend', '"', ',']) expect(messages).toContain(m);
      expect(records[0][USAGE_CSV_COLUMNS.indexOf('token_name')]).toBe('laptop, "home"');
      const costs = new Set(records.map((r) => r[USAGE_CSV_COLUMNS.indexOf('cost_usd')]));
      for (const c of ['', '0', '0.000000001', '0.040000002']) expect(costs).toContain(c);
      expect([...costs].filter((c) => /e/i.test(c))).toEqual([]);
    });

    it('writes JSON as an array of Log objects, the same rows', async () => {
      const json = JSON.parse(await exported({}, { userId: alice.userId }, 'json'));
      expect(json).toEqual(await allPages({}, { userId: alice.userId }));
    });

    it("keeps to the scope: alice never gets bob's rows, everyone gets both", async () => {
      const ids = async (scope: UsageScope) =>
        parseCsv(await exported({}, scope, 'csv'))
          .slice(1)
          .map((r) => Number(r[0]));
      const [a, b, all] = [await ids({ userId: alice.userId }), await ids({ userId: bob.userId }), await ids('all')];
      expect(a).toHaveLength(2500);
      expect(b).toHaveLength(300);
      expect(a.filter((id) => b.includes(id))).toEqual([]);
      expect(new Set(all)).toEqual(new Set([...a, ...b]));
      expect(await exported({}, { userId: alice.userId }, 'csv')).not.toContain('bob');
    });

    it('applies days and the filters', async () => {
      const recordsOf = async (filter: UsageLogFilter) => parseCsv(await exported(filter, { userId: alice.userId }, 'csv')).slice(1);
      const today = await recordsOf({ days: 1 });
      const todayCount = (await allPages({}, { userId: alice.userId })).filter(
        (e) => e.created_at >= new Date(Math.floor(NOW / DAY_MS) * DAY_MS).toISOString(),
      ).length;
      expect(today).toHaveLength(todayCount);
      expect(todayCount).toBeLessThan(2500);
      const errors = await recordsOf({ status: 'error', q: 'LINE' });
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((r) => r[USAGE_CSV_COLUMNS.indexOf('error_message')] === 'line one\nline two')).toBe(true);
    });
  });

  describe('a 100,000-row export', () => {
    let db: UsageTestDatabase;
    let owner: { userId: number; tokenId: number };
    const ROWS = 100_000;

    beforeAll(async () => {
      db = await openUsageTestDatabase(create);
      owner = await db.anOwner();
      const recorder = new UsageRecorder(db.dataSource, aUsageConfig({ batch_size: 5000 }));
      // 700-character messages: the CSV is ~85 MB, more than the memory bound below, so
      // an export that built it in memory could not pass.
      const message = (i: number) => `${String(i).padStart(6, '0')} ${'upstream failed, retry later; '.repeat(23)}`;
      for (let i = 0; i < ROWS; i++) {
        recorder.record(aUsageRow({ ...owner, createdAt: NOW - i * 100, statusCode: 502, errorMessage: message(i) }));
        // record() never waits; flushing now and then keeps the rows in memory, not the spool.
        if (recorder.pending >= 20_000) await recorder.flush();
      }
      await recorder.flush();
    }, 300_000);
    afterAll(() => db?.close());

    it('streams to a slow reader with memory flat (< 64 MB above the start) and every row once', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const service = new UsageExportService(new UsageLogService(db.dataSource));
      gc();
      // Buffers (COPY's chunks) live outside the JavaScript heap: both count.
      const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
      const baseline = used();
      let peak = 0;
      let bytes = 0;
      let records = 0;
      let chunks = 0;
      let last = '9999';
      let ordered = true;
      let rest = '';
      const file = await service.open({}, { userId: owner.userId }, 'csv', NOW);
      // A reader slower than the database: each chunk is taken a turn of the event loop later,
      // so an exporter that ignored back-pressure would pile the file up in memory.
      const sink = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          // Chunks need not end where records do (COPY's do not): the last piece waits for the next chunk.
          const lines = (rest + chunk.toString('utf8')).split('\r\n');
          rest = lines.pop() ?? '';
          for (const line of lines) {
            if (line === '' || line.startsWith('id,')) continue;
            records += 1;
            // Newest first: created_at (the second field, ISO text) strictly falls.
            const createdAt = line.split(',', 2)[1];
            if (!(createdAt < last)) ordered = false;
            last = createdAt;
          }
          if (++chunks % 20 === 0) {
            gc();
            peak = Math.max(peak, used() - baseline);
          }
          setImmediate(done);
        },
      });
      await pipeline(file.stream, sink);
      gc();
      peak = Math.max(peak, used() - baseline);
      expect(rest).toBe('');
      expect(records).toBe(ROWS);
      expect(ordered).toBe(true);
      expect(bytes).toBeGreaterThan(64 * MIB);
      // In pieces (the row path's are ~64 KiB, COPY's up to its read-ahead), never the file at once.
      expect(chunks).toBeGreaterThan(20);
      expect(peak).toBeLessThan(64 * MIB);
    }, 300_000);
  });
});

describe('csvField against spreadsheet formula injection', () => {
  it.each(['=HYPERLINK("http://x")', '+1+2', '-2+3', '@SUM(A1)', '\tx'])('neutralises %j', (text) => {
    expect(csvField(text).replace(/^"|"$/g, '').startsWith("'")).toBe(true);
  });

  it('leaves numbers and ordinary text alone', () => {
    expect(csvField(-5)).toBe('-5');
    expect(csvField('echo')).toBe('echo');
  });
});
