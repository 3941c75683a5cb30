import { IpDenylistService, readAuthEpoch, TokenVerifier } from '@lmarena-bridge/auth';
import { NO_LIMITS } from '@lmarena-bridge/contracts';
import type { AdminUser, AuditEvent, User } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { aToken } from '../../testing/builders';
import { DashboardHarness, Session } from '../../testing/dashboard-harness';

describe.each(testDatabaseKinds())("a user's caps and the IP deny list through the admin API on $kind", ({ create }) => {
  let h: DashboardHarness;
  let admin: Session;
  let alice: Session;

  beforeAll(async () => {
    h = await DashboardHarness.start(create);
    admin = await h.signUpAdmin();
    alice = await h.signUp();
  });
  afterAll(() => h?.close());

  const patchUser = (session: Session, id: number, body: unknown) => session.agent.patch(`/api/admin/users/${id}`).send(body as object);
  const auditOf = async (action: string): Promise<AuditEvent[]> =>
    (await admin.agent.get('/api/admin/audit').query({ action, limit: 200 }).expect(200)).body.events as AuditEvent[];
  const userRow = async (id: number): Promise<AdminUser | undefined> =>
    ((await admin.agent.get('/api/admin/users').expect(200)).body.users as AdminUser[]).find((u) => u.id === id);

  describe('PATCH /api/admin/users/:id with limits', () => {
    it('shows no caps before any are set, to the admin and to the user', async () => {
      expect((await userRow(alice.user.id))?.limits).toEqual(NO_LIMITS);
      expect(((await alice.agent.get('/api/auth/me').expect(200)).body as User).limits).toEqual(NO_LIMITS);
    });

    it('sets caps: 200 User with them, in the list, on /api/auth/me, and on every token the proxy verifies', async () => {
      const token = await h.createToken(alice, aToken({ limits: { rpm: 600, allowed_models: ['echo', 'gpt-4o'] } }));
      const epoch = await readAuthEpoch(h.dataSource);
      const res = await patchUser(admin, alice.user.id, {
        limits: { rpm: 60, monthly_budget_usd: 5, allowed_models: ['echo'], denied_ips: ['198.51.100.7/32'] },
      }).expect(200);
      const caps = { ...NO_LIMITS, rpm: 60, monthly_budget_usd: 5, allowed_models: ['echo'], denied_ips: ['198.51.100.7'] };
      expect(res.body).toMatchObject({ id: alice.user.id, role: 'user', limits: caps });
      expect((await userRow(alice.user.id))?.limits).toEqual(caps);
      expect(((await alice.agent.get('/api/auth/me').expect(200)).body as User).limits).toEqual(caps);
      expect(await readAuthEpoch(h.dataSource)).toBe(epoch + 1);
      await expect(h.get(TokenVerifier).verifyToken(token.token)).resolves.toMatchObject({
        ok: true,
        token: { limits: { rpm: 600 }, userLimits: caps },
      });
      const [event] = (await auditOf('user.limits_changed')).filter((e) => e.target === `user:${alice.user.id} ${alice.user.username}`);
      expect(event).toMatchObject({
        actor_id: admin.user.id,
        detail: { from: {}, to: { rpm: 60, monthly_budget_usd: 5, allowed_models: ['echo'], denied_ips: ['198.51.100.7'] } },
      });
    });

    it('keeps caps left out, lifts caps given as null, and lifts all with limits: null', async () => {
      await patchUser(admin, alice.user.id, { limits: { rpm: 60, tpm: 1000 } }).expect(200);
      const kept = await patchUser(admin, alice.user.id, { limits: { tpm: null } }).expect(200);
      expect(kept.body.limits).toMatchObject({ rpm: 60, tpm: null });
      const role = await patchUser(admin, alice.user.id, { role: 'user' }).expect(200);
      expect(role.body.limits).toMatchObject({ rpm: 60 });
      expect((await patchUser(admin, alice.user.id, { limits: null }).expect(200)).body.limits).toEqual(NO_LIMITS);
    });

    it('changes caps and the role in one request', async () => {
      const bob = await h.signUp();
      const res = await patchUser(admin, bob.user.id, { role: 'admin', limits: { max_parallel: 2 } }).expect(200);
      expect(res.body).toMatchObject({ role: 'admin', limits: { max_parallel: 2 } });
      await patchUser(admin, bob.user.id, { role: 'user' }).expect(200);
    });

    it.each([
      ['rpm 0', { rpm: 0 }, 'limits.rpm must be null or a whole number from 1 to 1000000000000'],
      ['a bad range', { allowed_ips: ['10.0.0.0/8', '10.0.0.256'] }, 'limits.allowed_ips[1]: "10.0.0.256" is not an IPv4 or IPv6 address or CIDR range'],
      [
        'an unknown cap',
        { rate: 1 },
        'limits.rate is not a limit (rpm, tpm, max_parallel, daily_requests, monthly_tokens, monthly_budget_usd, allowed_models, allowed_ips, denied_ips)',
      ],
    ])('answers 400 to %s, changing nothing', async (_label, limits, message) => {
      const before = await userRow(alice.user.id);
      const res = await patchUser(admin, alice.user.id, { disabled: false, limits }).expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: [message] });
      expect(await userRow(alice.user.id)).toEqual(before);
    });

    it('answers 400 to limits that are not an object', async () => {
      const res = await patchUser(admin, alice.user.id, { limits: 'none' }).expect(400);
      expect(res.body.message).toEqual(['limits must be an object or null']);
    });

    it('answers 404 to an unknown user and 403 to a non-admin, changing nothing', async () => {
      await patchUser(admin, 987_654, { limits: { rpm: 1 } }).expect(404);
      await patchUser(alice, alice.user.id, { limits: null }).expect(403);
      await patchUser(admin, alice.user.id, { limits: { rpm: 5 } }).expect(200);
      await patchUser(alice, alice.user.id, { limits: null }).expect(403);
      expect((await userRow(alice.user.id))?.limits.rpm).toBe(5);
    });
  });

  describe('/api/admin/ip-denylist', () => {
    it('starts empty', async () => {
      expect((await admin.agent.get('/api/admin/ip-denylist').expect(200)).body).toEqual({ ranges: [] });
    });

    it('replaces the list: canonical, deduplicated, in the order given; the proxy reads the same list', async () => {
      const epoch = await readAuthEpoch(h.dataSource);
      const res = await admin.agent
        .put('/api/admin/ip-denylist')
        .send({ ranges: ['203.0.113.77/24', '2001:DB8:BAD::/48', '198.51.100.7/32', '203.0.113.0/24', ' ::ffff:192.0.2.1 '] })
        .expect(200);
      const ranges = ['203.0.113.0/24', '2001:db8:bad::/48', '198.51.100.7', '192.0.2.1'];
      expect(res.body).toEqual({ ranges });
      expect((await admin.agent.get('/api/admin/ip-denylist').expect(200)).body).toEqual({ ranges });
      await expect(h.get(IpDenylistService).list()).resolves.toEqual(ranges);
      expect(await readAuthEpoch(h.dataSource)).toBe(epoch + 1);
      const [event] = await auditOf('ip_denylist.changed');
      expect(event).toMatchObject({ actor_id: admin.user.id, target: 'ip_denylist', detail: { added: ranges, removed: [], count: 4 } });
    });

    it('audits what a replacement adds and removes; the same list again is no change', async () => {
      await admin.agent
        .put('/api/admin/ip-denylist')
        .send({ ranges: ['10.0.0.0/8', '172.16.0.0/12'] })
        .expect(200);
      await admin.agent
        .put('/api/admin/ip-denylist')
        .send({ ranges: ['172.16.0.0/12', '192.168.0.0/16'] })
        .expect(200);
      const [latest] = await auditOf('ip_denylist.changed');
      expect(latest.detail).toEqual({ added: ['192.168.0.0/16'], removed: ['10.0.0.0/8'], count: 2 });
      const epoch = await readAuthEpoch(h.dataSource);
      const events = (await auditOf('ip_denylist.changed')).length;
      await admin.agent
        .put('/api/admin/ip-denylist')
        .send({ ranges: ['172.16.1.1/12', '192.168.0.0/16'] })
        .expect(200);
      expect(await readAuthEpoch(h.dataSource)).toBe(epoch);
      expect(await auditOf('ip_denylist.changed')).toHaveLength(events);
    });

    it('empties the list', async () => {
      expect((await admin.agent.put('/api/admin/ip-denylist').send({ ranges: [] }).expect(200)).body).toEqual({ ranges: [] });
    });

    it.each([
      ['a host name', { ranges: ['192.0.2.0/24', 'localhost'] }, 'ranges[1]: "localhost" is not an IPv4 or IPv6 address or CIDR range'],
      ['a prefix too long', { ranges: ['192.0.2.0/33'] }, 'ranges[0]: "192.0.2.0/33": the prefix length must be a whole number from 0 to 32'],
      ['an entry that is not a string', { ranges: [42] }, 'ranges[0] must be an IP address or CIDR range (a string)'],
      ['a zone id', { ranges: ['fe80::1%eth0'] }, 'ranges[0]: "fe80::1%eth0" is not an IPv4 or IPv6 address or CIDR range'],
      ['too many entries', { ranges: Array.from({ length: 1001 }, (_, i) => `10.0.${i >> 8}.${i & 255}`) }, 'ranges must hold at most 1000 entries'],
      ['a string instead of a list', { ranges: '10.0.0.0/8' }, 'ranges must be a list of IP addresses or CIDR ranges'],
      ['no ranges', {}, 'ranges must be a list of IP addresses or CIDR ranges'],
      ['null', { ranges: null }, 'ranges must be a list of IP addresses or CIDR ranges'],
      ['an unknown field', { ranges: [], comment: 'x' }, 'property comment should not exist'],
    ])('answers 400 to %s, keeping the list', async (_label, body, message) => {
      await admin.agent
        .put('/api/admin/ip-denylist')
        .send({ ranges: ['192.0.2.0/24'] })
        .expect(200);
      const res = await admin.agent.put('/api/admin/ip-denylist').send(body).expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: [message] });
      expect((await admin.agent.get('/api/admin/ip-denylist').expect(200)).body).toEqual({ ranges: ['192.0.2.0/24'] });
    });

    it('answers 403 to a non-admin and 401 without a session, changing nothing', async () => {
      await admin.agent
        .put('/api/admin/ip-denylist')
        .send({ ranges: ['192.0.2.0/24'] })
        .expect(200);
      await alice.agent.get('/api/admin/ip-denylist').expect(403);
      await alice.agent.put('/api/admin/ip-denylist').send({ ranges: [] }).expect(403);
      await h.http().get('/api/admin/ip-denylist').expect(401);
      await h.http().put('/api/admin/ip-denylist').send({ ranges: [] }).expect(401);
      await expect(h.get(IpDenylistService).list()).resolves.toEqual(['192.0.2.0/24']);
    });

    it('is documented in Swagger', async () => {
      const doc = (await h.http().get('/docs-json').expect(200)).body;
      expect(Object.keys(doc.paths['/api/admin/ip-denylist']).sort()).toEqual(['get', 'put']);
      expect(doc.paths['/api/admin/ip-denylist'].put.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/IpDenylistDto');
      expect(doc.components.schemas.UpdateUserDto.properties.limits).toBeDefined();
      expect(doc.components.schemas.UserDto.properties.limits).toBeDefined();
    });
  });
});
