import { sha256Hex } from '@lmarena-bridge/auth';
import type { User } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import type { Response } from 'supertest';
import { aUser, UserInput } from '../../testing/builders';
import { DashboardHarness, parseSessionCookie, Session } from '../../testing/dashboard-harness';

const USER_KEYS = ['created_at', 'email', 'id', 'last_login_at', 'limits', 'role', 'username'];
const HOUR_MS = 3_600_000;
const SESSION_TTL_HOURS = 2;

function expectUserShape(user: User, input: UserInput, role: 'admin' | 'user'): void {
  expect(Object.keys(user).sort()).toEqual(USER_KEYS);
  expect(user).toMatchObject({ id: expect.any(Number), username: input.username, email: input.email.toLowerCase(), role });
  expect(new Date(user.created_at).toISOString()).toBe(user.created_at);
}

function expectBadRequest(res: Response, message: string | RegExp): void {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
  expect(res.body.message).toContainEqual(typeof message === 'string' ? message : expect.stringMatching(message));
}

describe.each(testDatabaseKinds())('auth routes on $kind', ({ create }) => {
  let h: DashboardHarness;
  const adminInput = aUser();
  const aliceInput = aUser();
  let initRes: Response;
  let alice: UserInput & { user: User };

  beforeAll(async () => {
    h = await DashboardHarness.start(create, { session_ttl_hours: SESSION_TTL_HOURS });
    h.track(adminInput.password);
    initRes = await h.http().post('/api/admin/init').send(adminInput);
    alice = await h.register(aliceInput);
  });
  afterAll(() => h?.close());

  describe('POST /api/admin/init', () => {
    it('creates the first user as admin (201)', () => {
      expect(initRes.status).toBe(201);
      expectUserShape(initRes.body.user, adminInput, 'admin');
      expect(initRes.body.user.last_login_at).toBeNull();
    });

    it('answers 409 once any user exists', async () => {
      const res = await h.http().post('/api/admin/init').send(aUser()).expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    });
  });

  describe('POST /api/auth/register', () => {
    it('creates an account with role user (201)', () => {
      expectUserShape(alice.user, aliceInput, 'user');
    });

    it('lower-cases the email', async () => {
      const input = aUser();
      const { user } = await h.register({ ...input, email: input.email.toUpperCase() });
      expect(user.email).toBe(input.email.toLowerCase());
    });

    it.each([
      ['the same username', () => ({ username: aliceInput.username })],
      ['the username in another letter case', () => ({ username: aliceInput.username.toUpperCase() })],
      ['the same email', () => ({ email: aliceInput.email })],
      ['the email in another letter case', () => ({ email: aliceInput.email.toUpperCase() })],
    ])('answers 409 to %s', async (_label, clash) => {
      const res = await h.http().post('/api/auth/register').send(aUser(clash())).expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.any(String) });
    });

    it('answers 400 to a password under 8 characters', async () => {
      const res = await h
        .http()
        .post('/api/auth/register')
        .send(aUser({ password: 'short12' }));
      expectBadRequest(res, 'password must be at least 8 characters');
    });

    it('answers 400 to a 73-byte password instead of truncating it, and accepts 72 bytes', async () => {
      const base = '€'.repeat(24); // 72 bytes of UTF-8
      expect(Buffer.byteLength(`${base}a`)).toBe(73);
      const tooLong = await h
        .http()
        .post('/api/auth/register')
        .send(aUser({ password: `${base}a` }));
      expectBadRequest(tooLong, 'password must be at most 72 bytes (UTF-8)');

      const input = aUser({ password: base });
      await h.register(input);
      await h.login(input);
      // What bcrypt alone would accept (the same first 72 bytes) is refused.
      h.track(`${base}a`);
      await h
        .http()
        .post('/api/auth/login')
        .send({ username: input.username, password: `${base}a` })
        .expect(401);
    });

    it.each(['not-an-email', 'a@', '@example.com', 'two@@example.com'])('answers 400 to the email %p', async (email) => {
      const res = await h.http().post('/api/auth/register').send(aUser({ email }));
      expectBadRequest(res, 'email must be a valid email address');
    });

    it.each(['ab', 'has space', 'x'.repeat(33), 'semi;colon'])('answers 400 to the username %p', async (username) => {
      const res = await h.http().post('/api/auth/register').send(aUser({ username }));
      expectBadRequest(res, /^username must be/);
    });

    it('answers 400 in the documented shape to unknown fields (a role cannot be chosen)', async () => {
      const res = await h
        .http()
        .post('/api/auth/register')
        .send({ ...aUser(), role: 'admin' })
        .expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: ['property role should not exist'] });
    });

    it('answers 400 when fields are missing', async () => {
      const res = await h.http().post('/api/auth/register').send({}).expect(400);
      expect(res.body.message).toEqual(
        expect.arrayContaining([expect.stringMatching(/^username/), expect.stringMatching(/^email/), expect.stringMatching(/^password/)]),
      );
    });
  });

  describe('POST /api/auth/register with allow_registration false', () => {
    let closed: DashboardHarness;

    beforeAll(async () => {
      closed = await DashboardHarness.start(create, { allow_registration: false });
    });
    afterAll(() => closed?.close());

    it('still lets the first admin be created, once even under concurrent requests, and answers 403 to registration', async () => {
      const inputs = [aUser(), aUser(), aUser()];
      inputs.forEach((input) => closed.track(input.password));
      const answers = await Promise.all(inputs.map((input) => closed.http().post('/api/admin/init').send(input)));
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      const res = await closed.http().post('/api/auth/register').send(aUser()).expect(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: expect.stringMatching(/registration is disabled/i) });
    });
  });

  describe('POST /api/auth/login', () => {
    it('signs in by username and sets an HttpOnly, SameSite=Strict session cookie on / without Secure', async () => {
      const before = Date.now();
      const res = await h.http().post('/api/auth/login').send({ username: aliceInput.username, password: aliceInput.password }).expect(200);
      expect(Object.keys(res.body)).toEqual(['user']);
      expectUserShape(res.body.user, aliceInput, 'user');
      expect(Date.parse(res.body.user.last_login_at)).toBeGreaterThanOrEqual(before - 1000);

      const cookie = parseSessionCookie(res.headers['set-cookie']);
      expect(cookie).not.toBeNull();
      h.track(cookie?.value ?? '');
      expect(cookie?.attributes).toMatchObject({ httponly: true, samesite: 'Strict', path: '/' });
      expect(cookie?.attributes).not.toHaveProperty('secure');
      // 32 random bytes in base64url.
      expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      expect(Buffer.from(cookie?.value ?? '', 'base64url').length).toBeGreaterThanOrEqual(32);
      // The cookie lives as long as the session: session_ttl_hours.
      const expires = Date.parse(String(cookie?.attributes['expires']));
      expect(expires).toBeGreaterThanOrEqual(before + SESSION_TTL_HOURS * HOUR_MS - 1000);
      expect(expires).toBeLessThanOrEqual(Date.now() + SESSION_TTL_HOURS * HOUR_MS);
    });

    it.each([
      ['email', () => aliceInput.email],
      ['upper-case username', () => aliceInput.username.toUpperCase()],
      ['upper-case email', () => aliceInput.email.toUpperCase()],
    ])('signs in by %s', async (_label, login) => {
      const session = await h.login({ username: login(), password: aliceInput.password });
      expect(session.user.id).toBe(alice.user.id);
    });

    it('answers byte-identical 401s to a wrong password, an unknown user and a disabled account', async () => {
      const wrongPassword = `${aliceInput.password}-wrong`;
      h.track(wrongPassword);
      const wrong = await h.http().post('/api/auth/login').send({ username: aliceInput.username, password: wrongPassword }).expect(401);
      const unknown = await h.http().post('/api/auth/login').send({ username: 'nobody-here', password: aliceInput.password }).expect(401);

      const disabledInput = aUser();
      const { user } = await h.register(disabledInput);
      await h.updateRow('users', user.id, { disabled: true });
      const disabled = await h.http().post('/api/auth/login').send({ username: disabledInput.username, password: disabledInput.password }).expect(401);

      expect(wrong.text).toBe(unknown.text);
      expect(disabled.text).toBe(unknown.text);
      expect(wrong.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
      for (const res of [wrong, unknown, disabled]) expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('answers 400 to a body without a password', async () => {
      const res = await h.http().post('/api/auth/login').send({ username: aliceInput.username });
      expectBadRequest(res, /^password/);
    });
  });

  describe('session cookie with secure_cookies true', () => {
    let secure: DashboardHarness;

    beforeAll(async () => {
      secure = await DashboardHarness.start(create, { secure_cookies: true });
    });
    afterAll(() => secure?.close());

    it('marks the session cookie, and its clearing, Secure', async () => {
      const input = aUser();
      await secure.initAdmin(input);
      const login = await secure.http().post('/api/auth/login').send({ username: input.username, password: input.password }).expect(200);
      const cookie = parseSessionCookie(login.headers['set-cookie']);
      expect(cookie?.attributes).toMatchObject({ secure: true, httponly: true, samesite: 'Strict', path: '/' });

      const logout = await secure.http().post('/api/auth/logout').set('Cookie', `session=${cookie?.value}`).expect(204);
      expect(parseSessionCookie(logout.headers['set-cookie'])?.attributes).toMatchObject({ secure: true });
    });
  });

  describe('GET /api/auth/me and POST /api/auth/logout', () => {
    let session: Session;

    beforeEach(async () => {
      session = await h.login(aliceInput);
    });

    it('answers 200 with the User (no hash, no disabled flag) for a live session', async () => {
      const res = await session.agent.get('/api/auth/me').expect(200);
      expectUserShape(res.body, aliceInput, 'user');
      expect(res.body.id).toBe(alice.user.id);
      expect(res.text).not.toMatch(/hash|disabled|password/i);
    });

    it('answers 401 without a cookie or with an unknown one', async () => {
      const res = await h.http().get('/api/auth/me').expect(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
      await h.agentWith('A'.repeat(43)).get('/api/auth/me').expect(401);
    });

    it('refuses an expired session', async () => {
      await session.agent.get('/api/auth/me').expect(200);
      const [row] = await h.dataSource.query(`SELECT id, expires_at FROM sessions WHERE session_hash = '${sha256Hex(session.sessionId)}'`);
      expect(Number(row.expires_at)).toBeGreaterThan(Date.now() + (SESSION_TTL_HOURS - 1) * HOUR_MS);
      await h.updateRow('sessions', row.id, { expires_at: Date.now() - 1 });
      await session.agent.get('/api/auth/me').expect(401);
    });

    it('logs out with 204, clears the cookie, and the old cookie no longer works', async () => {
      const res = await session.agent.post('/api/auth/logout').expect(204);
      expect(res.text).toBe('');
      const cleared = parseSessionCookie(res.headers['set-cookie']);
      expect(cleared?.value).toBe('');
      expect(cleared?.attributes).toMatchObject({ httponly: true, samesite: 'Strict', path: '/' });
      expect(Date.parse(String(cleared?.attributes['expires']))).toBeLessThan(Date.now());

      await h.agentWith(session.sessionId).get('/api/auth/me').expect(401);
      const [row] = await h.dataSource.query(`SELECT revoked_at FROM sessions WHERE session_hash = '${sha256Hex(session.sessionId)}'`);
      expect(row.revoked_at).not.toBeNull();
    });

    it('logs out only the session it was sent with', async () => {
      const other = await h.login(aliceInput);
      await session.agent.post('/api/auth/logout').expect(204);
      await other.agent.get('/api/auth/me').expect(200);
    });

    it('answers 204 to a logout without a session', async () => {
      await h.http().post('/api/auth/logout').expect(204);
    });
  });
});
