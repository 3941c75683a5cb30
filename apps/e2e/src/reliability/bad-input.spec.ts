import { Pool } from 'undici';
import { FakeUpstream, startFakeUpstream } from '../support/fake-openai';
import { Stack, startStack } from '../support/stack';
import { DbReader, Snapshot } from './support/db-snapshot';
import { ALL_STATS, check, fuzz, SEED } from './support/fuzz';
import { Answer, dashboardErrorProblem, keepAlivePool, parseJson, proxyErrorProblem, rawRequest, send } from './support/http';
import { FUZZ_MODELS, PATH, ProxyCase, proxyCases } from './support/proxy-cases';
import { rawCases } from './support/raw-cases';
import { DashboardCase, dashboardCases, DashboardFixture } from './support/dashboard-cases';

/** Signs in over HTTP and returns the session cookie's value. */
async function sessionCookie(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const cookie = /session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (res.status !== 200 || !cookie) throw new Error(`login of ${username} failed: ${res.status}`);
  return cookie;
}

/**
 * Property-based bad input (issue 7): generated requests over real keep-alive HTTP against
 * both built servers on one SQLite file. Every answer is the documented status and shape,
 * nothing is a 5xx or hangs, the servers still serve afterwards, and rejected requests leave
 * the database as it was.
 */
describe('bad input, property-based, over real HTTP', () => {
  let upstream: FakeUpstream;
  let stack: Stack;
  let db: DbReader;
  let token: { id: number; token: string };
  let before: Snapshot;
  let fixture: DashboardFixture;
  let logStart = { proxy: 0, dashboard: 0 };
  /** Tokens the dashboard fuzz created (the only requests it makes that are accepted). */
  const created: Array<{ id: number; name: string; userId: number }> = [];
  const pools: Pool[] = [];
  const pool = (url: string) => {
    const p = keepAlivePool(url);
    pools.push(p);
    return p;
  };

  beforeAll(async () => {
    console.log(`reliability fuzz seed: ${SEED} (replay with RELIABILITY_SEED=${SEED})`);
    upstream = await startFakeUpstream();
    stack = await startStack(
      {
        proxy: { max_body_mb: 1 },
        usage: { flush_interval_ms: 20 },
        // Generous limits: the throttler would otherwise answer most of the run with 429.
        dashboard: { auth_requests_per_minute: 1_000_000, login_attempts_per_minute: 100_000 },
        providers: { fake: { type: 'openai', base_url: upstream.url, timeout_ms: 5000 } },
      },
      FUZZ_MODELS,
    );
    token = await stack.admin.createToken('fuzz');
    const password = 'correct horse battery';
    const register = await fetch(`${stack.dashboard.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'fuzzuser', email: 'fuzzuser@example.com', password }),
    });
    const user = ((await register.json()) as { user: { id: number } }).user;
    const admin = (await stack.admin.request<{ id: number }>('GET', '/api/auth/me')).body;
    fixture = {
      cookies: { admin: await sessionCookie(stack.dashboard.url, 'admin', password), user: await sessionCookie(stack.dashboard.url, 'fuzzuser', password) },
      adminId: admin.id,
      userId: user.id,
      adminTokenId: token.id,
      missingId: 2_000_000_000,
    };
    db = new DbReader(stack.db.target.type === 'sqlite' ? stack.db.target.path : '');
    before = db.snapshot();
    // Log lines from here on are the run's (start-up is boot.spec's business).
    logStart = { proxy: stack.proxy.output().length, dashboard: stack.dashboard.output().length };
  }, 60_000);

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    db?.close();
    await stack?.stop();
    await upstream?.close();
    console.log(
      ALL_STATS.map((s) => `${s.name}: ${s.runs} requests in ${s.elapsedMs} ms, slowest ${s.slowestMs} ms, statuses ${JSON.stringify(s.byStatus)}`).join('\n'),
    );
  });

  /** Proxy answers: the exact status, the OpenAI error shape, and a usable 200. */
  function checkProxyAnswer(c: ProxyCase, a: Answer): void {
    const ctx = () => ({
      kind: c.kind,
      expect: c.expect,
      headers: c.req.headers.map((h) => h.slice(0, 120)),
      body: c.req.body?.toString('utf8').slice(0, 300),
      status: a.status,
      answer: a.text.slice(0, 500),
    });
    check(a.status === c.expect.status, `expected ${c.expect.status}, got ${a.status}`, ctx);
    if (a.status >= 400) {
      const problem = proxyErrorProblem(a.text);
      check(problem === null, `error body not in the OpenAI shape: ${problem}`, ctx);
      const error = (parseJson(a.text) as { error: { code: string; param: string | null } }).error;
      if (c.expect.code) check(error.code === c.expect.code, `expected code ${c.expect.code}`, ctx);
      if (c.expect.param !== undefined) check(error.param === c.expect.param, `expected param ${c.expect.param}`, ctx);
      check(String(a.headers['content-type']).startsWith('application/json'), 'error content-type', ctx);
      return;
    }
    if (String(a.headers['content-type']).startsWith('text/event-stream')) {
      check(a.text.endsWith('data: [DONE]\n\n'), 'stream must end with [DONE]', ctx);
      for (const event of a.text.split('\n\n').filter((e) => e && e !== 'data: [DONE]')) {
        const chunk = parseJson(event.replace(/^data: /, '')) as { object?: string } | undefined;
        check(chunk?.object === 'chat.completion.chunk', 'every event is a chunk', ctx);
      }
      return;
    }
    const body = parseJson(a.text) as { object?: string; choices?: Array<{ message: { content: unknown }; finish_reason: string }> } | undefined;
    check(body?.object === 'chat.completion' && typeof body.choices?.[0]?.message.content === 'string', 'a chat.completion', ctx);
    // echo returns the last user message unchanged (unicode, lone surrogates, U+FFFD from bad bytes).
    const sent = parseJson(c.req.body?.toString('utf8') ?? '') as { model?: string; messages?: Array<{ role: string; content: unknown }> } | undefined;
    if (sent?.model === 'echo' && body?.choices?.[0]?.finish_reason === 'stop' && Array.isArray(sent.messages)) {
      const last = [...sent.messages].reverse().find((m) => m.role === 'user');
      const expected = typeof last?.content === 'string' ? last.content : '';
      check(body.choices[0].message.content === expected, 'echo returns the text it was sent', ctx);
    }
  }

  let recorded = 0;
  const recordedStatuses: Record<number, number> = {};

  it('proxy, with a valid token: each defect gets its documented 4xx; valid odd input works; never a 5xx', async () => {
    const p = pool(stack.proxy.url);
    await fuzz('proxy with token', proxyCases({ token: token.token }), 3500, async (c) => {
      const a = await send(p, c.req);
      checkProxyAnswer(c, a);
      if (c.expect.recorded) {
        recorded += 1;
        recordedStatuses[a.status] = (recordedStatuses[a.status] ?? 0) + 1;
      }
      return a.status;
    });
  }, 200_000);

  it('proxy, without a usable token: 401 from the headers alone, whatever the body, never a 5xx', async () => {
    const p = pool(stack.proxy.url);
    await fuzz('proxy without token', proxyCases({ token: null }), 2500, async (c) => {
      const a = await send(p, c.req);
      checkProxyAnswer(c, a);
      return a.status;
    });
  }, 200_000);

  it("both servers, raw bytes no HTTP client would send: 400/431 from the HTTP parser in the documented shape, or the app's own answer", async () => {
    await fuzz('raw HTTP, both servers', rawCases(), 600, async (c) => {
      const server = c.server === 'proxy' ? stack.proxy : stack.dashboard;
      const a = await rawRequest(server.port, c.bytes);
      const ctx = () => ({ kind: c.kind, server: c.server, sent: c.bytes.toString('latin1').slice(0, 400), expected: c.status, answer: a.raw.slice(0, 600) });
      check(a.status === c.status, `expected ${c.status}, got ${a.status}`, ctx);
      const problem = c.server === 'proxy' ? proxyErrorProblem(a.text) : dashboardErrorProblem(a.text, a.status);
      check(problem === null, `error body not in the documented shape: ${problem}`, ctx);
      if (c.parser || c.server === 'dashboard') check(a.headers['x-content-type-options'] === 'nosniff', 'nosniff', ctx);
      if (c.parser) check(a.headers['connection'] === 'close', 'the connection is closed after a parser error', ctx);
      return a.status;
    });
  }, 120_000);

  it('dashboard: register, login, tokens and admin PATCH each answer the documented 4xx in the documented shape; never a 5xx', async () => {
    const p = pool(stack.dashboard.url);
    await fuzz('dashboard', dashboardCases(fixture), 4000, async (c: DashboardCase) => {
      const a = await send(p, c.req);
      const ctx = () => ({
        kind: c.kind,
        as: c.as,
        method: c.req.method,
        path: c.req.path,
        headers: c.req.headers.filter((_, i) => i % 2 === 0),
        body: c.req.body?.toString().slice(0, 300),
        expected: c.status,
        status: a.status,
        answer: a.text.slice(0, 400),
      });
      check(a.status === c.status, `expected ${c.status}, got ${a.status}`, ctx);
      check(
        a.headers['x-content-type-options'] === 'nosniff' && String(a.headers['content-security-policy']).includes("frame-ancestors 'none'"),
        'security headers on every answer',
        ctx,
      );
      if (a.status >= 400) {
        const problem = dashboardErrorProblem(a.text, a.status);
        check(problem === null, `error body not in the documented shape: ${problem}`, ctx);
      } else if (c.tokenName !== undefined) {
        const body = parseJson(a.text) as { id: number; name: string; token: string };
        check(body.name === c.tokenName.trim() && body.token.startsWith('sk-lmarena-'), 'the created token keeps its (trimmed) name', ctx);
        created.push({ id: body.id, name: body.name, userId: c.as === 'admin' ? fixture.adminId : fixture.userId });
      }
      return a.status;
    });
  }, 200_000);

  it('every request that passed authentication has exactly one usage row with its status; no other row was written', async () => {
    const rows = () =>
      db.all('SELECT status_code, COUNT(*) AS n FROM usage_logs WHERE token_id = ? GROUP BY status_code ORDER BY status_code', token.id) as Array<{
        status_code: number;
        n: number;
      }>;
    const expected = Object.entries(recordedStatuses)
      .map(([s, n]) => ({ status_code: Number(s), n }))
      .sort((a, b) => a.status_code - b.status_code);
    const deadline = Date.now() + 5000;
    while (db.count('usage_logs', 'token_id = ?', token.id) < recorded && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(rows()).toEqual(expected);
    expect(db.count('usage_logs')).toBe(before.usage_logs + recorded);
  });

  it('the servers still serve normal requests, logged no error, and the account tables are unchanged', async () => {
    const p = pool(stack.proxy.url);
    const ok = await send(p, {
      method: 'POST',
      path: PATH,
      headers: ['authorization', `Bearer ${token.token}`, 'content-type', 'application/json'],
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'still here' }] }),
    });
    expect(ok.status).toBe(200);
    expect((await stack.admin.request('GET', '/api/auth/me')).status).toBe(200);
    const after = db.snapshot();
    // The only rows added: the tokens created by accepted requests, with the names sent.
    const added = after.api_tokens.filter((t) => !before.api_tokens.some((b) => b['id'] === t['id']));
    expect(added.map((t) => ({ id: t['id'], name: t['name'], userId: t['user_id'] })).sort((x, y) => Number(x.id) - Number(y.id))).toEqual(
      [...created].sort((x, y) => x.id - y.id),
    );
    expect({ ...after, usage_logs: 0, api_tokens: after.api_tokens.filter((t) => !added.includes(t)) }).toEqual({ ...before, usage_logs: 0 });
    // The listing shows the same names the creation answers did.
    const listed = (await stack.admin.request<{ tokens: Array<{ id: number; name: string }> }>('GET', '/api/admin/tokens')).body.tokens;
    for (const t of created) expect(listed.find((l) => l.id === t.id)?.name).toBe(t.name);
    // pino level 50 = error: nothing failed inside either server.
    const errors = (out: string) =>
      out
        .split('\n')
        .filter((l) => /"level":(50|60)/.test(l))
        .map((l) => l.slice(0, 600));
    expect(errors(stack.proxy.output().slice(logStart.proxy))).toEqual([]);
    expect(errors(stack.dashboard.output().slice(logStart.dashboard))).toEqual([]);
  });
});
