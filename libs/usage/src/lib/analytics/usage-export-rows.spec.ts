import type { UsageLogEntry } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { text } from 'node:stream/consumers';
import { seededRandom } from '../../testing/analytics-fixtures';
import { aUsageConfig, aUsageRow, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { UsageRecorder } from '../recorder/usage-recorder.service';
import { DAY_MS } from '../recorder/usage-row';
import { csvLogRecord, csvRowWriter, isoTimes, usageExportChunks } from './usage-export';
import { UsageExportService } from './usage-export.service';
import { entryOfRow, LogRowArray, UsageLogFilter, UsageLogService } from './usage-log.service';
import { UsageScope } from './usage-scope';

const NOW = Date.UTC(2025, 2, 20, 15, 30);

describe('isoTimes', () => {
  it('gives toISOString() for any time, in any order, within a day and across days, years and signs', () => {
    const random = seededRandom(11);
    const iso = isoTimes();
    const edges = [0, -1, 1, DAY_MS - 1, DAY_MS, -DAY_MS, -DAY_MS - 1, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), Date.UTC(0, 0, 1)];
    const times = [...edges, -62198755200001, 8.64e15, -8.64e15, 8.64e15 - 1, 12.5, -0.5];
    let t = NOW;
    for (let i = 0; i < 20_000; i++) {
      // Mostly newest first a few ms to hours apart, as an export reads them; now and then anywhere.
      t = random() < 0.02 ? Math.floor((random() - 0.5) * 2 * 8.64e15) : t - Math.floor(random() ** 4 * 4 * 3_600_000);
      times.push(t);
    }
    for (const ms of times) expect(iso(ms)).toBe(new Date(ms).toISOString());
    expect(() => iso(8.64e15 + 1)).toThrow(RangeError);
    expect(() => iso(Number.NaN)).toThrow(RangeError);
  });
});

describe('csvRowWriter', () => {
  it('writes the bytes csvLogRecord writes of the same row as a Log entry, from either driver’s values', () => {
    const random = seededRandom(5);
    const one = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const texts = ['gpt-4o', '', 'a, b', 'say "hi"', 'one\r\ntwo', '=SUM(A1)', '+1', '-x', '@me', '\tx', '\rx', "'quoted", 'ünïcødé ✓', ','];
    // SQLite's numbers and 0/1, PostgreSQL's bigint text and true/false.
    const ints = [0, 1, 42, 2_147_483_647, '7', '2147483647', '0'];
    const times = [NOW, NOW - 1, 0, -1, String(NOW), '1742484600123', Date.UTC(10000, 0, 1), Date.UTC(-1, 0, 1)];
    const flags = [0, 1, true, false, '0', '1', 't', 'f'];
    const costs = [null, 0, 3.8e-8, 0.1 + 0.2, 123.456789012, 1e-10, 2e6, -1, '0.00039', Number.NaN];
    const record = csvRowWriter();
    for (let i = 0; i < 5000; i++) {
      const row: LogRowArray = [
        one(ints),
        one(times),
        one([null, ...ints]),
        one([null, ...texts]),
        one(texts),
        one(texts),
        one(flags),
        one([200, 502, '429']),
        one(ints),
        one([null, ...ints]),
        one([null, ...ints]),
        one([null, ...ints]),
        one([null, ...texts]),
        one(flags),
        one(costs),
      ];
      expect(record(row)).toBe(csvLogRecord(entryOfRow(row)));
    }
  });

  it('writes every cost as usdText writes the stored cost: whole nano-dollars, any magnitude, clamped', () => {
    const random = seededRandom(9);
    const record = csvRowWriter();
    const row = (cost: unknown): LogRowArray => [1, NOW, null, null, 'm', '/e', 0, 200, 1, null, null, null, null, 0, cost];
    const costs: unknown[] = [0, -0, 1e-9, 4e-10, 5e-10, 6e-10, 999_999.999999999, 1e6, 1e6 - 1e-9, 1_048_576, Infinity, -Infinity, '12.5', '1e-7'];
    for (let i = 0; i < 10_000; i++) {
      const scale = 10 ** Math.floor(random() * 16 - 10);
      costs.push(random() * scale, Math.floor(random() * 1e15) / 1e9, Math.floor(random() * 1e6) / 1e9);
    }
    for (const cost of costs) expect(record(row(cost))).toBe(csvLogRecord(entryOfRow(row(cost))));
  });

  it('keeps a bounded number of texts and still writes each right after forgetting them', () => {
    const record = csvRowWriter();
    for (let i = 0; i < 10_000; i++) {
      const row: LogRowArray = [i, NOW, 1, `=t${i % 5000}`, `m,${i}`, '/e', 1, 200, 1, 2, 3, 4, null, 1, null];
      expect(record(row)).toBe(csvLogRecord(entryOfRow(row)));
    }
  });
});

describe.each(testDatabaseKinds())('UsageLogService.rowPages and the export from it on $kind', ({ create }) => {
  let db: UsageTestDatabase;
  let logs: UsageLogService;
  let alice: { userId: number; tokenId: number };
  let bob: { userId: number; tokenId: number };

  const entries = async (pages: AsyncIterable<UsageLogEntry[]>) => {
    const all: UsageLogEntry[] = [];
    for await (const page of pages) all.push(...page);
    return all;
  };
  const rowEntries = async (pages: AsyncIterable<LogRowArray[]>) => {
    const all: UsageLogEntry[] = [];
    for await (const page of pages) all.push(...page.map(entryOfRow));
    return all;
  };

  beforeAll(async () => {
    db = await openUsageTestDatabase(create);
    logs = new UsageLogService(db.dataSource);
    alice = await db.anOwner();
    bob = await db.anOwner();
    const recorder = new UsageRecorder(db.dataSource, aUsageConfig({ batch_size: 1000 }));
    const messages = ['upstream timeout', 'a, b', 'say "hi"', 'line one\nline two', '=cmd', null, null, null];
    for (let i = 0; i < 600; i++) {
      const owner = i % 3 === 0 ? bob : alice;
      recorder.record(
        aUsageRow({
          ...owner,
          // Several rows in the same millisecond: the cursor's id term must split them right.
          createdAt: NOW - Math.floor(i / 3) * 7_200_000,
          model: ['gpt-4o', 'claude', 'echo'][i % 3],
          endpoint: i % 5 === 0 ? '/v1/embeddings' : '/v1/chat/completions',
          statusCode: messages[i % messages.length] === null ? 200 : [502, 429][i % 2],
          errorMessage: messages[i % messages.length],
          stream: i % 2 === 0,
          ttftMs: i % 4 ? null : 9,
          usageEstimated: i % 7 === 0,
          costUsd: i % 3 ? null : (i % 11) * 1e-9 + 0.02,
        }),
      );
    }
    await recorder.flush();
  });
  afterAll(() => db?.close());

  const cases: Array<[string, UsageLogFilter, UsageScope]> = [
    ['everything', {}, 'all'],
    ['an owner', {}, { userId: 0 }],
    ['days', { days: 7 }, 'all'],
    ['a model', { model: 'claude' }, 'all'],
    ['a token', { tokenId: -1 }, 'all'],
    ['an endpoint and a code', { endpoint: '/v1/embeddings', status: 502 }, 'all'],
    ['a status class', { status: 'error' }, 'all'],
    ['a short q', { q: 'a,' }, 'all'],
    ['a text search', { q: 'TIMEOUT' }, { userId: 0 }],
    ['a text search over model names', { q: 'gpt' }, 'all'],
  ];
  const scoped = (scope: UsageScope): UsageScope => (scope === 'all' ? 'all' : { userId: alice.userId });
  const filtered = (filter: UsageLogFilter): UsageLogFilter => (filter.tokenId === undefined ? filter : { ...filter, tokenId: alice.tokenId });

  it.each(cases)('reads the rows pages() reads, in the same order, across pages: %s', async (_label, filter, scope) => {
    for (const ftsFew of [2000, 1]) {
      // ftsFew 1: the text search takes the ordered walk over messages (on PostgreSQL, in a transaction of its own).
      logs.ftsFew = ftsFew;
      const expected = await entries(logs.pages(filtered(filter), scoped(scope), NOW, 7));
      expect(expected.length).toBeGreaterThan(0);
      expect(await rowEntries(logs.rowPages(filtered(filter), scoped(scope), NOW, 7))).toEqual(expected);
      expect(await rowEntries(logs.rowPages(filtered(filter), scoped(scope), NOW))).toEqual(expected);
    }
    logs.ftsFew = 2000;
  });

  it('reads nothing for a token of another owner or a filter no row matches', async () => {
    expect(await rowEntries(logs.rowPages({ tokenId: bob.tokenId }, { userId: alice.userId }, NOW))).toEqual([]);
    expect(await rowEntries(logs.rowPages({ q: 'no such text anywhere' }, 'all', NOW))).toEqual([]);
  });

  it('reads no page past the one under way when the reader goes away', async () => {
    const rowPages = logs.rowPages.bind(logs);
    let pulled = 0;
    const spy = jest.spyOn(logs, 'rowPages').mockImplementation(async function* (...args: Parameters<UsageLogService['rowPages']>) {
      for await (const page of rowPages(args[0], args[1], args[2], 50)) {
        pulled += 1;
        yield page;
      }
    });
    try {
      const file = await new UsageExportService(logs).open({}, 'all', 'csv', NOW);
      for await (const chunk of file.stream) {
        expect(String(chunk)).toContain('id,created_at');
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(file.stream.destroyed).toBe(true);
      // 600 rows are 12 pages of 50; the first was read by open(), at most one more since.
      expect(pulled).toBeLessThanOrEqual(2);
    } finally {
      spy.mockRestore();
    }
  });

  it.each(cases)('exports the bytes the Log entries give, CSV and JSON: %s', async (_label, filter, scope) => {
    const service = new UsageExportService(logs);
    for (const format of ['csv', 'json'] as const) {
      const file = await service.open(filtered(filter), scoped(scope), format, NOW);
      expect(await text(file.stream)).toBe(await text(usageExportChunks(logs.pages(filtered(filter), scoped(scope), NOW), format)));
    }
  });
});
