import { sha256Hex, TokenVerifier } from '@lmarena-bridge/auth';
import type { AdminToken, CreatedToken, Token } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import type { Response } from 'supertest';
import { aToken } from '../../testing/builders';
import { DashboardHarness, Session } from '../../testing/dashboard-harness';

const TOKEN_KEYS = ['created_at', 'expires_at', 'hint', 'id', 'last_used_at', 'limits', 'name', 'revoked_at', 'status', 'usage_now'];
const DAY_MS = 86_400_000;

function expectBadRequest(res: Response, message: string | RegExp): void {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
  expect(res.body.message).toContainEqual(typeof message === 'string' ? message : expect.stringMatching(message));
}

describe.each(testDatabaseKinds())('token routes on $kind', ({ create }) => {
  let h: DashboardHarness;
  let admin: Session;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    h = await DashboardHarness.start(create);
    admin = await h.signUpAdmin();
    alice = await h.signUp();
    bob = await h.signUp();
  });
  afterAll(() => h?.close());

  const listOf = async (session: Session): Promise<Token[]> => (await session.agent.get('/api/tokens').expect(200)).body.tokens;
  const tokenIn = async (session: Session, id: number): Promise<Token | undefined> => (await listOf(session)).find((t) => t.id === id);

  describe('POST /api/tokens', () => {
    it('answers 201 with the secret (shown this once) and the Token', async () => {
      const before = Date.now();
      const res = await alice.agent.post('/api/tokens').send({ name: 'laptop' }).expect(201);
      const created = res.body as CreatedToken;
      h.track(created.token);
      expect(Object.keys(created).sort()).toEqual([...TOKEN_KEYS, 'token'].sort());
      expect(created.token).toMatch(/^sk-lmarena-[A-Za-z0-9_-]{43}$/);
      expect(created.hint).toBe(`sk-lmarena-…${created.token.slice(-4)}`);
      expect(created).toMatchObject({ name: 'laptop', status: 'active', expires_at: null, revoked_at: null, last_used_at: null });
      expect(Date.parse(created.created_at)).toBeGreaterThanOrEqual(before - 1000);
      await expect(h.get(TokenVerifier).verifyToken(created.token)).resolves.toMatchObject({ ok: true, token: { id: created.id } });
    });

    it('issues a different secret every time', async () => {
      const a = await h.createToken(alice);
      const b = await h.createToken(alice);
      expect(a.token).not.toBe(b.token);
    });

    it('accepts a name of 100 characters', async () => {
      const created = await h.createToken(alice, aToken({ name: 'n'.repeat(100) }));
      expect(created.name).toBe('n'.repeat(100));
    });

    const inADay = () => new Date(Date.now() + DAY_MS).toISOString();
    it.each([
      ['an empty name', () => ({ name: '' }), /^name must be/],
      ['a name of 101 characters', () => ({ name: 'n'.repeat(101) }), /^name must be/],
      ['a blank name', () => ({ name: '   ' }), /^name must be/],
      ['no name', () => ({}), /^name must be/],
      ['an expires_at in the past', () => aToken({ expires_at: new Date(Date.now() - 60_000).toISOString() }), 'expires_at must be in the future'],
      ['an expires_at that is not a date-time', () => aToken({ expires_at: 'next tuesday' }), 'expires_at must be an ISO 8601 date-time'],
      ['expires_at and expires_in_days together', () => aToken({ expires_at: inADay(), expires_in_days: 1 }), 'give expires_at or expires_in_days, not both'],
      ['expires_in_days 0', () => aToken({ expires_in_days: 0 }), /^expires_in_days must not be less than 1/],
      ['expires_in_days 1.5', () => aToken({ expires_in_days: 1.5 }), /^expires_in_days must be an integer/],
      ['an unknown field (no token for someone else)', () => ({ ...aToken(), user_id: 1 }), 'property user_id should not exist'],
    ])('answers 400 to %s, creating nothing', async (_label, body, message) => {
      const before = (await listOf(alice)).length;
      expectBadRequest(await alice.agent.post('/api/tokens').send(body()), message);
      expect(await listOf(alice)).toHaveLength(before);
    });

    it('sets expires_in_days 1 to 24 hours from the request', async () => {
      const before = Date.now();
      const created = await h.createToken(alice, aToken({ expires_in_days: 1 }));
      const after = Date.now();
      const expires = Date.parse(created.expires_at ?? '');
      expect(expires).toBeGreaterThanOrEqual(before + DAY_MS);
      expect(expires).toBeLessThanOrEqual(after + DAY_MS);
    });

    it('keeps an exact expires_at', async () => {
      const at = new Date(Date.now() + 3 * DAY_MS);
      at.setUTCMilliseconds(0);
      const created = await h.createToken(alice, aToken({ expires_at: at.toISOString() }));
      expect(created.expires_at).toBe(at.toISOString());
      expect(created.status).toBe('active');
    });

    it('answers 401 without a session', async () => {
      await h.http().post('/api/tokens').send(aToken()).expect(401);
    });
  });

  describe('GET /api/tokens', () => {
    it('lists your tokens newest first, never with the secret or any hash', async () => {
      const first = await h.createToken(alice);
      const second = await h.createToken(alice);
      const res = await alice.agent.get('/api/tokens').expect(200);
      expect(Object.keys(res.body)).toEqual(['tokens']);
      const tokens = res.body.tokens as Token[];
      for (const t of tokens) expect(Object.keys(t).sort()).toEqual(TOKEN_KEYS);
      const ids = tokens.map((t) => t.id);
      expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
      expect(tokens.find((t) => t.id === first.id)).toEqual(Object.fromEntries(Object.entries(first).filter(([k]) => k !== 'token')));
      for (const secret of [first.token, second.token]) {
        expect(res.text).not.toContain(secret);
        expect(res.text).not.toContain(secret.slice('sk-lmarena-'.length, -4));
        expect(res.text).not.toContain(sha256Hex(secret));
      }
      expect(res.text).not.toMatch(/hash/i);
    });

    it('derives the status: expired once expires_at has passed', async () => {
      const created = await h.createToken(alice, aToken({ expires_in_days: 30 }));
      await h.updateRow('api_tokens', created.id, { expires_at: Date.now() - 1000 });
      expect(await tokenIn(alice, created.id)).toMatchObject({ status: 'expired', revoked_at: null });
      await expect(h.get(TokenVerifier).verifyToken(created.token)).resolves.toEqual({ ok: false, reason: 'expired' });
    });

    it('answers 401 without a session', async () => {
      await h.http().get('/api/tokens').expect(401);
    });
  });

  describe('DELETE /api/tokens/:id', () => {
    it('revokes with 204: the status turns revoked, revoked_at is set and the token is refused', async () => {
      const created = await h.createToken(alice);
      const before = Date.now();
      const res = await alice.agent.delete(`/api/tokens/${created.id}`).expect(204);
      expect(res.text).toBe('');
      const listed = await tokenIn(alice, created.id);
      expect(listed).toMatchObject({ status: 'revoked' });
      expect(Date.parse(listed?.revoked_at ?? '')).toBeGreaterThanOrEqual(before - 1000);
      await expect(h.get(TokenVerifier).verifyToken(created.token)).resolves.toEqual({ ok: false, reason: 'revoked' });
    });

    it('answers 204 again to a second revocation and keeps the first revoked_at', async () => {
      const created = await h.createToken(alice);
      await alice.agent.delete(`/api/tokens/${created.id}`).expect(204);
      const first = (await tokenIn(alice, created.id))?.revoked_at;
      await alice.agent.delete(`/api/tokens/${created.id}`).expect(204);
      expect((await tokenIn(alice, created.id))?.revoked_at).toBe(first);
    });

    it('shows revoked rather than expired for a revoked token past its expiry', async () => {
      const created = await h.createToken(alice, aToken({ expires_in_days: 1 }));
      await alice.agent.delete(`/api/tokens/${created.id}`).expect(204);
      await h.updateRow('api_tokens', created.id, { expires_at: Date.now() - 1000 });
      expect(await tokenIn(alice, created.id)).toMatchObject({ status: 'revoked' });
    });

    // 99999999999 used to reach PostgreSQL and fail there ("out of range for type integer"): a 500.
    it.each(['abc', '1.5', '-', '0', '-5', '99999999999'])('answers 400 to the id %p', async (id) => {
      const res = await alice.agent.delete(`/api/tokens/${id}`).expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: ['id must be an integer from 1 to 2147483647'] });
    });

    it('answers 404 to an id that does not exist', async () => {
      const res = await alice.agent.delete('/api/tokens/987654').expect(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    });

    it('answers 401 without a session', async () => {
      const created = await h.createToken(alice);
      await h.http().delete(`/api/tokens/${created.id}`).expect(401);
      expect(await tokenIn(alice, created.id)).toMatchObject({ status: 'active' });
    });
  });

  describe('ownership', () => {
    let aliceToken: CreatedToken;
    let bobToken: CreatedToken;

    beforeAll(async () => {
      aliceToken = await h.createToken(alice);
      bobToken = await h.createToken(bob);
    });

    it("does not list another user's tokens", async () => {
      const ids = (await listOf(bob)).map((t) => t.id);
      expect(ids).toContain(bobToken.id);
      expect(ids).not.toContain(aliceToken.id);
      expect((await listOf(alice)).map((t) => t.id)).not.toContain(bobToken.id);
    });

    it("answers 404 to a revocation of someone else's token, exactly as to a missing id, and leaves it active", async () => {
      const foreign = await bob.agent.delete(`/api/tokens/${aliceToken.id}`).expect(404);
      const missing = await bob.agent.delete('/api/tokens/987654').expect(404);
      expect(foreign.text).toBe(missing.text);
      expect(await tokenIn(alice, aliceToken.id)).toMatchObject({ status: 'active' });
      await expect(h.get(TokenVerifier).verifyToken(aliceToken.token)).resolves.toMatchObject({ ok: true });
    });

    it('lets an admin see every token with its owner, without secrets', async () => {
      const res = await admin.agent.get('/api/admin/tokens').expect(200);
      const tokens = res.body.tokens as AdminToken[];
      expect(tokens.find((t) => t.id === aliceToken.id)).toMatchObject({ user_id: alice.user.id, username: alice.user.username, status: 'active' });
      expect(tokens.find((t) => t.id === bobToken.id)).toMatchObject({ user_id: bob.user.id, username: bob.user.username });
      for (const t of tokens) expect(Object.keys(t).sort()).toEqual([...TOKEN_KEYS, 'user_id', 'username'].sort());
      expect(res.text).not.toContain(aliceToken.token);
      expect(res.text).not.toContain(sha256Hex(aliceToken.token));
      expect(res.text).not.toMatch(/hash/i);
    });

    it("lets an admin revoke any user's token", async () => {
      const created = await h.createToken(bob);
      await admin.agent.delete(`/api/tokens/${created.id}`).expect(204);
      expect(await tokenIn(bob, created.id)).toMatchObject({ status: 'revoked' });
      await expect(h.get(TokenVerifier).verifyToken(created.token)).resolves.toEqual({ ok: false, reason: 'revoked' });
    });
  });
});
