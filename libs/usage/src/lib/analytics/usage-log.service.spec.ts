import type { UsageLogEntry } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { BadRequestException } from '@nestjs/common';
import { aRandomRow, picker, seededRandom } from '../../testing/analytics-fixtures';
import { aUsageConfig, aUsageRow, openUsageTestDatabase, UsageTestDatabase } from '../../testing/usage-builders';
import { UsageRecorder } from '../recorder/usage-recorder.service';
import { DAY_MS, UsageRow, utcDay } from '../recorder/usage-row';
import { encodeLogCursor } from './log-cursor';
import { parseLogStatusFilter, UsageLogFilter, UsageLogPageQuery, UsageLogService } from './usage-log.service';
import { UsageScope } from './usage-scope';

const NOW = Date.UTC(2025, 2, 20, 15, 30);

/** A stored row as the test knows it: what was recorded plus its id and token name. */
interface Known extends UsageRow {
  id: number;
  tokenName: string;
}

describe.each(testDatabaseKinds())('UsageLogService on $kind', ({ create }) => {
  let db: UsageTestDatabase;
  let recorder: UsageRecorder;
  let service: UsageLogService;
  let alice: { userId: number; tokens: number[] };
  let bob: { userId: number; tokens: number[] };
  const pick = picker(seededRandom(7));

  /** Every stored row, read back plainly (ids come from the database). */
  async function known(): Promise<Known[]> {
    const rows: Array<Record<string, unknown>> = await db.dataSource.query(
      'SELECT l.*, t.name AS token_name FROM usage_logs l LEFT JOIN api_tokens t ON t.id = l.token_id',
    );
    return rows.map((r) => ({
      id: Number(r['id']),
      createdAt: Number(r['created_at']),
      userId: Number(r['user_id']),
      tokenId: Number(r['token_id']),
      tokenName: String(r['token_name']),
      model: String(r['model']),
      endpoint: String(r['endpoint']),
      stream: Boolean(r['stream']),
      statusCode: Number(r['status_code']),
      responseTimeMs: Number(r['response_time_ms']),
      ttftMs: r['ttft_ms'] === null ? null : Number(r['ttft_ms']),
      promptTokens: r['prompt_tokens'] === null ? null : Number(r['prompt_tokens']),
      completionTokens: r['completion_tokens'] === null ? null : Number(r['completion_tokens']),
      errorMessage: (r['error_message'] as string | null) ?? null,
    }));
  }

  const newestFirst = (a: Known, b: Known) => b.createdAt - a.createdAt || b.id - a.id;

  /** Follows next_cursor to the end; every page but the last is full. */
  async function walk(query: UsageLogPageQuery, scope: UsageScope, between?: () => Promise<void>): Promise<UsageLogEntry[]> {
    const limit = query.limit ?? 100;
    const seen: UsageLogEntry[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await service.page({ ...query, cursor }, scope, NOW);
      seen.push(...page.logs);
      if (page.next_cursor === null) {
        expect(page.logs.length).toBeLessThanOrEqual(limit);
        return seen;
      }
      expect(page.logs).toHaveLength(limit);
      cursor = page.next_cursor;
      await between?.();
    }
    throw new Error('the cursor never ended');
  }

  beforeAll(async () => {
    db = await openUsageTestDatabase(create);
    recorder = new UsageRecorder(db.dataSource, aUsageConfig({ batch_size: 500 }));
    service = new UsageLogService(db.dataSource);
    const a = await db.anOwner();
    alice = { userId: a.userId, tokens: [a.tokenId, await db.aToken(a.userId)] };
    const b = await db.anOwner();
    bob = { userId: b.userId, tokens: [b.tokenId] };
    const p = (i: number) => (db.dataSource.options.type === 'postgres' ? `$${i}` : '?');
    await db.dataSource.query(`UPDATE api_tokens SET name = ${p(1)} WHERE id = ${p(2)}`, ['Work Laptop', alice.tokens[1]]);
    // Non-ASCII capitals: SQLite's LOWER() leaves them, PostgreSQL's folds them.
    await db.dataSource.query(`UPDATE api_tokens SET name = ${p(1)} WHERE id = ${p(2)}`, ['Büro Ärger 50%_x', bob.tokens[0]]);

    const owners = [...alice.tokens.map((tokenId) => ({ userId: alice.userId, tokenId })), { userId: bob.userId, tokenId: bob.tokens[0] }];
    for (let i = 0; i < 1500; i++) {
      // Rows on several endpoints, so the endpoint filter has something to tell apart.
      const fixed = { ...pick.one(owners), createdAt: NOW - pick.int(0, 5 * DAY_MS), model: pick.one(['echo', 'gpt-x', 'Claude 3']) };
      recorder.record(aRandomRow(pick, { ...fixed, endpoint: pick.one(['/v1/chat/completions', '/v1/messages', '/v1/embeddings']) }));
    }
    // 150 requests in the same millisecond: only the id tells them apart.
    for (let i = 0; i < 150; i++) recorder.record(aRandomRow(pick, { ...pick.one(owners), createdAt: NOW - DAY_MS, model: 'echo' }));
    // Text that LIKE would misread if it were not escaped.
    for (const errorMessage of [
      'quota 100% used',
      'quota 1000 used',
      'bad a_b value',
      'bad axb value',
      'path C:\\tmp',
      'Upstream TIMEOUT',
      'Größe überschritten',
      'ÜBER LIMIT erreicht',
      'quota über limit',
    ]) {
      recorder.record(aUsageRow({ userId: alice.userId, tokenId: alice.tokens[0], createdAt: NOW - 1000, statusCode: 500, errorMessage }));
    }
    await recorder.flush();
  });
  afterAll(() => db?.close());

  const scopes = (): Array<[string, UsageScope, (r: Known) => boolean]> => [
    ['alice', { userId: alice.userId }, (r) => r.userId === alice.userId],
    ['bob', { userId: bob.userId }, (r) => r.userId === bob.userId],
    ['everyone', 'all', () => true],
  ];

  /** The filter applied plainly. */
  function matches(filter: UsageLogFilter, r: Known): boolean {
    if (filter.model !== undefined && r.model !== filter.model) return false;
    if (filter.endpoint !== undefined && r.endpoint !== filter.endpoint) return false;
    if (filter.tokenId !== undefined && r.tokenId !== filter.tokenId) return false;
    const ok = r.statusCode >= 200 && r.statusCode < 300;
    if (filter.status === 'success' && !ok) return false;
    if (filter.status === 'error' && ok) return false;
    if (typeof filter.status === 'number' && r.statusCode !== filter.status) return false;
    if (filter.days !== undefined && utcDay(r.createdAt) < utcDay(NOW) - filter.days + 1) return false;
    if (filter.q !== undefined) {
      const q = filter.q.toLowerCase();
      if (![r.model, r.tokenName, r.errorMessage ?? ''].some((text) => text.toLowerCase().includes(q))) return false;
    }
    return true;
  }

  // Filters are made when the test runs: the token ids exist only after beforeAll.
  const filters = (): Array<[string, () => UsageLogFilter]> => [
    ['no filter', () => ({})],
    ['model', () => ({ model: 'gpt-x' })],
    ['endpoint', () => ({ endpoint: '/v1/messages' })],
    ['endpoint no row has', () => ({ endpoint: '/v1/responses' })],
    ['endpoint and model', () => ({ endpoint: '/v1/embeddings', model: 'gpt-x' })],
    ['token', () => ({ tokenId: alice.tokens[1] })],
    ['success', () => ({ status: 'success' })],
    ['error', () => ({ status: 'error' })],
    ['status 499', () => ({ status: 499 })],
    ['status 201 (none)', () => ({ status: 201 })],
    ['days=2', () => ({ days: 2 })],
    ['q in a model, any case', () => ({ q: 'CLAUDE' })],
    ['q in a token name', () => ({ q: 'laptop' })],
    ['q in an error message', () => ({ q: 'timeout' })],
    ['q with %', () => ({ q: '100%' })],
    ['q with _', () => ({ q: 'a_b' })],
    ['q with a backslash', () => ({ q: 'c:\\' })],
    ['q with a quote', () => ({ q: '"model"' })],
    ['q with non-ASCII letters', () => ({ q: 'Größe über' })],
    ['q with non-ASCII letters, in another case where ASCII', () => ({ q: 'gRößE' })],
    ['everything at once', () => ({ model: 'echo', status: 'error', q: 'reset', days: 4 })],
  ];

  it.each([
    ['a page of 100 (the default)', undefined],
    ['pages of 37', 37],
    ['pages of 1000', 1000],
  ])('walks %s over every row of the scope exactly once, newest first', async (_label, limit) => {
    const all = await known();
    for (const [who, scope, mine] of scopes()) {
      const got = await walk({ limit }, scope);
      expect({ who, ids: got.map((l) => l.id) }).toEqual({
        who,
        ids: all
          .filter(mine)
          .sort(newestFirst)
          .map((r) => r.id),
      });
    }
  });

  it.each(filters())('filters by %s exactly as a plain computation does, in every scope', async (_label, makeFilter) => {
    const filter = makeFilter();
    const all = await known();
    let nonEmpty = 0;
    for (const [who, scope, mine] of scopes()) {
      const expected = all
        .filter((r) => mine(r) && matches(filter, r))
        .sort(newestFirst)
        .map((r) => r.id);
      const got = await walk({ ...filter, limit: 250 }, scope);
      expect({ who, ids: got.map((l) => l.id) }).toEqual({ who, ids: expected });
      if (expected.length) nonEmpty += 1;
    }
    if (filter.status !== 201 && filter.endpoint !== '/v1/responses') expect(nonEmpty).toBeGreaterThan(0);
  });

  it('escapes LIKE wildcards: 100% does not match 1000, a_b does not match axb', async () => {
    const messages = async (q: string) => (await walk({ q }, { userId: alice.userId })).map((l) => l.error_message);
    expect(await messages('100%')).toEqual(['quota 100% used']);
    expect(await messages('a_b')).toEqual(['bad a_b value']);
    expect(await messages('C:\\TMP')).toEqual(['path C:\\tmp']);
    const percent = await messages('%');
    expect(percent).toContain('quota 100% used');
    expect(percent.filter((m) => !m?.includes('%'))).toEqual([]);
  });

  /**
   * The answer as the log gave it before its indexes and arms: one plain statement with the
   * LOWER() LIKE LOWER() search on the engine itself (so each engine's own case folding is the
   * reference, not JavaScript's), every matching row in (created_at, id) descending order.
   */
  async function todaysAnswer(filter: UsageLogFilter, scope: UsageScope): Promise<number[]> {
    const postgres = db.dataSource.options.type === 'postgres';
    const values: unknown[] = [];
    const add = (v: unknown) => (values.push(v), postgres ? `$${values.length}` : '?');
    const where: string[] = [];
    if (scope !== 'all') where.push(`l.user_id = ${add(scope.userId)}`);
    if (filter.tokenId !== undefined) where.push(`l.token_id = ${add(filter.tokenId)}`);
    if (filter.days !== undefined) where.push(`l.created_at >= ${add((utcDay(NOW) - filter.days + 1) * DAY_MS)}`);
    if (filter.model !== undefined) where.push(`l.model = ${add(filter.model)}`);
    if (filter.endpoint !== undefined) where.push(`l.endpoint = ${add(filter.endpoint)}`);
    if (filter.status === 'success') where.push('l.status_code >= 200 AND l.status_code < 300');
    else if (filter.status === 'error') where.push('(l.status_code < 200 OR l.status_code >= 300)');
    else if (filter.status !== undefined) where.push(`l.status_code = ${add(filter.status)}`);
    if (filter.q) {
      const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const like = (column: string) => `LOWER(${column}) LIKE LOWER(${add(pattern)}) ESCAPE '\\'`;
      where.push(`(${like('l.model')} OR ${like('t.name')} OR ${like('l.error_message')})`);
    }
    const rows: Array<{ id: unknown }> = await db.dataSource.query(
      `SELECT l.id FROM usage_logs l LEFT JOIN api_tokens t ON t.id = l.token_id ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY l.created_at DESC, l.id DESC`,
      values,
    );
    return rows.map((r) => Number(r.id));
  }

  /** Single filters, rare and absent values, combinations, and text that the indexes fold or tokenize differently. */
  const everyFilter = (): Array<[string, UsageLogFilter]> => {
    const texts = [
      'claude',
      'CLAUDE 3',
      'LAPTOP',
      'work lap',
      'timeout',
      'UpStReAm',
      'reset',
      'echo',
      'token',
      '100%',
      '50%_',
      'a_b',
      'c:\\',
      'C:\\TMP',
      '"model"',
    ];
    const unicode = ['ärger', 'ÄRGER', 'Ärger', 'über', 'ÜBER', 'Über', 'größe', 'GRÖSSE', 'büro ä'];
    const short = ['ec', 'É', '%', '_x', 'xyzzy-none'];
    const singles: Array<[string, UsageLogFilter]> = [
      ...['echo', 'gpt-x', 'Claude 3', 'claude 3', 'absent-model'].map((model): [string, UsageLogFilter] => [`model ${model}`, { model }]),
      ...[alice.tokens[0], alice.tokens[1], bob.tokens[0], 999_999].map((tokenId): [string, UsageLogFilter] => [`token ${tokenId}`, { tokenId }]),
      ...(['success', 'error', 499, 500, 201, 200] as const).map((status): [string, UsageLogFilter] => [`status ${status}`, { status }]),
      ...['/v1/messages', '/v1/embeddings', '/v1/responses'].map((endpoint): [string, UsageLogFilter] => [`endpoint ${endpoint}`, { endpoint }]),
      ...[...texts, ...unicode, ...short].map((q): [string, UsageLogFilter] => [`q ${q}`, { q }]),
    ];
    const combos: Array<[string, UsageLogFilter]> = [
      ['model + error', { model: 'echo', status: 'error' }],
      ['model + success', { model: 'gpt-x', status: 'success' }],
      ['model + 499', { model: 'Claude 3', status: 499 }],
      ['absent model + error', { model: 'absent-model', status: 'error' }],
      ['token + model', { tokenId: alice.tokens[1], model: 'gpt-x' }],
      ["another owner's token + model", { tokenId: bob.tokens[0], model: 'echo' }],
      ['token + error', { tokenId: alice.tokens[0], status: 'error' }],
      ['token + 201 (none)', { tokenId: alice.tokens[0], status: 201 }],
      ['endpoint + model', { endpoint: '/v1/embeddings', model: 'echo' }],
      ['endpoint + error', { endpoint: '/v1/messages', status: 'error' }],
      ['endpoint + success + token', { endpoint: '/v1/messages', status: 'success', tokenId: alice.tokens[0] }],
      ['q + model', { q: 'upstream', model: 'gpt-x' }],
      ['q matching the model + that model', { q: 'claude', model: 'Claude 3' }],
      ['q matching a model + another model', { q: 'claude', model: 'echo' }],
      ['q + error', { q: 'echo', status: 'error' }],
      ['q + success', { q: 'laptop', status: 'success' }],
      ['q + token', { q: 'echo', tokenId: alice.tokens[1] }],
      ['q on the token name + that token', { q: 'laptop', tokenId: alice.tokens[1] }],
      ['q on the token name + another token', { q: 'laptop', tokenId: alice.tokens[0] }],
      ['q + days', { q: 'reset', days: 2 }],
      ['q + endpoint + 500', { q: 'upstream', endpoint: '/v1/chat/completions', status: 500 }],
      ['short q + model', { q: 'ec', model: 'echo' }],
      ['everything', { model: 'echo', status: 'error', q: 'reset', days: 4, endpoint: '/v1/chat/completions', tokenId: alice.tokens[0] }],
    ];
    return [...singles, ...combos];
  };

  it.each([
    ['with few text candidates (fetched by id)', 2000],
    ['with many text candidates (the ordered walk)', 2],
  ])('answers every filter, rare value and combination as the plain scan did, page by page, %s', async (_label, few) => {
    service.ftsFew = few;
    const carol = await db.anOwner();
    try {
      for (const [label, filter] of everyFilter()) {
        for (const [who, scope] of [...scopes(), ['carol (no rows)', { userId: carol.userId }] as const]) {
          const expected = await todaysAnswer(filter, scope);
          for (const limit of expected.length > 0 && expected.length < 400 ? [100, 7] : [100]) {
            const got = await walk({ ...filter, limit }, scope);
            expect({ label, who, limit, ids: got.map((l) => l.id) }).toEqual({ label, who, limit, ids: expected });
          }
        }
      }
    } finally {
      service.ftsFew = 2000;
    }
  });

  it('finds text the engines fold differently exactly as each engine did', async () => {
    const postgres = db.dataSource.options.type === 'postgres';
    const names = async (q: string) => [...new Set((await walk({ q }, 'all')).map((l) => l.token_name))];
    const messages = async (q: string) => [...new Set((await walk({ q }, 'all')).map((l) => l.error_message))].sort();
    // SQLite's LOWER() folds ASCII letters only: Ä is not ä there, the FTS candidates it folds are re-checked away.
    expect(await names('ärger')).toEqual(postgres ? ['Büro Ärger 50%_x'] : []);
    expect(await names('Ärger')).toEqual(['Büro Ärger 50%_x']);
    expect(await messages('über limit')).toEqual(postgres ? ['quota über limit', 'ÜBER LIMIT erreicht'].sort() : ['quota über limit']);
    expect(await messages('ÜBER LIMIT')).toEqual(postgres ? ['quota über limit', 'ÜBER LIMIT erreicht'].sort() : ['ÜBER LIMIT erreicht']);
  });

  it('returns every row exactly once while new rows arrive between pages', async () => {
    const before = (await known())
      .filter((r) => r.userId === alice.userId)
      .sort(newestFirst)
      .map((r) => r.id);
    let arrived = 0;
    const got = await walk({ limit: 50 }, { userId: alice.userId }, async () => {
      // New requests land while the user is reading: newer than anything listed so far.
      for (let i = 0; i < 7; i++) recorder.record(aUsageRow({ userId: alice.userId, tokenId: alice.tokens[0], createdAt: NOW + ++arrived }));
      await recorder.flush();
    });
    expect(arrived).toBeGreaterThan(0);
    const ids = got.map((l) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(before);
    // The next first page starts with the newest arrival.
    const first = await service.page({ limit: 1 }, { userId: alice.userId }, NOW);
    expect(first.logs[0].created_at).toBe(new Date(NOW + arrived).toISOString());
  });

  it('answers the Log shape: ISO time, token name, booleans and nulls as stored', async () => {
    recorder.record(
      aUsageRow({
        userId: bob.userId,
        tokenId: bob.tokens[0],
        createdAt: NOW + DAY_MS,
        model: 'gpt-x',
        endpoint: '/v1/chat/completions',
        stream: true,
        statusCode: 200,
        responseTimeMs: 1234,
        ttftMs: 56,
        promptTokens: 7,
        completionTokens: 0,
        errorMessage: null,
        usageEstimated: true,
        costUsd: 0.000000038,
      }),
    );
    recorder.record(
      aUsageRow({
        userId: bob.userId,
        tokenId: bob.tokens[0],
        createdAt: NOW + DAY_MS - 1,
        stream: false,
        statusCode: 502,
        responseTimeMs: 9,
        ttftMs: null,
        promptTokens: null,
        completionTokens: null,
        errorMessage: 'upstream reset',
      }),
    );
    await recorder.flush();
    const { logs } = await service.page({ limit: 2 }, { userId: bob.userId }, NOW);
    const name = (await known()).find((r) => r.tokenId === bob.tokens[0])?.tokenName;
    expect(logs).toEqual([
      {
        id: expect.any(Number),
        created_at: new Date(NOW + DAY_MS).toISOString(),
        token_id: bob.tokens[0],
        token_name: name,
        model: 'gpt-x',
        endpoint: '/v1/chat/completions',
        stream: true,
        status_code: 200,
        response_time_ms: 1234,
        ttft_ms: 56,
        prompt_tokens: 7,
        completion_tokens: 0,
        error_message: null,
        usage_estimated: true,
        cost_usd: 0.000000038,
      },
      {
        id: expect.any(Number),
        created_at: new Date(NOW + DAY_MS - 1).toISOString(),
        token_id: bob.tokens[0],
        token_name: name,
        model: 'echo',
        endpoint: '/v1/chat/completions',
        stream: false,
        status_code: 502,
        response_time_ms: 9,
        ttft_ms: null,
        prompt_tokens: null,
        completion_tokens: null,
        error_message: 'upstream reset',
        usage_estimated: false,
        cost_usd: null,
      },
    ]);
  });

  it('ends with next_cursor null when the last page is exactly full', async () => {
    const owner = await db.anOwner();
    for (let i = 0; i < 4; i++) recorder.record(aUsageRow({ ...owner, createdAt: NOW - i }));
    await recorder.flush();
    const first = await service.page({ limit: 2 }, { userId: owner.userId }, NOW);
    expect(first.next_cursor).not.toBeNull();
    const second = await service.page({ limit: 2, cursor: first.next_cursor }, { userId: owner.userId }, NOW);
    expect(second.logs).toHaveLength(2);
    expect(second.next_cursor).toBeNull();
    expect(await service.page({}, { userId: (await db.anOwner()).userId }, NOW)).toEqual({ logs: [], next_cursor: null });
  });

  it.each([
    ['not base64url', 'abc!'],
    ['padded base64', `${Buffer.from('1:1').toString('base64')}=`],
    ['base64url of text', Buffer.from('hello').toString('base64url')],
    ['a missing id', Buffer.from('1700000000000:').toString('base64url')],
    ['id 0', Buffer.from('1700000000000:0').toString('base64url')],
    ['an id past the integer range', Buffer.from('1700000000000:2147483648').toString('base64url')],
    ['a negative time', Buffer.from('-5:3').toString('base64url')],
    ['leading zeros (not the canonical form)', Buffer.from('01:3').toString('base64url')],
    ['a long string', 'A'.repeat(500)],
  ])('refuses a cursor that is %s with a 400', async (_label, cursor) => {
    const attempt = service.page({ cursor }, 'all', NOW);
    await expect(attempt).rejects.toThrow(BadRequestException);
    await expect(attempt).rejects.toMatchObject({ response: { statusCode: 400, error: 'Bad Request', message: [expect.stringMatching(/cursor/)] } });
  });

  it('accepts its own cursors and reads them as (created_at, id)', () => {
    expect(encodeLogCursor({ createdAt: 1_700_000_000_123, id: 42 })).toBe(Buffer.from('1700000000123:42').toString('base64url'));
  });

  it.each([0, 1001, 2.5])('refuses limit %p', async (limit) => {
    await expect(service.page({ limit }, 'all', NOW)).rejects.toThrow(RangeError);
  });

  it('reads the status filter: success, error or a code from 100 to 599', () => {
    expect(['success', 'error', '200', '499', '599', '100', '600', '99', 'ok', '2xx', '20O'].map(parseLogStatusFilter)).toEqual([
      'success',
      'error',
      200,
      499,
      599,
      100,
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});
