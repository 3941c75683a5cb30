import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import type { AddressInfo } from 'node:net';
import { aToken, aUser } from '../../testing/builders';
import { DashboardHarness, parseSessionCookie, Session } from '../../testing/dashboard-harness';

describe.each(testDatabaseKinds())('host, content-type and caching rules on $kind', ({ create }) => {
  let h: DashboardHarness;
  let admin: Session;
  let port: number;

  beforeAll(async () => {
    h = await DashboardHarness.start(create);
    admin = await h.signUpAdmin();
    port = (h.server.address() as AddressInfo).port;
  });
  afterAll(() => h?.close());

  const tokenCount = async () => (await admin.agent.get('/api/tokens').expect(200)).body.tokens.length as number;

  describe('Host (dashboard.allowed_hosts, default loopback and dashboard.host)', () => {
    it('answers 421 to POST /api/tokens with Host evil.example and a matching Origin, and issues no token (DNS rebinding)', async () => {
      const before = await tokenCount();
      const res = await admin.agent
        .post('/api/tokens')
        .set('Host', `evil.example:${port}`)
        .set('Origin', `http://evil.example:${port}`)
        .send(aToken())
        .expect(421);
      expect(res.body).toEqual({ statusCode: 421, error: 'Misdirected Request', message: expect.stringMatching(/allowed_hosts/) });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.text).not.toMatch(/sk-lmarena-/);
      expect(await tokenCount()).toBe(before);
    });

    it.each(['evil.example', `evil.example:${5105}`, '127.0.0.1.evil.example', 'localhost.evil.example'])(
      'answers 421 to Host %p, for the SPA too',
      async (host) => {
        await h.http().get('/api/auth/me').set('Host', host).expect(421);
        await h.http().get('/').set('Host', host).expect(421);
      },
    );

    it.each(['/healthz', '/readyz', '/metrics'])('answers the probe %p under any Host (monitoring reaches it by address)', async (path) => {
      const res = await h.http().get(path).set('Host', '10.0.0.7:5105');
      expect(res.status).not.toBe(421);
      expect(res.status).toBeLessThan(500);
      await h.http().post(path).set('Host', '10.0.0.7:5105').expect(421);
    });

    it.each(['localhost', 'LOCALHOST:1234', '127.0.0.1', '[::1]:5105'])('serves Host %p (any port)', async (host) => {
      await admin.agent.get('/api/auth/me').set('Host', host).expect(200);
    });
  });

  describe('Origin is compared with the allowed hosts and the port of the request', () => {
    it('accepts another allowed host name on the same port', async () => {
      const res = await admin.agent.post('/api/tokens').set('Origin', `http://localhost:${port}`).send(aToken()).expect(201);
      h.track(res.body.token);
    });

    it.each([
      ['an allowed host on another port (another local app)', () => 'http://localhost:3000'],
      ['a host that is not allowed, even with Host set to match it', () => `http://evil.example:${port}`],
      ['a non-http scheme', () => `chrome-extension://abc`],
    ])('refuses %s with 403', async (_label, origin) => {
      const before = await tokenCount();
      await admin.agent.post('/api/tokens').set('Origin', origin()).send(aToken()).expect(403);
      expect(await tokenCount()).toBe(before);
    });
  });

  describe('state-changing /api requests must be application/json', () => {
    it('answers 415 to a form-encoded POST /api/tokens without Origin, and issues no token', async () => {
      const before = await tokenCount();
      const res = await admin.agent.post('/api/tokens').type('form').send('name=csrf').expect(415);
      expect(res.body).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: expect.stringMatching(/application\/json/) });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(await tokenCount()).toBe(before);
    });

    it('applies to the API path in any letter case (Express routes it case-insensitively)', async () => {
      const before = await tokenCount();
      const res = await admin.agent.post('/API/Tokens').type('form').send('name=csrf').expect(415);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(await tokenCount()).toBe(before);
    });

    it.each(['text/plain', 'multipart/form-data; boundary=x', 'application/jsonx'])('answers 415 to Content-Type %p', async (type) => {
      await admin.agent.post('/api/tokens').set('Content-Type', type).send('{"name":"x"}').expect(415);
      await h.http().post('/api/auth/login').set('Content-Type', type).send('{"username":"a","password":"b"}').expect(415);
    });

    it('accepts application/json with a charset, and requests without a body', async () => {
      const res = await admin.agent.post('/api/tokens').set('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(aToken())).expect(201);
      h.track(res.body.token);
      await admin.agent.delete(`/api/tokens/${res.body.id}`).expect(204);
      const other = await h.login({ username: admin.user.username, password: admin.password });
      await other.agent.post('/api/auth/logout').expect(204);
    });
  });

  describe('Cache-Control', () => {
    it('is no-store on every /api answer: secrets, lists, errors and unknown routes', async () => {
      const created = await admin.agent.post('/api/tokens').send(aToken()).expect(201);
      h.track(created.body.token);
      expect(created.headers['cache-control']).toBe('no-store');
      for (const res of [
        await admin.agent.get('/api/tokens').expect(200),
        await h.http().get('/api/auth/me').expect(401),
        await h.http().get('/api/no-such-route').expect(404),
        await admin.agent.post('/api/tokens').type('form').send('a=b').expect(415),
      ]) {
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });
  });
});

describe.each(testDatabaseKinds())('dashboard.public_url and an explicit allowed_hosts on $kind', ({ create }) => {
  let h: DashboardHarness;
  let admin: Session;

  beforeAll(async () => {
    h = await DashboardHarness.start(create, { public_url: 'https://dash.example.com', allowed_hosts: ['intranet.lan'] });
    const input = aUser();
    await h.http().post('/api/admin/init').set('Host', 'intranet.lan').send(input).expect(201);
    h.track(input.password);
    const login = await h
      .http()
      .post('/api/auth/login')
      .set('Host', 'dash.example.com')
      .send({ username: input.username, password: input.password })
      .expect(200);
    const cookie = parseSessionCookie(login.headers['set-cookie']);
    expect(cookie?.attributes).toMatchObject({ secure: true, httponly: true, samesite: 'Strict' });
    h.track(cookie?.value ?? '');
    admin = { user: login.body.user, password: input.password, sessionId: cookie?.value ?? '', agent: h.agentWith(cookie?.value ?? '') };
  });
  afterAll(() => h?.close());

  it('replaces the default hosts: loopback names now answer 421, the listed and public hosts are served', async () => {
    await admin.agent.get('/api/auth/me').expect(421); // supertest sends Host 127.0.0.1:<port>
    await admin.agent.get('/api/auth/me').set('Host', 'intranet.lan:8080').expect(200);
    await admin.agent.get('/api/auth/me').set('Host', 'dash.example.com').expect(200);
  });

  it('accepts the public_url as Origin behind a proxy that rewrites Host, and refuses its http twin', async () => {
    const res = await admin.agent.post('/api/tokens').set('Host', 'intranet.lan:5105').set('Origin', 'https://dash.example.com').send(aToken()).expect(201);
    h.track(res.body.token);
    await admin.agent.post('/api/tokens').set('Host', 'intranet.lan:5105').set('Origin', 'http://dash.example.com').send(aToken()).expect(403);
  });
});
