import { TokenVerifier } from '@lmarena-bridge/auth';
import type { AdminUser, CreatedToken, User } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aUser, UserInput } from '../../testing/builders';
import { DashboardHarness, Session } from '../../testing/dashboard-harness';

const USER_KEYS = ['created_at', 'email', 'id', 'last_login_at', 'limits', 'role', 'username'];

describe.each(testDatabaseKinds())('admin routes on $kind', ({ create }) => {
  let h: DashboardHarness;
  let admin: Session;
  let alice: Session;
  let carolInput: UserInput;
  let carol: Session;
  let carolToken: CreatedToken;

  beforeAll(async () => {
    h = await DashboardHarness.start(create);
    admin = await h.signUpAdmin();
    alice = await h.signUp();
    carolInput = aUser();
    carol = await h.signUp(carolInput);
    carolToken = await h.createToken(carol);
  });
  afterAll(() => h?.close());

  const patch = (session: Session, id: number, body: object) => session.agent.patch(`/api/admin/users/${id}`).send(body);
  const usersOf = async (as: Session = admin): Promise<AdminUser[]> => (await as.agent.get('/api/admin/users').expect(200)).body.users;
  const badCredentials = async () => (await h.http().post('/api/auth/login').send({ username: 'nobody-here', password: 'whatever-1' }).expect(401)).text;

  describe('access', () => {
    it.each([
      ['GET /api/admin/users', (s: Session) => s.agent.get('/api/admin/users')],
      ['PATCH /api/admin/users/:id', (s: Session) => s.agent.patch(`/api/admin/users/${s.user.id}`).send({ role: 'admin' })],
      ['GET /api/admin/tokens', (s: Session) => s.agent.get('/api/admin/tokens')],
    ])('answers 403 to a non-admin on %s', async (_route, call) => {
      const res = await call(alice).expect(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: expect.any(String) });
    });

    it('did not let the non-admin promote themselves', async () => {
      expect((await usersOf()).find((u) => u.id === alice.user.id)?.role).toBe('user');
    });

    it.each([
      ['GET', '/api/admin/users'],
      ['PATCH', '/api/admin/users/1'],
      ['GET', '/api/admin/tokens'],
    ])('answers 401 to %s %s without a session', async (method, path) => {
      const req = method === 'GET' ? h.http().get(path) : h.http().patch(path).send({ disabled: true });
      await req.expect(401);
    });
  });

  describe('GET /api/admin/users', () => {
    it('lists every user with disabled and token_count, never a hash', async () => {
      const res = await admin.agent.get('/api/admin/users').expect(200);
      const users = res.body.users as AdminUser[];
      for (const u of users) expect(Object.keys(u).sort()).toEqual([...USER_KEYS, 'disabled', 'token_count'].sort());
      expect(users.map((u) => u.id)).toEqual(expect.arrayContaining([admin.user.id, alice.user.id, carol.user.id]));
      expect(users.find((u) => u.id === carol.user.id)).toMatchObject({ username: carol.user.username, disabled: false, token_count: 1, role: 'user' });
      expect(users.find((u) => u.id === alice.user.id)).toMatchObject({ token_count: 0 });
      expect(users.find((u) => u.id === admin.user.id)).toMatchObject({ role: 'admin' });
      expect(res.text).not.toMatch(/hash|password/i);
    });
  });

  describe('PATCH /api/admin/users/:id', () => {
    it('disables a user: 200 User, their session ends, their tokens stop, they cannot sign in', async () => {
      const res = await patch(admin, carol.user.id, { disabled: true }).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(USER_KEYS);
      expect(res.body).toMatchObject({ id: carol.user.id, role: 'user' });

      await carol.agent.get('/api/auth/me').expect(401);
      await expect(h.get(TokenVerifier).verifyToken(carolToken.token)).resolves.toEqual({ ok: false, reason: 'owner_disabled' });
      const login = await h.http().post('/api/auth/login').send({ username: carolInput.username, password: carolInput.password }).expect(401);
      expect(login.text).toBe(await badCredentials());
      expect((await usersOf()).find((u) => u.id === carol.user.id)).toMatchObject({ disabled: true, token_count: 1 });
    });

    it('enables the user again: sign-in and tokens work, the ended session stays ended', async () => {
      await patch(admin, carol.user.id, { disabled: false }).expect(200);
      const fresh = await h.login(carolInput);
      await fresh.agent.get('/api/auth/me').expect(200);
      await carol.agent.get('/api/auth/me').expect(401);
      await expect(h.get(TokenVerifier).verifyToken(carolToken.token)).resolves.toMatchObject({ ok: true });
      expect((await usersOf()).find((u) => u.id === carol.user.id)).toMatchObject({ disabled: false });
      carol = fresh;
    });

    it('promotes and demotes, effective on the next request of an existing session', async () => {
      const promoted = await patch(admin, alice.user.id, { role: 'admin' }).expect(200);
      expect((promoted.body as User).role).toBe('admin');
      await alice.agent.get('/api/admin/users').expect(200);

      const demoted = await patch(admin, alice.user.id, { role: 'user' }).expect(200);
      expect((demoted.body as User).role).toBe('user');
      await alice.agent.get('/api/admin/users').expect(403);
    });

    it('answers 409 to demoting or disabling the last active admin, and changes nothing', async () => {
      for (const change of [{ role: 'user' }, { disabled: true }, { role: 'user', disabled: true }]) {
        const res = await patch(admin, admin.user.id, change).expect(409);
        expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: expect.any(String) });
      }
      expect((await usersOf()).find((u) => u.id === admin.user.id)).toMatchObject({ role: 'admin', disabled: false });
      await admin.agent.get('/api/admin/users').expect(200);
    });

    it('counts only active admins: a disabled admin does not keep the last one demotable', async () => {
      await patch(admin, carol.user.id, { role: 'admin' }).expect(200);
      await patch(admin, carol.user.id, { disabled: true }).expect(200);
      await patch(admin, admin.user.id, { role: 'user' }).expect(409);

      await patch(admin, carol.user.id, { disabled: false }).expect(200);
      carol = await h.login(carolInput);
      // With a second active admin, the first may step down, and be promoted back.
      await patch(admin, admin.user.id, { role: 'user' }).expect(200);
      await patch(carol, admin.user.id, { role: 'admin' }).expect(200);
      await patch(admin, carol.user.id, { role: 'user' }).expect(200);
    });

    // Regression: on PostgreSQL both demotions used to pass their "another admin left?" check
    // and leave no admin at all.
    it('keeps one active admin when two admins demote each other at the same moment', async () => {
      const activeAdmins = async (as: Session = admin) => (await usersOf(as)).filter((u) => u.role === 'admin' && !u.disabled).map((u) => u.id);
      for (let round = 0; round < 5; round++) {
        await patch(admin, alice.user.id, { role: 'admin' }).expect(200);
        const [byAdmin, byAlice] = await Promise.all([patch(admin, alice.user.id, { role: 'user' }), patch(alice, admin.user.id, { role: 'user' })]);
        // One wins; the other is refused as the last admin (409) or as no longer an admin (403).
        expect([
          [200, 403],
          [200, 409],
        ]).toContainEqual([byAdmin.status, byAlice.status].sort());
        const survivor = byAdmin.status === 200 ? admin : alice;
        expect(await activeAdmins(survivor)).toEqual([survivor.user.id]);
        // Back to the starting point: the original admin only.
        await h.updateRow('users', admin.user.id, { role: 'admin' });
        await h.updateRow('users', alice.user.id, { role: 'user' });
      }
    });

    it('answers 404 to an unknown id', async () => {
      const res = await patch(admin, 987654, { disabled: true }).expect(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    });

    it.each([
      ['an empty body', {}, 'give disabled, role and/or limits'],
      ['an unknown field', { disabled: true, password: 'new-password-1' }, 'property password should not exist'],
      ['an unknown role', { role: 'root' }, 'role must be one of the following values: admin, user'],
      ['a non-boolean disabled', { disabled: 'yes' }, 'disabled must be a boolean value'],
    ])('answers 400 to %s', async (_label, body, message) => {
      const res = await patch(admin, alice.user.id, body).expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: [message] });
    });

    it.each(['abc', '0', '99999999999'])('answers 400 to the id %p', async (id) => {
      const res = await admin.agent.patch(`/api/admin/users/${id}`).send({ disabled: true }).expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: ['id must be an integer from 1 to 2147483647'] });
    });
  });
});
