import { APP_CONFIG, AppConfig } from '@lmarena-bridge/config';
import type { CreatedToken, UsageLogEntry, UsageLogPage, UsageSummary } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { UsageRecorder, UsageRetentionService, UsageRow } from '@lmarena-bridge/usage';
import type { Response } from 'supertest';
import { DashboardHarness, Session } from '../../testing/dashboard-harness';

const MINUTE_MS = 60_000;
const LOG_KEYS = [
  'id',
  'created_at',
  'token_id',
  'token_name',
  'model',
  'endpoint',
  'stream',
  'status_code',
  'response_time_ms',
  'ttft_ms',
  'prompt_tokens',
  'completion_tokens',
  'error_message',
  'usage_estimated',
  'cost_usd',
];

function expectBadRequest(res: Response, message?: RegExp): void {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
  if (message) expect(res.body.message).toContainEqual(expect.stringMatching(message));
}

/** RFC 4180 records (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  const pattern = /("((?:[^"]|"")*)"|[^",\r\n]*)(,|\r\n)/gy;
  let fields: string[] = [];
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < text.length && (match = pattern.exec(text))) {
    fields.push(match[2] !== undefined ? match[2].replace(/""/g, '"') : match[1]);
    if (match[3] === '\r\n') {
      records.push(fields);
      fields = [];
    }
  }
  if (pattern.lastIndex !== text.length || fields.length) throw new Error(`not RFC 4180 CSV at offset ${pattern.lastIndex}`);
  return records;
}

describe.each(testDatabaseKinds())('usage routes on $kind', ({ create }) => {
  let h: DashboardHarness;
  let admin: Session;
  let alice: Session;
  let bob: Session;
  let aliceToken: CreatedToken;
  let bobToken: CreatedToken;
  const ALICE_ROWS = 120;
  const BOB_ROWS = 80;

  beforeAll(async () => {
    h = await DashboardHarness.start(create);
    admin = await h.signUpAdmin();
    alice = await h.signUp();
    bob = await h.signUp();
    aliceToken = await h.createToken(alice);
    bobToken = await h.createToken(bob);
    // Requests as the proxy records them, through the real recorder: all within the last two
    // days, so every default 30-day window holds them whenever the test runs.
    const recorder = new UsageRecorder(h.dataSource, h.app.get<AppConfig>(APP_CONFIG));
    const now = Date.now();
    const row = (owner: Session, token: CreatedToken, i: number, extra: Partial<UsageRow>): UsageRow => ({
      createdAt: now - i * 17 * MINUTE_MS,
      userId: owner.user.id,
      tokenId: token.id,
      model: 'echo',
      endpoint: '/v1/chat/completions',
      stream: i % 2 === 0,
      statusCode: 200,
      responseTimeMs: 50 + i,
      ttftMs: null,
      promptTokens: 10,
      completionTokens: 20,
      errorMessage: null,
      // 10 micro-dollars a request; the failed ones (no counts) cost nothing.
      costUsd: extra.statusCode && extra.statusCode !== 200 ? null : 0.00001,
      ...extra,
    });
    for (let i = 0; i < ALICE_ROWS; i++) {
      recorder.record(
        row(
          alice,
          aliceToken,
          i,
          i % 4 === 0 ? { statusCode: 502, errorMessage: 'upstream said "no", then\r\nhung up', promptTokens: null, completionTokens: null } : {},
        ),
      );
    }
    for (let i = 0; i < BOB_ROWS; i++)
      recorder.record(row(bob, bobToken, i, { model: 'bob-model', endpoint: '/v1/messages', statusCode: 429, errorMessage: 'bob only, private' }));
    await recorder.flush();
  });
  afterAll(() => h?.close());

  describe('without a session', () => {
    it.each(['/api/usage/summary', '/api/usage/logs', '/api/usage/export'])('answers 401 on %s', async (path) => {
      await h.http().get(path).expect(401);
    });
  });

  describe('GET /api/usage/summary', () => {
    it("summarises the last 30 days of the user's own tokens by default", async () => {
      const s = (await alice.agent.get('/api/usage/summary').expect(200)).body as UsageSummary;
      expect(s).toMatchObject({
        days: 30,
        total_requests: ALICE_ROWS,
        success_requests: 90,
        error_requests: 30,
        success_rate: 0.75,
        prompt_tokens: 900,
        completion_tokens: 1800,
        cost_usd: 0.0009,
        active_tokens: 1,
      });
      expect(s.by_day).toHaveLength(30);
      expect(s.by_day[29].date).toBe(new Date().toISOString().slice(0, 10));
      expect(s.by_token).toEqual([{ token_id: aliceToken.id, name: aliceToken.name, requests: ALICE_ROWS, cost_usd: 0.0009 }]);
      expect(s.by_status).toEqual([
        { status_code: 200, count: 90 },
        { status_code: 502, count: 30 },
      ]);
      expect(s.by_model.map((m) => m.model)).toEqual(['echo']);
      expect((await alice.agent.get('/api/usage/summary?scope=mine').expect(200)).body).toEqual(s);
    });

    it("shows bob only bob's usage, and an admin everyone's with scope=all (own only without)", async () => {
      const b = (await bob.agent.get('/api/usage/summary?days=7').expect(200)).body as UsageSummary;
      expect(b).toMatchObject({ days: 7, total_requests: BOB_ROWS, error_requests: BOB_ROWS, success_rate: 0 });
      expect(b.by_token.map((t) => t.token_id)).toEqual([bobToken.id]);
      expect(b.by_model.map((m) => m.model)).toEqual(['bob-model']);
      const all = (await admin.agent.get('/api/usage/summary?scope=all').expect(200)).body as UsageSummary;
      expect(all.total_requests).toBe(ALICE_ROWS + BOB_ROWS);
      expect(all.by_token.map((t) => t.token_id).sort()).toEqual([aliceToken.id, bobToken.id].sort());
      expect(all.active_tokens).toBe(2);
      expect(((await admin.agent.get('/api/usage/summary').expect(200)).body as UsageSummary).total_requests).toBe(0);
    });

    it('answers 403 to scope=all from a user who is not an admin', async () => {
      const res = await alice.agent.get('/api/usage/summary?scope=all').expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    });

    it.each([
      ['1', 1],
      ['365', 365],
    ])('accepts days=%s', async (text, days) => {
      const s = (await alice.agent.get(`/api/usage/summary?days=${text}`).expect(200)).body as UsageSummary;
      expect(s.days).toBe(days);
      expect(s.by_day).toHaveLength(days);
    });

    it.each([
      ['days=0', /^days must not be less than 1/],
      ['days=366', /^days must not be greater than 365/],
      ['days=abc', /^days must be an integer/],
      ['days=1.5', /^days must be an integer/],
      ['days=-3', /^days must not be less than 1/],
      ['days=', /^days must be an integer/],
      ['days=1e2', /^days must be an integer/],
      ['days=1&days=2', /^days must be an integer/],
      ['scope=everyone', /^scope must be one of/],
      ['user_id=2', /^property user_id should not exist/],
    ])('answers 400 to %s', async (query, message) => {
      expectBadRequest(await alice.agent.get(`/api/usage/summary?${query}`), message);
    });
  });

  describe('GET /api/usage/logs', () => {
    /** Follows next_cursor to the end. */
    async function walk(session: Session, query: string): Promise<UsageLogEntry[]> {
      const entries: UsageLogEntry[] = [];
      let cursor: string | null = null;
      do {
        const res = await session.agent.get(`/api/usage/logs?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).expect(200);
        const page = res.body as UsageLogPage;
        entries.push(...page.logs);
        cursor = page.next_cursor;
      } while (cursor);
      return entries;
    }

    it("pages through the user's own rows, newest first, in the Log shape", async () => {
      const first = (await alice.agent.get('/api/usage/logs').expect(200)).body as UsageLogPage;
      expect(Object.keys(first).sort()).toEqual(['logs', 'next_cursor']);
      expect(first.logs).toHaveLength(100);
      expect(Object.keys(first.logs[0]).sort()).toEqual([...LOG_KEYS].sort());
      expect(first.logs[0]).toMatchObject({ token_id: aliceToken.id, token_name: aliceToken.name, model: 'echo', endpoint: '/v1/chat/completions' });
      const all = await walk(alice, 'limit=50');
      expect(all).toHaveLength(ALICE_ROWS);
      expect(new Set(all.map((l) => l.id)).size).toBe(ALICE_ROWS);
      expect(all.every((l) => l.token_id === aliceToken.id)).toBe(true);
      expect(all.map((l) => l.created_at)).toEqual([...all.map((l) => l.created_at)].sort().reverse());
    });

    it("never lists another user's rows, even asked by token id; an admin sees everyone's with scope=all", async () => {
      expect((await walk(bob, 'limit=1000')).every((l) => l.token_id === bobToken.id)).toBe(true);
      expect(((await bob.agent.get(`/api/usage/logs?token_id=${aliceToken.id}`).expect(200)).body as UsageLogPage).logs).toEqual([]);
      expect(((await bob.agent.get('/api/usage/logs?q=upstream').expect(200)).body as UsageLogPage).logs).toEqual([]);
      const everyone = await walk(admin, 'scope=all&limit=1000');
      expect(everyone).toHaveLength(ALICE_ROWS + BOB_ROWS);
      await alice.agent.get('/api/usage/logs?scope=all').expect(403);
    });

    it('filters by model, endpoint, token, status and text', async () => {
      const ids = async (session: Session, query: string) => (await walk(session, `limit=1000&${query}`)).map((l) => l.status_code);
      expect(await ids(alice, 'status=error')).toEqual(Array(30).fill(502));
      expect(await ids(alice, 'status=success')).toEqual(Array(90).fill(200));
      expect(await ids(alice, 'status=502')).toHaveLength(30);
      expect(await ids(alice, 'status=429')).toHaveLength(0);
      expect(await ids(alice, 'q=HUNG%20UP')).toHaveLength(30);
      expect(await ids(alice, `q=${encodeURIComponent(aliceToken.name.toUpperCase())}`)).toHaveLength(ALICE_ROWS);
      expect(await ids(admin, 'scope=all&model=bob-model')).toEqual(Array(BOB_ROWS).fill(429));
      expect(await ids(admin, 'scope=all&endpoint=%2Fv1%2Fmessages')).toEqual(Array(BOB_ROWS).fill(429));
      expect(await ids(alice, 'endpoint=%2Fv1%2Fchat%2Fcompletions')).toHaveLength(ALICE_ROWS);
      expect(await ids(alice, 'endpoint=%2Fv1%2Fmessages')).toHaveLength(0);
      expect(await ids(admin, `scope=all&token_id=${aliceToken.id}&status=success`)).toHaveLength(90);
    });

    it.each([
      ['limit=0', /^limit must not be less than 1/],
      ['limit=1001', /^limit must not be greater than 1000/],
      ['limit=abc', /^limit must be an integer/],
      ['token_id=abc', /^token_id must be an integer/],
      ['token_id=0', /^token_id must not be less than 1/],
      ['status=ok', /^status must be success, error or a status code/],
      ['status=600', /^status must be success, error or a status code/],
      ['cursor=not-a-cursor', /cursor/],
      [`cursor=${Buffer.from('12:x').toString('base64url')}`, /cursor/],
      ['days=0', /^days must not be less than 1/],
      ['offset=10', /^property offset should not exist/],
    ])('answers 400 to %s', async (query, message) => {
      expectBadRequest(await alice.agent.get(`/api/usage/logs?${query}`), message);
    });

    it('answers 400 to a q longer than 200 characters', async () => {
      expectBadRequest(await alice.agent.get(`/api/usage/logs?q=${'x'.repeat(201)}`), /^q must be shorter than or equal to 200 characters/);
    });

    it('answers 400 to an endpoint longer than 200 characters or given twice', async () => {
      expectBadRequest(await alice.agent.get(`/api/usage/logs?endpoint=${'x'.repeat(201)}`), /^endpoint must be shorter than or equal to 200 characters/);
      expectBadRequest(await alice.agent.get('/api/usage/logs?endpoint=%2Fv1%2Fmessages&endpoint=%2Fv1%2Fembeddings'), /^endpoint must be a string/);
    });
  });

  describe('GET /api/usage/export', () => {
    const today = () => new Date().toISOString().slice(0, 10);

    it("downloads the user's own rows as RFC 4180 CSV named after today", async () => {
      const res = await alice.agent.get('/api/usage/export?format=csv').buffer(true).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="usage-${today()}.csv"`);
      const [header, ...records] = parseCsv(res.text);
      expect(header).toEqual(LOG_KEYS);
      expect(records).toHaveLength(ALICE_ROWS);
      const message = records.map((r) => r[LOG_KEYS.indexOf('error_message')]).filter((m) => m !== '');
      expect(message).toEqual(Array(30).fill('upstream said "no", then\r\nhung up'));
      expect(records.every((r) => Number(r[LOG_KEYS.indexOf('token_id')]) === aliceToken.id)).toBe(true);
      // Cost as plain decimal text, empty for the failed requests.
      expect(new Set(records.map((r) => r[LOG_KEYS.indexOf('cost_usd')]))).toEqual(new Set(['0.00001', '']));
      expect(res.text).not.toContain('bob only');
      // CSV is the default format.
      expect((await alice.agent.get('/api/usage/export').buffer(true).expect(200)).text).toBe(res.text);
    });

    it('downloads JSON: the same logs as the request log, as an array', async () => {
      const res = await alice.agent.get('/api/usage/export?format=json&days=30').expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="usage-${today()}.json"`);
      const page = (await alice.agent.get('/api/usage/logs?limit=1000').expect(200)).body as UsageLogPage;
      expect(res.body).toEqual(page.logs);
    });

    it('keeps to the scope and the filters; scope=all is for admins', async () => {
      const bobCsv = parseCsv((await bob.agent.get('/api/usage/export').buffer(true).expect(200)).text);
      expect(bobCsv).toHaveLength(BOB_ROWS + 1);
      expect(bobCsv.slice(1).every((r) => r[LOG_KEYS.indexOf('token_name')] === bobToken.name)).toBe(true);
      const allJson = (await admin.agent.get('/api/usage/export?format=json&scope=all').expect(200)).body as UsageLogEntry[];
      expect(allJson).toHaveLength(ALICE_ROWS + BOB_ROWS);
      const errors = (await admin.agent.get(`/api/usage/export?format=json&scope=all&status=error&token_id=${aliceToken.id}`).expect(200))
        .body as UsageLogEntry[];
      expect(errors).toHaveLength(30);
      const messages = (await admin.agent.get('/api/usage/export?format=json&scope=all&endpoint=%2Fv1%2Fmessages').expect(200)).body as UsageLogEntry[];
      expect(messages.map((l) => [l.endpoint, l.token_id])).toEqual(Array(BOB_ROWS).fill(['/v1/messages', bobToken.id]));
      await alice.agent.get('/api/usage/export?scope=all').expect(403);
    });

    it.each([
      ['format=xml', /^format must be one of/],
      ['days=0', /^days must not be less than 1/],
      ['days=366', /^days must not be greater than 365/],
      ['days=abc', /^days must be an integer/],
      ['cursor=abc', /^property cursor should not exist/],
    ])('answers 400 to %s', async (query, message) => {
      expectBadRequest(await alice.agent.get(`/api/usage/export?${query}`), message);
    });
  });

  it('runs the retention job in the app: raw rows past retention_days go, the summary still counts them', async () => {
    const token = await h.createToken(admin);
    const config = h.app.get<AppConfig>(APP_CONFIG);
    const recorder = new UsageRecorder(h.dataSource, config);
    const now = Date.now();
    const DAY_MS = 24 * 60 * MINUTE_MS;
    const row = (createdAt: number): UsageRow => ({
      createdAt,
      userId: admin.user.id,
      tokenId: token.id,
      model: 'echo',
      endpoint: '/v1/chat/completions',
      stream: false,
      statusCode: 200,
      responseTimeMs: 100,
      ttftMs: null,
      promptTokens: 1,
      completionTokens: 1,
      errorMessage: null,
    });
    recorder.record(row(now - (config.usage.retention_days + 5) * DAY_MS));
    recorder.record(row(now - MINUTE_MS));
    await recorder.flush();
    const summary = async () => (await admin.agent.get('/api/usage/summary?days=365').expect(200)).body as UsageSummary;
    const logs = async () => ((await admin.agent.get('/api/usage/logs').expect(200)).body as UsageLogPage).logs;
    const before = await summary();
    expect(before.total_requests).toBe(2);
    expect(await logs()).toHaveLength(2);

    await expect(h.get(UsageRetentionService).runRetentionOnce()).resolves.toBe(1);
    expect((await logs()).map((l) => Date.parse(l.created_at))).toEqual([now - MINUTE_MS]);
    expect(await summary()).toEqual(before);
  });

  it('documents the routes in Swagger with their parameters and response schemas', async () => {
    const doc = (await h.http().get('/docs-json').expect(200)).body;
    const params = (path: string) => (doc.paths[path].get.parameters as Array<{ name: string; in: string }>).map((p) => `${p.in}:${p.name}`).sort();
    expect(params('/api/usage/summary')).toEqual(['query:days', 'query:scope']);
    expect(params('/api/usage/logs')).toEqual([
      'query:cursor',
      'query:days',
      'query:endpoint',
      'query:limit',
      'query:model',
      'query:q',
      'query:scope',
      'query:status',
      'query:token_id',
    ]);
    expect(params('/api/usage/export')).toEqual([
      'query:days',
      'query:endpoint',
      'query:format',
      'query:model',
      'query:q',
      'query:scope',
      'query:status',
      'query:token_id',
    ]);
    expect(doc.paths['/api/usage/summary'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UsageSummaryDto' });
    expect(doc.paths['/api/usage/logs'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UsageLogPageDto' });
    expect(Object.keys(doc.components.schemas.UsageSummaryDto.properties).sort()).toEqual([
      'active_tokens',
      'avg_response_time_ms',
      'by_day',
      'by_model',
      'by_status',
      'by_token',
      'completion_tokens',
      'cost_usd',
      'days',
      'error_requests',
      'p50_response_time_ms',
      'p95_response_time_ms',
      'prompt_tokens',
      'success_rate',
      'success_requests',
      'total_requests',
    ]);
    expect(Object.keys(doc.components.schemas.UsageLogEntryDto.properties).sort()).toEqual([...LOG_KEYS].sort());
    for (const dto of ['DayUsageDto', 'ModelUsageDto', 'TokenUsageDto']) expect(Object.keys(doc.components.schemas[dto].properties)).toContain('cost_usd');
  });
});
