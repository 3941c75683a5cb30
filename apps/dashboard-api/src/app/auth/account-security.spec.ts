import { sha256Hex } from '@lmarena-bridge/auth';
import type { AuditEvent, SessionInfo } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aUser, UserInput } from '../../testing/builders';
import { DashboardHarness, parseSessionCookie, Session } from '../../testing/dashboard-harness';

const SESSION_KEYS = ['created_at', 'current', 'id', 'ip', 'last_seen_at', 'user_agent'];

describe.each(testDatabaseKinds())('password and session management on $kind', ({ create }) => {
  let h: DashboardHarness;
  let admin: Session;

  beforeAll(async () => {
    h = await DashboardHarness.start(create);
    admin = await h.signUpAdmin();
  });
  afterAll(() => h?.close());

  async function auditOf(action: string): Promise<AuditEvent[]> {
    const res = await admin.agent.get('/api/admin/audit').query({ action, limit: 200 }).expect(200);
    return res.body.events as AuditEvent[];
  }

  describe('GET /api/auth/sessions', () => {
    it('lists the live sessions with row ids (never the cookie), address and user agent, marking the current one', async () => {
      const input = aUser();
      await h.register(input);
      const first = await h.login(input);
      const second = await h.login(input);
      const res = await second.agent.get('/api/auth/sessions').set('User-Agent', 'ignored-for-listing').expect(200);
      const sessions = res.body.sessions as SessionInfo[];
      expect(sessions).toHaveLength(2);
      for (const s of sessions) {
        expect(Object.keys(s).sort()).toEqual(SESSION_KEYS);
        expect(s.ip).toBe('127.0.0.1');
        expect(typeof s.id).toBe('number');
        expect(new Date(s.created_at).toISOString()).toBe(s.created_at);
      }
      expect(sessions.filter((s) => s.current)).toHaveLength(1);
      const [row] = await h.dataSource.query(`SELECT id FROM sessions WHERE session_hash = '${sha256Hex(second.sessionId)}'`);
      expect(sessions.find((s) => s.current)?.id).toBe(Number(row.id));
      expect(res.text).not.toContain(first.sessionId);
      expect(res.text).not.toContain(second.sessionId);
      expect(res.text).not.toContain(sha256Hex(second.sessionId));
    });

    it('records the user agent the session was opened with', async () => {
      const input = aUser();
      await h.register(input);
      const login = await h
        .http()
        .post('/api/auth/login')
        .set('User-Agent', 'TestBrowser/1.0')
        .send({ username: input.username, password: input.password })
        .expect(200);
      const cookie = parseSessionCookie(login.headers['set-cookie'])?.value ?? '';
      h.track(cookie);
      const res = await h.agentWith(cookie).get('/api/auth/sessions').expect(200);
      expect(res.body.sessions).toEqual([expect.objectContaining({ user_agent: 'TestBrowser/1.0', current: true })]);
    });

    it('answers 401 without a session', async () => {
      await h.http().get('/api/auth/sessions').expect(401);
    });
  });

  describe('DELETE /api/auth/sessions/:id', () => {
    it('ends one of your own sessions (204), and it no longer works', async () => {
      const input = aUser();
      await h.register(input);
      const keep = await h.login(input);
      const end = await h.login(input);
      const target = ((await keep.agent.get('/api/auth/sessions').expect(200)).body.sessions as SessionInfo[]).find((s) => !s.current);
      await keep.agent.delete(`/api/auth/sessions/${target?.id}`).expect(204);
      await end.agent.get('/api/auth/me').expect(401);
      await keep.agent.get('/api/auth/me').expect(200);
      const events = await auditOf('auth.session_revoked');
      expect(events[0]).toMatchObject({ actor_id: keep.user.id, target: `session:${target?.id}` });
    });

    it("answers 404 to someone else's session (and leaves it alive), to unknown and to already ended ids", async () => {
      const victim = await h.signUp();
      const attacker = await h.signUp();
      const victimSession = ((await victim.agent.get('/api/auth/sessions').expect(200)).body.sessions as SessionInfo[])[0];
      const res = await attacker.agent.delete(`/api/auth/sessions/${victimSession.id}`).expect(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
      await victim.agent.get('/api/auth/me').expect(200);
      await attacker.agent.delete('/api/auth/sessions/2147483647').expect(404);
      await attacker.agent.delete('/api/auth/sessions/0x10').expect(400);
      const own = ((await attacker.agent.get('/api/auth/sessions').expect(200)).body.sessions as SessionInfo[])[0];
      const again = await h.login({ username: attacker.user.username, password: attacker.password });
      await again.agent.delete(`/api/auth/sessions/${own.id}`).expect(204);
      await again.agent.delete(`/api/auth/sessions/${own.id}`).expect(404);
    });

    it('clears the cookie when the session ended is the current one', async () => {
      const s = await h.signUp();
      const current = ((await s.agent.get('/api/auth/sessions').expect(200)).body.sessions as SessionInfo[])[0];
      const res = await s.agent.delete(`/api/auth/sessions/${current.id}`).expect(204);
      expect(parseSessionCookie(res.headers['set-cookie'])?.value).toBe('');
      await s.agent.get('/api/auth/me').expect(401);
    });
  });

  describe('POST /api/auth/logout-all', () => {
    it('ends every session of the user (this one too) and no one else’s (204)', async () => {
      const input = aUser();
      await h.register(input);
      const a = await h.login(input);
      const b = await h.login(input);
      const bystander = await h.signUp();
      const res = await a.agent.post('/api/auth/logout-all').expect(204);
      expect(parseSessionCookie(res.headers['set-cookie'])?.value).toBe('');
      await a.agent.get('/api/auth/me').expect(401);
      await b.agent.get('/api/auth/me').expect(401);
      await bystander.agent.get('/api/auth/me').expect(200);
      const [event] = await auditOf('auth.logout_all');
      expect(event).toMatchObject({ actor_id: a.user.id, detail: { sessions_ended: 2 } });
    });
  });

  describe('POST /api/auth/password', () => {
    let input: UserInput;

    beforeEach(async () => {
      input = aUser();
      await h.register(input);
    });

    it('changes the password (204): other sessions end, this one stays, only the new password signs in', async () => {
      const current = await h.login(input);
      const other = await h.login(input);
      const next = `${input.password}-next`;
      h.track(next);
      const res = await current.agent.post('/api/auth/password').send({ current_password: input.password, new_password: next }).expect(204);
      expect(res.text).toBe('');
      await other.agent.get('/api/auth/me').expect(401);
      await current.agent.get('/api/auth/me').expect(200);
      await h.http().post('/api/auth/login').send({ username: input.username, password: input.password }).expect(401);
      await h.login({ username: input.username, password: next });
      const [event] = await auditOf('auth.password_changed');
      expect(event).toMatchObject({ actor_id: current.user.id, actor: input.username, ip: '127.0.0.1', detail: { sessions_ended: 1 } });
      expect(JSON.stringify(event)).not.toContain(next);
    });

    it('answers 400 (not 401: the session is fine) to a wrong current password and changes nothing', async () => {
      const s = await h.login(input);
      const other = await h.login(input);
      h.track('not-the-password', 'another-new-password');
      const res = await s.agent.post('/api/auth/password').send({ current_password: 'not-the-password', new_password: 'another-new-password' }).expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: ['The current password is not right.'] });
      await other.agent.get('/api/auth/me').expect(200);
      await h.login(input);
    });

    it.each([
      [{ new_password: 'long-enough-1' }, /^current_password/],
      [{ current_password: 'x', new_password: 'short' }, 'new_password must be at least 8 characters'],
      [{ current_password: 'x', new_password: 'long-enough-1', extra: 1 }, 'property extra should not exist'],
    ])('answers 400 to %p', async (body, message) => {
      const s = await h.login(input);
      const res = await s.agent.post('/api/auth/password').send(body).expect(400);
      expect(res.body.message).toContainEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    });

    it('answers 401 without a session', async () => {
      await h.http().post('/api/auth/password').send({ current_password: 'a', new_password: 'long-enough-1' }).expect(401);
    });
  });
});
