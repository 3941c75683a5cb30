import { createHash } from 'node:crypto';
import { tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { FakeUpstream, startFakeUpstream } from '../support/fake-openai';
import { RunningServer, startServer, TestConfigDir, writeTestConfig } from '../support/servers';

const ADMIN_PASSWORD = 'admin password 1234';
const USER_PASSWORD = 'user password 5678';
const WRONG_PASSWORD = 'not the password 9999';

interface Seen {
  what: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * Security checks of issue 7 against the built servers, logging at trace level: secrets
 * (tokens, session ids, passwords, and their stored hashes) never come back after the one
 * answer that creates them and never reach the logs; the dashboard's security headers on every
 * kind of answer; the session cookie's attributes per dashboard.secure_cookies; a token is
 * only taken from the Authorization header.
 */
describe('secrets, headers and cookies', () => {
  let db: TestDatabase;
  let dir: TestConfigDir;
  let upstream: FakeUpstream;
  let proxy: RunningServer;
  let dashboard: RunningServer;
  /** Every answer after the secrets were created (creation answers excluded). */
  const seen: Seen[] = [];
  const secrets: Record<string, string> = { ADMIN_PASSWORD, USER_PASSWORD, WRONG_PASSWORD };
  const cookies: Record<string, string> = {};
  let tokens: Array<{ id: number; token: string }> = [];

  async function call(base: string, what: string, path: string, init: RequestInit & { cookie?: string } = {}, record = true): Promise<Seen> {
    const headers = new Headers(init.headers);
    if (init.cookie) headers.set('cookie', `session=${init.cookie}`);
    if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
    const res = await fetch(`${base}${path}`, { ...init, headers });
    const all: Record<string, string> = {};
    res.headers.forEach((value, name) => (all[name] = value));
    const answer: Seen = { what, status: res.status, headers: all, body: await res.text() };
    if (record) seen.push(answer);
    return answer;
  }

  async function login(username: string, password: string): Promise<{ cookie: string; setCookie: string }> {
    const res = await call(dashboard.url, `login ${username}`, '/api/auth/login', { method: 'POST', body: JSON.stringify({ username, password }) }, false);
    expect(res.status).toBe(200);
    const setCookie = res.headers['set-cookie'] ?? '';
    return { cookie: /session=([^;]+)/.exec(setCookie)?.[1] ?? '', setCookie };
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    db = tempSqliteDatabase();
    dir = writeTestConfig(
      { database: { url: db.url }, usage: { flush_interval_ms: 20 }, providers: { fake: { type: 'openai', base_url: upstream.url, timeout_ms: 2000 } } },
      { echo: { provider: 'echo' }, up: { provider: 'fake', model: 'normal' } },
    );
    // trace: the most verbose level must not print a secret either.
    [proxy, dashboard] = await Promise.all([
      startServer('proxy-api', dir.configPath, { LOG_LEVEL: 'trace' }),
      startServer('dashboard-api', dir.configPath, { LOG_LEVEL: 'trace' }),
    ]);

    // Accounts, sessions and tokens: the creation answers are the only ones allowed to show them.
    expect(
      (
        await call(
          dashboard.url,
          'init',
          '/api/admin/init',
          { method: 'POST', body: JSON.stringify({ username: 'admin', email: 'admin@example.com', password: ADMIN_PASSWORD }) },
          false,
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await call(
          dashboard.url,
          'register',
          '/api/auth/register',
          { method: 'POST', body: JSON.stringify({ username: 'alice', email: 'alice@example.com', password: USER_PASSWORD }) },
          false,
        )
      ).status,
    ).toBe(201);
    cookies['admin'] = (await login('admin', ADMIN_PASSWORD)).cookie;
    cookies['alice'] = (await login('alice', USER_PASSWORD)).cookie;
    for (const [who, name] of [
      ['admin', 'admin-token'],
      ['alice', 'alice-token'],
      ['alice', 'to-revoke'],
    ]) {
      const res = await call(dashboard.url, 'create token', '/api/tokens', { method: 'POST', body: JSON.stringify({ name }), cookie: cookies[who] }, false);
      expect(res.status).toBe(201);
      tokens.push(JSON.parse(res.body) as { id: number; token: string });
    }
    tokens.forEach((t, i) => (secrets[`token${i}`] = t.token));
    secrets['adminSession'] = cookies['admin'];
    secrets['aliceSession'] = cookies['alice'];
    // What the database stores instead of the secrets must not leak either.
    for (const [k, v] of Object.entries({ ...secrets })) if (!k.endsWith('PASSWORD')) secrets[`sha256(${k})`] = sha256(v);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([proxy?.stop(), dashboard?.stop()]);
    await upstream?.close();
    await db?.drop();
    dir?.cleanup();
  });

  it('no answer after creation shows a token, a session id, a password or their hashes (lists, admin views, usage, errors)', async () => {
    tokens = tokens.slice();
    const [adminToken, aliceToken, revoked] = tokens;
    const admin = cookies['admin'];
    const alice = cookies['alice'];
    // Use the tokens at the proxy: successes, a stream, refusals with reasons.
    for (const t of [adminToken, aliceToken, revoked]) {
      await call(proxy.url, 'chat', '/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${t.token}` },
        body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await call(proxy.url, 'stream', '/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${t.token}` },
        body: JSON.stringify({ model: 'up', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
    }
    await call(dashboard.url, 'revoke', `/api/tokens/${revoked.id}`, { method: 'DELETE', cookie: alice });
    await new Promise((r) => setTimeout(r, 1100)); // the proxy's cache notices within 1 s
    expect(
      (
        await call(proxy.url, 'revoked token', '/v1/chat/completions', {
          method: 'POST',
          headers: { authorization: `Bearer ${revoked.token}` },
          body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
        })
      ).status,
    ).toBe(401);
    await call(proxy.url, 'token with a typo', '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${aliceToken.token.slice(0, -1)}x` },
      body: '{}',
    });
    await call(proxy.url, 'token as basic auth', '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`x:${aliceToken.token}`).toString('base64')}` },
      body: '{}',
    });
    await call(proxy.url, 'bad body', '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${aliceToken.token}` },
      body: `{"model": "${aliceToken.token}"`,
    });
    await call(proxy.url, 'unknown model named like the token', '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${aliceToken.token}` },
      body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await call(proxy.url, 'models', '/v1/models', { headers: { authorization: `Bearer ${aliceToken.token}` } });
    // Every dashboard read, as each user; errors with secrets in the request.
    for (const [who, cookie] of [
      ['admin', admin],
      ['alice', alice],
    ]) {
      for (const path of [
        '/api/auth/me',
        '/api/tokens',
        '/api/admin/users',
        '/api/admin/tokens',
        '/api/usage/summary?scope=all',
        '/api/usage/logs?scope=all',
        '/api/usage/export?format=json',
        '/api/usage/export?format=csv',
        '/api/status',
      ]) {
        await call(dashboard.url, `${who} GET ${path}`, path, { cookie });
      }
    }
    await call(dashboard.url, 'wrong password', '/api/auth/login', { method: 'POST', body: JSON.stringify({ username: 'alice', password: WRONG_PASSWORD }) });
    await call(dashboard.url, 'password too long', '/api/auth/register', {
      method: 'POST',
      body: JSON.stringify({ username: 'bob', email: 'bob@example.com', password: `${USER_PASSWORD}${'x'.repeat(80)}` }),
    });
    await call(dashboard.url, 'token as a session', '/api/tokens', { cookie: aliceToken.token });
    await call(dashboard.url, 'revoke twice', `/api/tokens/${revoked.id}`, { method: 'DELETE', cookie: alice });
    await call(dashboard.url, "someone else's token", `/api/tokens/${adminToken.id}`, { method: 'DELETE', cookie: alice });
    await call(dashboard.url, 'openapi', '/docs-json');

    expect(seen.length).toBeGreaterThan(30);
    // The reads really happened (a run of errors would prove nothing).
    const status = (what: string) => seen.filter((s) => s.what === what).map((s) => s.status);
    expect(status('chat')).toEqual([200, 200, 200]);
    expect(status('stream')).toEqual([200, 200, 200]);
    for (const path of ['/api/tokens', '/api/admin/tokens', '/api/usage/logs?scope=all', '/api/usage/export?format=csv'])
      expect(status(`admin GET ${path}`)).toEqual([200]);
    expect(JSON.parse(seen.find((s) => s.what === 'admin GET /api/usage/logs?scope=all')?.body ?? '{}').logs.length).toBeGreaterThanOrEqual(4);
    const leaks = seen.flatMap((s) =>
      Object.entries(secrets)
        .filter(([, v]) => s.body.includes(v) || Object.entries(s.headers).some(([, h]) => h.includes(v)))
        .map(([k]) => `${s.what} (${s.status}) shows ${k}`),
    );
    expect(leaks).toEqual([]);
    // Revocation message names the reason, not the token.
    expect(seen.find((s) => s.what === 'revoked token')?.body).toContain('revoked');
  }, 60_000);

  it('a token is taken from the Authorization header only: in the body or the query string it is refused and never forwarded upstream', async () => {
    const secret = tokens[0].token;
    const forwardedBefore = upstream.requests.length;
    const inBody = await call(proxy.url, 'token in body', '/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: 'up', access_token: secret, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const inQuery = await call(proxy.url, 'token in query', `/v1/chat/completions?access_token=${secret}`, {
      method: 'POST',
      body: JSON.stringify({ model: 'up', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect([inBody.status, inQuery.status]).toEqual([401, 401]);
    expect(upstream.requests.length).toBe(forwardedBefore);
  });

  it('the dashboard sends its security headers on pages, API answers and every kind of error', async () => {
    const answers = [
      await call(dashboard.url, 'page', '/', { headers: { accept: 'text/html' } }),
      await call(dashboard.url, 'deep link', '/tokens', { headers: { accept: 'text/html' } }),
      await call(dashboard.url, 'api', '/api/status'),
      await call(dashboard.url, '401', '/api/tokens'),
      await call(dashboard.url, '403', '/api/admin/users', { cookie: cookies['alice'] }),
      await call(dashboard.url, '404', '/api/nope'),
      await call(dashboard.url, '400 bad JSON', '/api/auth/login', { method: 'POST', body: '{' }),
      await call(dashboard.url, '413', '/api/auth/login', { method: 'POST', body: JSON.stringify({ username: 'x'.repeat(200_000) }) }),
      await call(dashboard.url, '415', '/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json; charset=latin1' }, body: '{}' }),
      await call(dashboard.url, 'swagger', '/docs'),
    ];
    for (const a of answers) {
      const csp = a.headers['content-security-policy'] ?? '';
      expect({
        what: a.what,
        frameAncestors: csp.includes("frame-ancestors 'none'"),
        scriptSelf: csp.includes("script-src 'self'"),
        nosniff: a.headers['x-content-type-options'],
        poweredBy: a.headers['x-powered-by'] ?? null,
        referrer: a.headers['referrer-policy'],
      }).toEqual({ what: a.what, frameAncestors: true, scriptSelf: true, nosniff: 'nosniff', poweredBy: null, referrer: 'no-referrer' });
    }
  });

  it('the session cookie is HttpOnly, SameSite=Strict, Path=/, lasts the session TTL, and is Secure only with secure_cookies', async () => {
    const plain = await login('alice', USER_PASSWORD);
    const attrs = (setCookie: string) => setCookie.split(';').map((p) => p.trim().toLowerCase());
    expect(attrs(plain.setCookie)).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
    expect(attrs(plain.setCookie)).not.toContain('secure');
    const expires = Date.parse(/expires=([^;]+)/i.exec(plain.setCookie)?.[1] ?? '');
    expect(Math.abs(expires - (Date.now() + 168 * 3_600_000))).toBeLessThan(60_000);
    secrets['laterSession'] = plain.cookie;

    // The same database behind a dashboard configured for HTTPS.
    const secureDir = writeTestConfig({ database: { url: db.url }, dashboard: { secure_cookies: true } });
    const secure = await startServer('dashboard-api', secureDir.configPath, { LOG_LEVEL: 'trace' });
    try {
      const res = await fetch(`${secure.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: USER_PASSWORD }),
      });
      const setCookie = res.headers.get('set-cookie') ?? '';
      expect(attrs(setCookie)).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'secure', 'path=/']));
      const session = /session=([^;]+)/.exec(setCookie)?.[1] ?? '';
      secrets['secureSession'] = session;
      const out = await fetch(`${secure.url}/api/auth/logout`, { method: 'POST', headers: { cookie: `session=${session}` } });
      expect(out.status).toBe(204);
      expect(attrs(out.headers.get('set-cookie') ?? '')).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'secure', 'session=']));
      expect(secure.output()).not.toContain(session);
    } finally {
      await secure.stop();
      secureDir.cleanup();
    }
  });

  it('the logs of both servers (at trace level) hold none of the secrets or their hashes', async () => {
    await Promise.all([proxy.stop(), dashboard.stop()]);
    const logs = `${proxy.output()}\n${dashboard.output()}`;
    expect(logs.length).toBeGreaterThan(10_000);
    expect(
      Object.entries(secrets)
        .filter(([, v]) => logs.includes(v))
        .map(([k]) => k),
    ).toEqual([]);
    // The access log shows the redaction at work.
    expect(logs).toContain('[redacted]');
  });
});
