import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aToken, aUser } from '../../testing/builders';
import { DashboardHarness, Session } from '../../testing/dashboard-harness';

const EVIL = 'http://evil.example';

describe.each(testDatabaseKinds())('CSRF defence (same-origin check) on $kind', ({ create }) => {
  let h: DashboardHarness;
  let alice: Session;

  beforeAll(async () => {
    h = await DashboardHarness.start(create);
    alice = await h.signUpAdmin();
  });
  afterAll(() => h?.close());

  const tokenCount = async () => (await alice.agent.get('/api/tokens').expect(200)).body.tokens.length as number;

  describe('POST /api/tokens with the session cookie', () => {
    it.each([
      ['Origin from another site', () => ({ Origin: EVIL })],
      ['Referer from another site', () => ({ Referer: `${EVIL}/attack.html` })],
      ['Origin "null" (sandboxed frame, file://)', () => ({ Origin: 'null' })],
      ['Origin with the same host but another port', () => ({ Origin: 'http://127.0.0.1:1' })],
      ['a cross-site Origin even with a same-origin Referer', () => ({ Origin: EVIL, Referer: `${h.origin}/tokens` })],
    ])('answers 403 to %s and creates nothing', async (_label, headers) => {
      const before = await tokenCount();
      const res = await alice.agent.post('/api/tokens').set(headers()).send(aToken()).expect(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: expect.any(String) });
      expect(await tokenCount()).toBe(before);
    });

    it('answers 201 with the dashboard origin as Origin', async () => {
      const res = await alice.agent.post('/api/tokens').set('Origin', h.origin).send(aToken()).expect(201);
      h.track(res.body.token);
    });

    it('answers 201 with a same-origin Referer and no Origin', async () => {
      const res = await alice.agent.post('/api/tokens').set('Referer', `${h.origin}/tokens`).send(aToken()).expect(201);
      h.track(res.body.token);
    });

    it('answers 201 with neither Origin nor Referer (curl, SDKs)', async () => {
      const res = await alice.agent.post('/api/tokens').send(aToken()).expect(201);
      h.track(res.body.token);
    });
  });

  it('refuses a cross-site revocation and leaves the token active', async () => {
    const created = await h.createToken(alice);
    await alice.agent.delete(`/api/tokens/${created.id}`).set('Origin', EVIL).expect(403);
    const listed = (await alice.agent.get('/api/tokens').expect(200)).body.tokens.find((t: { id: number }) => t.id === created.id);
    expect(listed.status).toBe('active');
  });

  it('refuses a cross-site logout and keeps the session', async () => {
    await alice.agent.post('/api/auth/logout').set('Origin', EVIL).expect(403);
    await alice.agent.get('/api/auth/me').expect(200);
  });

  it('refuses a cross-site login (login CSRF)', async () => {
    await h.http().post('/api/auth/login').set('Origin', EVIL).send({ username: alice.user.username, password: alice.password }).expect(403);
  });

  it('refuses a cross-site registration', async () => {
    await h.http().post('/api/auth/register').set('Origin', EVIL).send(aUser()).expect(403);
  });

  it('lets safe methods through from any origin', async () => {
    await alice.agent.get('/api/tokens').set('Origin', EVIL).expect(200);
  });
});
