import type { AuditEvent } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aToken, aUser } from '../../testing/builders';
import { DashboardHarness, Session } from '../../testing/dashboard-harness';
import { loginFrom } from '../../testing/from-address';

const EVENT_KEYS = ['action', 'actor', 'actor_id', 'at', 'detail', 'id', 'ip', 'target'];

describe.each(testDatabaseKinds())('admin accounts and the audit log on $kind', ({ create }) => {
  let h: DashboardHarness;
  let admin: Session;
  let user: Session;

  beforeAll(async () => {
    h = await DashboardHarness.start(create, { allow_registration: false });
    admin = await h.signUpAdmin();
    const input = aUser();
    h.track(input.password);
    await admin.agent.post('/api/admin/users').send(input).expect(201);
    user = await h.login(input);
  });
  afterAll(() => h?.close());

  const audit = async (query: Record<string, string | number> = {}) =>
    (await admin.agent.get('/api/admin/audit').query(query).expect(200)).body as { events: AuditEvent[]; next_cursor: string | null };

  describe('POST /api/admin/users', () => {
    it('creates a user (201) while registration is closed; role defaults to user; an admin when asked', async () => {
      await h.http().post('/api/auth/register').send(aUser()).expect(403);
      const input = aUser();
      h.track(input.password);
      const res = await admin.agent.post('/api/admin/users').send(input).expect(201);
      expect(res.body.user).toMatchObject({ username: input.username, email: input.email, role: 'user' });
      await h.login(input);
      const boss = aUser();
      h.track(boss.password);
      expect(
        (
          await admin.agent
            .post('/api/admin/users')
            .send({ ...boss, role: 'admin' })
            .expect(201)
        ).body.user.role,
      ).toBe('admin');
      const [event] = (await audit({ action: 'user.created' })).events;
      expect(event).toMatchObject({
        actor_id: admin.user.id,
        actor: admin.user.username,
        target: expect.stringContaining(boss.username),
        detail: { role: 'admin', via: 'admin' },
      });
    });

    it.each([
      ['a taken username', () => ({ ...aUser(), username: user.user.username }), 409],
      ['a bad role', () => ({ ...aUser(), role: 'root' }), 400],
      ['a short password', () => ({ ...aUser(), password: 'short' }), 400],
    ])('answers %s with %d', async (_label, body, status) => {
      await admin.agent.post('/api/admin/users').send(body()).expect(status);
    });

    it('answers 403 to a non-admin and 401 without a session', async () => {
      await user.agent.post('/api/admin/users').send(aUser()).expect(403);
      await h.http().post('/api/admin/users').send(aUser()).expect(401);
    });
  });

  describe('POST /api/admin/users/:id/password', () => {
    it('sets the password (204) and ends every session of that user', async () => {
      const input = aUser();
      h.track(input.password);
      const created = (await admin.agent.post('/api/admin/users').send(input).expect(201)).body.user;
      const s1 = await h.login(input);
      const s2 = await h.login(input);
      const next = `${input.password}-reset`;
      h.track(next);
      await admin.agent.post(`/api/admin/users/${created.id}/password`).send({ new_password: next }).expect(204);
      await s1.agent.get('/api/auth/me').expect(401);
      await s2.agent.get('/api/auth/me').expect(401);
      await admin.agent.get('/api/auth/me').expect(200);
      await h.http().post('/api/auth/login').send({ username: input.username, password: input.password }).expect(401);
      await h.login({ username: input.username, password: next });
      const [event] = (await audit({ action: 'user.password_reset' })).events;
      expect(event).toMatchObject({ actor_id: admin.user.id, target: `user:${created.id} ${input.username}`, detail: { sessions_ended: 2 } });
    });

    it('answers 404 to an unknown user, 400 to a bad password or id, 403 to a non-admin', async () => {
      await admin.agent.post('/api/admin/users/2147483647/password').send({ new_password: 'long-enough-1' }).expect(404);
      await admin.agent.post(`/api/admin/users/${user.user.id}/password`).send({ new_password: 'short' }).expect(400);
      await admin.agent.post('/api/admin/users/abc/password').send({ new_password: 'long-enough-1' }).expect(400);
      await user.agent.post(`/api/admin/users/${admin.user.id}/password`).send({ new_password: 'long-enough-1' }).expect(403);
      await h.login({ username: admin.user.username, password: admin.password });
    });
  });

  describe('GET /api/admin/audit', () => {
    it('records sign-ins ok and failed (with the address), role changes, disable/enable, token create/revoke', async () => {
      const input = aUser();
      h.track(input.password, 'wrong-password-x');
      const target = (await admin.agent.post('/api/admin/users').send(input).expect(201)).body.user;
      expect((await loginFrom('127.0.4.1', h.origin, input.email.toUpperCase(), 'wrong-password-x')).status).toBe(401);
      expect((await loginFrom('127.0.4.1', h.origin, 'nobody-at-all', 'wrong-password-x')).status).toBe(401);
      expect((await loginFrom('127.0.4.2', h.origin, input.username, input.password)).status).toBe(200);
      await admin.agent.patch(`/api/admin/users/${target.id}`).send({ role: 'admin' }).expect(200);
      await admin.agent.patch(`/api/admin/users/${target.id}`).send({ disabled: true }).expect(200);
      await admin.agent.patch(`/api/admin/users/${target.id}`).send({ disabled: false }).expect(200);
      const token = await h.createToken(user, aToken());
      await admin.agent.delete(`/api/tokens/${token.id}`).expect(204);

      const { events } = await audit({ limit: 9 });
      for (const e of events) expect(Object.keys(e).sort()).toEqual(EVENT_KEYS);
      expect(events.map((e) => e.action)).toEqual([
        'token.revoked',
        'token.created',
        'user.enabled',
        'user.disabled',
        'user.role_changed',
        'auth.login',
        'auth.login_failed',
        'auth.login_failed',
        'user.created',
      ]);
      const [revoked, created, , , role, ok, unknown, failed] = events;
      expect(revoked).toMatchObject({ actor_id: admin.user.id, target: `token:${token.id}`, detail: { owner_id: user.user.id } });
      expect(created).toMatchObject({ actor_id: user.user.id, actor: user.user.username, target: `token:${token.id}` });
      expect(role).toMatchObject({ detail: { from: 'user', to: 'admin' }, target: `user:${target.id} ${input.username}` });
      expect(ok).toMatchObject({ actor_id: target.id, actor: input.username, ip: '127.0.4.2' });
      expect(unknown).toMatchObject({ actor_id: null, actor: 'nobody-at-all', ip: '127.0.4.1', target: null });
      expect(failed).toMatchObject({ actor_id: target.id, actor: input.username, ip: '127.0.4.1' });
      expect(JSON.stringify(events)).not.toMatch(/wrong-password-x|sk-lmarena-/);
      expect(JSON.stringify(events)).not.toContain(input.password);
    });

    it('pages newest first with next_cursor until null, and filters by action and actor', async () => {
      const all: AuditEvent[] = [];
      let cursor: string | null = null;
      do {
        const page = await audit({ limit: 3, ...(cursor ? { cursor } : {}) });
        expect(page.events.length).toBeLessThanOrEqual(3);
        all.push(...page.events);
        cursor = page.next_cursor;
      } while (cursor);
      const ids = all.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(new Set(ids).size).toBe(ids.length);
      expect(all.length).toBe((await audit({ limit: 200 })).events.length);

      const logins = await audit({ action: 'auth.login', limit: 200 });
      expect(logins.events.length).toBeGreaterThan(0);
      expect(logins.events.every((e) => e.action === 'auth.login')).toBe(true);
      const mine = await audit({ actor: user.user.username.toUpperCase(), limit: 200 });
      expect(mine.events.length).toBeGreaterThan(0);
      expect(mine.events.every((e) => e.actor === user.user.username)).toBe(true);
      expect((await audit({ action: 'no.such_action' })).events).toEqual([]);
    });

    it.each([[{ limit: 0 }], [{ limit: 201 }], [{ limit: 'x' }], [{ cursor: 'abc' }], [{ cursor: '-1' }], [{ action: "x' OR 1=1 --" }], [{ other: 1 }]])(
      'answers 400 to %p',
      async (query) => {
        const res = await admin.agent.get('/api/admin/audit').query(query).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      },
    );

    it('answers 403 to a non-admin', async () => {
      await user.agent.get('/api/admin/audit').expect(403);
    });
  });

  it('writes the audit event in the same transaction as the change: a refused change leaves neither', async () => {
    const before = (await audit({ action: 'user.role_changed', limit: 200 })).events.length;
    // The last active admin cannot be demoted: 409, and no role_changed event either.
    const admins = (await admin.agent.get('/api/admin/users').expect(200)).body.users.filter(
      (u: { role: string; disabled: boolean }) => u.role === 'admin' && !u.disabled,
    );
    for (const other of admins.filter((u: { id: number }) => u.id !== admin.user.id)) {
      await admin.agent.patch(`/api/admin/users/${other.id}`).send({ disabled: true }).expect(200);
    }
    await admin.agent.patch(`/api/admin/users/${admin.user.id}`).send({ role: 'user' }).expect(409);
    expect((await audit({ action: 'user.role_changed', limit: 200 })).events.length).toBe(before);
  });

  it('leaks no password, session id or token secret into the database or the logs', async () => {
    const leaks = await h.leakedSecrets();
    expect(leaks.tracked).toBeGreaterThan(5);
    expect(leaks.database).toEqual([]);
    expect(leaks.logs).toEqual([]);
  });
});
