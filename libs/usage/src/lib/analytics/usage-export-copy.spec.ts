import { isDatabaseUnavailable } from '@lmarena-bridge/database';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { text } from 'node:stream/consumers';
import { seededRandom } from '../../testing/analytics-fixtures';
import { openUsageTestDatabase, Owner, UsageTestDatabase } from '../../testing/usage-builders';
import { DAY_MS } from '../recorder/usage-row';
import { csvRowWriter, USAGE_CSV_HEADER, usageExportRowChunks } from './usage-export';
import { copyChunks, crlfRecords, inlineParameters } from './usage-export-copy';
import { UsageExportService } from './usage-export.service';
import { LogRowArray, UsageLogFilter, UsageLogService } from './usage-log.service';
import { UsageScope } from './usage-scope';

const NOW = Date.UTC(2025, 2, 20, 15, 30);

describe('crlfRecords', () => {
  /** CSV records as COPY writes them (LF ends), and the same with CRLF ends. */
  const sample = () => {
    const random = seededRandom(3);
    const fields = ['a', '', '"x, y"', '"say ""hi"""', '"one\ntwo"', '"\n"', '""""', '"a\r\nb"', 'ü✓', '123'];
    const records: string[] = [];
    for (let i = 0; i < 300; i++)
      records.push(Array.from({ length: 1 + Math.floor(random() * 4) }, () => fields[Math.floor(random() * fields.length)]).join(','));
    return { lf: records.map((r) => `${r}\n`).join(''), crlf: records.map((r) => `${r}\r\n`).join('') };
  };

  it('ends every record with CRLF and leaves line breaks inside quoted fields as they are', () => {
    const { lf, crlf } = sample();
    expect(crlfRecords()(Buffer.from(lf)).toString()).toBe(crlf);
  });

  it('gives the same bytes however the input is split, down to single bytes', () => {
    const { lf, crlf } = sample();
    const bytes = Buffer.from(lf);
    for (let cut = 0; cut <= bytes.length; cut += 7) {
      const convert = crlfRecords();
      expect(Buffer.concat([convert(bytes.subarray(0, cut)), convert(bytes.subarray(cut))]).toString()).toBe(crlf);
    }
    const convert = crlfRecords();
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(convert(bytes.subarray(i, i + 1)));
    expect(Buffer.concat(out).toString()).toBe(crlf);
  });
});

describe('inlineParameters', () => {
  it('writes integers, text, booleans and null as literals, $10 apart from $1', () => {
    const values = [1, 'it\'s \\ "x"', null, true, false, -7, 'a', 'b', 'c', 'tenth'];
    expect(inlineParameters('a = $1 AND b = $2 AND c IS $3 AND $4 AND NOT $5 AND d = $6 AND e = $10', values)).toBe(
      `a = 1 AND b =  E'it''s \\\\ "x"' AND c IS NULL AND TRUE AND NOT FALSE AND d = -7 AND e = 'tenth'`,
    );
  });

  it('refuses what it cannot write exactly', () => {
    expect(() => inlineParameters('x = $1', [1.5])).toThrow(TypeError);
    expect(() => inlineParameters('x = $1', [{}])).toThrow(TypeError);
    expect(() => inlineParameters('x = $1', [])).toThrow(TypeError);
  });
});

async function* each<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

describe.each(testDatabaseKinds())('the CSV export by COPY on $kind', ({ kind, create }) => {
  let db: UsageTestDatabase;
  let logs: UsageLogService;
  let alice: Owner;
  let bob: Owner;

  /** The export from row arrays: the bytes the COPY must give. */
  const rowPath = (filter: UsageLogFilter, scope: UsageScope) => text(usageExportRowChunks(logs.rowPages(filter, scope, NOW), 'csv'));
  /** The export by COPY in slices of `sliceRows` rows, and how many slices it took. */
  const viaSlices = async (filter: UsageLogFilter, scope: UsageScope, sliceRows?: number) => {
    const copy = await logs.csvCopy(filter, scope, NOW, sliceRows);
    if (!copy) throw new Error('no COPY');
    const statements: string[] = [];
    for await (const statement of copy.statements) statements.push(statement);
    const chunks: Buffer[] = [Buffer.from(USAGE_CSV_HEADER)];
    for await (const chunk of copyChunks(copy.config, each(statements))) chunks.push(chunk);
    return { csv: Buffer.concat(chunks).toString(), statements: statements.length };
  };
  const connections = async (): Promise<number> => {
    const [{ n }] = await db.dataSource.query<Array<{ n: string }>>(`SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database()`);
    return Number(n);
  };

  /** Waits (up to 5 s) for the export's connections to be gone. */
  const closedDown = async (before: number) => {
    const deadline = Date.now() + 5000;
    while ((await connections()) > before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await connections()).toBeLessThanOrEqual(before);
  };

  beforeAll(async () => {
    db = await openUsageTestDatabase(create);
    logs = new UsageLogService(db.dataSource);
    alice = await db.anOwner();
    bob = await db.anOwner();
    const p = (i: number) => (kind === 'postgres' ? `$${i}` : '?');
    await db.dataSource.query(`UPDATE api_tokens SET name = ${p(1)} WHERE id = ${p(2)}`, ['=HYPERLINK("x")', bob.tokenId]);
    // Written straight into the table: values the recorder would never write (costs off the
    // nano-dollar, NaN and infinities, texts COPY quotes) beside everyday ones, several rows
    // in one millisecond, at the ends of the times COPY_CSV_COLUMNS covers.
    const random = seededRandom(21);
    const one = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const texts = [
      'gpt-4o',
      '',
      'a, b',
      'say "hi"',
      'one\r\ntwo',
      'line\nbreak',
      '=SUM(A1)',
      '+1',
      '-x',
      '@me',
      '\tx',
      '\rx',
      "'q",
      'ünïcødé ✓',
      ',',
      '"',
      '\\.',
      ' padded ',
    ];
    const costs = [null, 0, 3.8e-8, 0.1 + 0.2, 123.456789012, 4e-10, 5e-10, 6e-10, 1e-10, 2e6, -1, 999_999.999999999, 'NaN', 'Infinity', '-Infinity'];
    const times = [0, 1, DAY_MS - 1, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 1, 29, 23, 59, 59, 999)];
    for (let i = 0; i < 400; i++) {
      const owner = i % 4 === 0 ? bob : alice;
      const createdAt = i < times.length ? times[i] : NOW - Math.floor(i / 3) * 3_600_017 - (i % 3 === 0 ? 0 : 999);
      const values = [
        createdAt,
        owner.userId,
        i % 9 === 0 ? null : owner.tokenId,
        one(texts.filter((t) => t !== '')),
        one(['/v1/chat/completions', '/v1/embeddings', '=e']),
        random() < 0.5,
        one([200, 429, 502]),
        Math.floor(random() * 5000),
        random() < 0.5 ? null : Math.floor(random() * 900),
        random() < 0.2 ? null : Math.floor(random() * 2_000_000),
        random() < 0.2 ? null : Math.floor(random() * 2_000_000),
        random() < 0.5 ? null : one(texts),
        random() < 0.3,
        one(costs),
      ];
      const marks = values.map((_v, j) => (j === 13 && kind === 'postgres' ? `${p(j + 1)}::float8` : p(j + 1))).join(', ');
      await db.dataSource.query(
        `INSERT INTO usage_logs (created_at, user_id, token_id, model, endpoint, stream, status_code, response_time_ms, ttft_ms, prompt_tokens,
           completion_tokens, error_message, usage_estimated, cost_usd) VALUES (${marks})`,
        kind === 'postgres'
          ? values
          : values.map((v) => (typeof v === 'boolean' ? Number(v) : v === 'NaN' ? null : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)),
      );
    }
    if (kind === 'postgres') await db.dataSource.query('ANALYZE usage_logs');
  });
  afterAll(() => db?.close());

  if (kind === 'sqlite') {
    it('is not offered: the export reads row arrays', async () => {
      expect(await logs.csvCopy({}, 'all', NOW)).toBeNull();
    });
    return;
  }

  const cases: Array<[string, UsageLogFilter, UsageScope | 'alice']> = [
    ['everything', {}, 'all'],
    ['an owner', {}, 'alice'],
    ['days', { days: 7 }, 'all'],
    ['a model', { model: 'say "hi"' }, 'all'],
    ['an endpoint and a code', { endpoint: '/v1/embeddings', status: 502 }, 'alice'],
    ['a status class', { status: 'error' }, 'all'],
    ['a short q', { q: 'a,' }, 'all'],
    ['a text search', { q: 'BREAK' }, 'alice'],
    ['nothing matches', { q: 'no such text anywhere' }, 'all'],
  ];

  it.each(cases)('writes the bytes of the row path in slices of any size: %s', async (label, filter, who) => {
    const scope = who === 'alice' ? { userId: alice.userId } : who;
    const expected = await rowPath(filter, scope);
    for (const sliceRows of [1000, 60, 7]) {
      const { csv, statements } = await viaSlices(filter, scope, sliceRows);
      // 400 rows, at most 2 of them in one millisecond.
      if (label === 'everything') expect(statements).toBeGreaterThanOrEqual(sliceRows === 1000 ? 1 : Math.floor(400 / (sliceRows + 2)));
      expect(csv).toBe(expected);
    }
  });

  it('writes each record as csvRowWriter writes it, edge values included', async () => {
    const { csv } = await viaSlices({}, 'all', 90);
    const record = csvRowWriter();
    const rows: LogRowArray[] = [];
    for await (const page of logs.rowPages({}, 'all', NOW)) rows.push(...page);
    expect(rows.length).toBe(400);
    expect(csv).toBe(USAGE_CSV_HEADER + rows.map(record).join(''));
    // The values COPY treats apart from csvField appear in it.
    for (const piece of [
      '"one\r\ntwo"',
      '"say ""hi"""',
      "'=SUM(A1)",
      '\'=HYPERLINK(""x"")',
      ',\\.,',
      'T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
      ',0.000000038\r\n',
    ]) {
      expect(csv).toContain(piece);
    }
  });

  it('leaves a window with times outside 1970–9999 to the row path', async () => {
    const [{ id }] = await db.dataSource.query<Array<{ id: number }>>(
      `INSERT INTO usage_logs (created_at, user_id, token_id, model, endpoint, stream, status_code, response_time_ms, usage_estimated)
       VALUES (-1, $1, $2, 'm', '/e', false, 200, 1, false) RETURNING id`,
      [alice.userId, alice.tokenId],
    );
    try {
      expect(await logs.csvCopy({}, 'all', NOW)).toBeNull();
      const service = new UsageExportService(logs);
      expect(await text((await service.open({}, 'all', 'csv', NOW)).stream)).toBe(await rowPath({}, 'all'));
      // A window that does not reach the row is exported by COPY.
      expect(await logs.csvCopy({ days: 30 }, 'all', NOW)).not.toBeNull();
    } finally {
      await db.dataSource.query('DELETE FROM usage_logs WHERE id = $1', [id]);
    }
  });

  it('closes its connections when the reader goes away after the first chunk, and counts the export out', async () => {
    const before = await connections();
    const service = new UsageExportService(logs);
    for (let i = 0; i < 6; i++) {
      const file = await service.open({}, 'all', 'csv', NOW);
      for await (const chunk of file.stream) {
        expect(String(chunk)).toContain('id,created_at');
        break;
      }
    }
    // Six exports one after the other, more than MAX_COPY_EXPORTS: each took COPY, so each was counted out.
    await closedDown(before);
    const copy = jest.spyOn(logs, 'csvCopy');
    await text((await service.open({}, 'all', 'csv', NOW)).stream);
    expect(copy).toHaveBeenCalledTimes(1);
    copy.mockRestore();
  });

  it('closes its connections when the stream is destroyed before it is read', async () => {
    const before = await connections();
    const file = await new UsageExportService(logs).open({}, 'all', 'csv', NOW);
    file.stream.destroy();
    await closedDown(before);
  });

  it('fails the first chunk with an unavailable-database error when the server cannot be reached', async () => {
    const copy = await logs.csvCopy({}, 'all', NOW);
    const url = new URL(String(copy?.config.connectionString));
    url.port = '1';
    const chunks = copyChunks({ ...copy?.config, connectionString: url.toString() }, copy?.statements ?? each<string>([]));
    const failure = await chunks.next().catch((err: unknown) => err);
    expect(isDatabaseUnavailable(failure)).toBe(true);
  });
});
