import { readAuthEpoch, TokenVerifier } from '@lmarena-bridge/auth';
import { NO_LIMITS } from '@lmarena-bridge/contracts';
import type { AuditEvent, CreatedToken, Token, TokenLimits } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { createUsageWriter, NO_USAGE_NOW, UsageRow, utcDay } from '@lmarena-bridge/usage';
import type { Response } from 'supertest';
import { aToken } from '../../testing/builders';
import { DashboardHarness, Session } from '../../testing/dashboard-harness';

const MAX = '1000000000000';

function expectBadRequest(res: Response, message: string): void {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
  expect(res.body.message).toContain(message);
}

/** Valid values of every limit, as sent and as answered (canonical). */
const VALID: Array<[keyof TokenLimits, unknown, unknown]> = [
  ['rpm', 600, 600],
  ['tpm', 100_000, 100_000],
  ['max_parallel', 4, 4],
  ['daily_requests', 0, 0],
  ['monthly_tokens', 10_000_000, 10_000_000],
  ['monthly_budget_usd', 12.5, 12.5],
  ['allowed_models', ['echo', 'gpt-4o', 'echo'], ['echo', 'gpt-4o']],
  ['allowed_ips', ['203.0.113.9/24', '2001:DB8::1', '::ffff:198.51.100.7'], ['203.0.113.0/24', '2001:db8::1', '198.51.100.7']],
  ['denied_ips', ['203.0.113.66/32'], ['203.0.113.66']],
];

/** One bad value per rule, and the message that names it. */
const INVALID: Array<[string, Record<string, unknown>, string]> = [
  ['rpm 0', { rpm: 0 }, `limits.rpm must be null or a whole number from 1 to ${MAX}`],
  ['tpm 1.5', { tpm: 1.5 }, `limits.tpm must be null or a whole number from 1 to ${MAX}`],
  ['max_parallel as a string', { max_parallel: '4' }, `limits.max_parallel must be null or a whole number from 1 to ${MAX}`],
  ['negative daily_requests', { daily_requests: -1 }, `limits.daily_requests must be null or a whole number from 0 to ${MAX}`],
  ['monthly_tokens past the bound', { monthly_tokens: 10 ** 12 + 1 }, `limits.monthly_tokens must be null or a whole number from 0 to ${MAX}`],
  ['a negative budget', { monthly_budget_usd: -0.5 }, 'limits.monthly_budget_usd must be null or a number of US dollars from 0 to 1000000'],
  ['a budget as a string', { monthly_budget_usd: '10' }, 'limits.monthly_budget_usd must be null or a number of US dollars from 0 to 1000000'],
  ['allowed_models as a string', { allowed_models: 'echo' }, 'limits.allowed_models must be null or a list of model names'],
  ['an empty model name', { allowed_models: ['echo', ''] }, 'limits.allowed_models[1] must be a model name: a non-blank string of at most 200 characters'],
  ['a model name that is not a string', { allowed_models: [3] }, 'limits.allowed_models[0] must be a model name: a non-blank string of at most 200 characters'],
  ['a host name in allowed_ips', { allowed_ips: ['example.com'] }, 'limits.allowed_ips[0]: "example.com" is not an IPv4 or IPv6 address or CIDR range'],
  ['an IPv4 prefix of 33', { denied_ips: ['10.0.0.0/33'] }, 'limits.denied_ips[0]: "10.0.0.0/33": the prefix length must be a whole number from 0 to 32'],
  [
    'an IPv6 prefix of 129',
    { denied_ips: ['::1', '2001:db8::/129'] },
    'limits.denied_ips[1]: "2001:db8::/129": the prefix length must be a whole number from 0 to 128',
  ],
  ['too many ranges', { allowed_ips: Array(201).fill('10.0.0.1') }, 'limits.allowed_ips must hold at most 200 entries'],
  [
    'an unknown limit',
    { burst: 10 },
    'limits.burst is not a limit (rpm, tpm, max_parallel, daily_requests, monthly_tokens, monthly_budget_usd, allowed_models, allowed_ips, denied_ips)',
  ],
];

describe.each(testDatabaseKinds())('token limits through the API on $kind', ({ create }) => {
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

  const patch = (session: Session, id: number | string, body: unknown) => session.agent.patch(`/api/tokens/${id}`).send(body as object);
  const listed = async (session: Session, id: number): Promise<Token | undefined> =>
    ((await session.agent.get('/api/tokens').expect(200)).body.tokens as Token[]).find((t) => t.id === id);
  const auditOf = async (action: string, target: string): Promise<AuditEvent[]> =>
    ((await admin.agent.get('/api/admin/audit').query({ action, limit: 200 }).expect(200)).body.events as AuditEvent[]).filter((e) => e.target === target);

  describe('POST /api/tokens with limits', () => {
    it('creates the token with its limits, canonical, every other limit null, and nothing used yet', async () => {
      const created = await h.createToken(alice, aToken({ limits: { rpm: 60, allowed_ips: ['10.1.2.3/8'], daily_requests: null } }));
      expect(created.limits).toEqual({ ...NO_LIMITS, rpm: 60, allowed_ips: ['10.0.0.0/8'] });
      expect(created.usage_now).toEqual(NO_USAGE_NOW);
      expect(await listed(alice, created.id)).toMatchObject({ limits: created.limits, usage_now: NO_USAGE_NOW });
      await expect(h.get(TokenVerifier).verifyToken(created.token)).resolves.toMatchObject({
        ok: true,
        token: { limits: created.limits, userLimits: NO_LIMITS },
      });
    });

    it('creates a token without limits as unlimited', async () => {
      expect((await h.createToken(alice)).limits).toEqual(NO_LIMITS);
    });

    it('records the limits in the token.created audit line', async () => {
      const created = await h.createToken(alice, aToken({ limits: { max_parallel: 2 } }));
      const [event] = await auditOf('token.created', `token:${created.id}`);
      expect(event.detail).toMatchObject({ limits: { max_parallel: 2 } });
    });

    it.each(INVALID)('answers 400 to %s, naming the field, and creates nothing', async (_label, limits, message) => {
      const before = (await alice.agent.get('/api/tokens').expect(200)).body.tokens.length;
      expectBadRequest(await alice.agent.post('/api/tokens').send(aToken({ limits })), message);
      expect((await alice.agent.get('/api/tokens').expect(200)).body.tokens).toHaveLength(before);
    });

    it('names every bad field at once', async () => {
      const res = await alice.agent
        .post('/api/tokens')
        .send(aToken({ limits: { rpm: 0, tpm: -1 } }))
        .expect(400);
      expect(res.body.message).toEqual([
        `limits.rpm must be null or a whole number from 1 to ${MAX}`,
        `limits.tpm must be null or a whole number from 1 to ${MAX}`,
      ]);
    });

    it.each([
      ['a list', [600]],
      ['a number', 600],
      ['a string', 'rpm=600'],
      ['null', null],
    ])('answers 400 to limits given as %s', async (_label, limits) => {
      expectBadRequest(await alice.agent.post('/api/tokens').send({ name: 'x', limits }), 'limits must be an object');
    });
  });

  describe('PATCH /api/tokens/:id', () => {
    let token: CreatedToken;
    beforeAll(async () => {
      token = await h.createToken(alice, aToken({ name: 'patched', limits: { rpm: 60, tpm: 5000 } }));
    });

    it.each(VALID)('sets %s and keeps every other limit', async (field, sent, stored) => {
      const before = (await listed(alice, token.id))?.limits ?? NO_LIMITS;
      const res = await patch(alice, token.id, { limits: { [field]: sent } }).expect(200);
      expect(res.body).toMatchObject({ id: token.id, name: 'patched', status: 'active', limits: { ...before, [field]: stored } });
      expect(Object.keys(res.body).sort()).toEqual(
        Object.keys(token)
          .filter((k) => k !== 'token')
          .sort(),
      );
      expect((await listed(alice, token.id))?.limits).toEqual(res.body.limits);
    });

    it.each(VALID)('lifts %s given as null, keeping the others', async (field, sent) => {
      await patch(alice, token.id, { limits: { [field]: sent } }).expect(200);
      const before = (await listed(alice, token.id))?.limits ?? NO_LIMITS;
      expect(before[field]).not.toBeNull();
      const res = await patch(alice, token.id, { limits: { [field]: null } }).expect(200);
      expect(res.body.limits).toEqual({ ...before, [field]: null });
    });

    it('lifts every limit with limits: null, and the proxy sees the token unlimited', async () => {
      await patch(alice, token.id, { limits: { rpm: 1, denied_ips: ['::1'] } }).expect(200);
      const res = await patch(alice, token.id, { limits: null }).expect(200);
      expect(res.body.limits).toEqual(NO_LIMITS);
      await expect(h.get(TokenVerifier).verifyToken(token.token)).resolves.toMatchObject({ ok: true, token: { limits: NO_LIMITS } });
    });

    it('changes nothing with limits: {}', async () => {
      await patch(alice, token.id, { limits: { rpm: 7 } }).expect(200);
      const epoch = await readAuthEpoch(h.dataSource);
      expect((await patch(alice, token.id, { limits: {} }).expect(200)).body.limits).toMatchObject({ rpm: 7 });
      expect(await readAuthEpoch(h.dataSource)).toBe(epoch);
    });

    it('renames (trimmed), keeping the limits', async () => {
      await patch(alice, token.id, { limits: { rpm: 9 } }).expect(200);
      const res = await patch(alice, token.id, { name: '  renamed  ' }).expect(200);
      expect(res.body).toMatchObject({ name: 'renamed', limits: { rpm: 9 } });
      const [event] = await auditOf('token.renamed', `token:${token.id}`);
      expect(event).toMatchObject({ actor: alice.user.username, detail: { from: 'patched', to: 'renamed', owner_id: alice.user.id } });
      await patch(alice, token.id, { name: 'patched' }).expect(200);
    });

    it('bumps the auth epoch once, audits token.limits_changed with before and after, and the proxy reads the new limits', async () => {
      await patch(alice, token.id, { limits: null }).expect(200);
      const epoch = await readAuthEpoch(h.dataSource);
      await patch(alice, token.id, { limits: { rpm: 30, allowed_models: ['echo'] } }).expect(200);
      expect(await readAuthEpoch(h.dataSource)).toBe(epoch + 1);
      const events = await auditOf('token.limits_changed', `token:${token.id}`);
      expect(events[0]).toMatchObject({
        actor_id: alice.user.id,
        actor: alice.user.username,
        ip: expect.any(String),
        detail: { name: 'patched', owner_id: alice.user.id, from: {}, to: { rpm: 30, allowed_models: ['echo'] } },
      });
      await expect(h.get(TokenVerifier).verifyToken(token.token)).resolves.toMatchObject({ ok: true, token: { limits: { rpm: 30 } } });
    });

    it.each(INVALID)('answers 400 to %s, naming the field, and changes nothing', async (_label, limits, message) => {
      const before = await listed(alice, token.id);
      const epoch = await readAuthEpoch(h.dataSource);
      expectBadRequest(await patch(alice, token.id, { limits }), message);
      expect(await listed(alice, token.id)).toEqual(before);
      expect(await readAuthEpoch(h.dataSource)).toBe(epoch);
    });

    it.each([
      ['an empty body', {}, 'give name and/or limits'],
      ['a blank name', { name: '   ' }, 'name must be 1 to 100 characters'],
      ['a name of 101 characters', { name: 'n'.repeat(101) }, 'name must be shorter than or equal to 100 characters'],
      ['a null name', { name: null }, 'name must be a string'],
      ['limits as a list', { limits: [] }, 'limits must be an object or null'],
      ['an unknown field', { expires_at: '2099-01-01T00:00:00Z' }, 'property expires_at should not exist'],
    ])('answers 400 to %s', async (_label, body, message) => {
      expectBadRequest(await patch(alice, token.id, body), message);
    });

    it.each(['abc', '0', '99999999999'])('answers 400 to the id %p', async (id) => {
      const res = await patch(alice, id, { limits: { rpm: 1 } }).expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: ['id must be an integer from 1 to 2147483647'] });
    });

    it("answers 404 to someone else's token exactly as to a missing one, changing nothing", async () => {
      const before = await listed(alice, token.id);
      const foreign = await patch(bob, token.id, { limits: { rpm: 1 } }).expect(404);
      const missing = await patch(bob, 987_654, { limits: { rpm: 1 } }).expect(404);
      expect(foreign.text).toBe(missing.text);
      expect(foreign.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
      expect(await listed(alice, token.id)).toEqual(before);
    });

    it("lets an admin change any user's token, audited as the admin", async () => {
      const res = await patch(admin, token.id, { limits: { daily_requests: 50 } }).expect(200);
      expect(res.body.limits.daily_requests).toBe(50);
      expect((await listed(alice, token.id))?.limits.daily_requests).toBe(50);
      const events = await auditOf('token.limits_changed', `token:${token.id}`);
      expect(events[0]).toMatchObject({ actor_id: admin.user.id, detail: { owner_id: alice.user.id, to: expect.objectContaining({ daily_requests: 50 }) } });
    });

    it('answers 409 token_revoked to a revoked token, for the owner and an admin alike, and changes nothing', async () => {
      const gone = await h.createToken(alice, aToken({ limits: { rpm: 5 } }));
      await alice.agent.delete(`/api/tokens/${gone.id}`).expect(204);
      const epoch = await readAuthEpoch(h.dataSource);
      for (const session of [alice, admin]) {
        const res = await patch(session, gone.id, { limits: null }).expect(409);
        expect(res.body).toEqual({
          statusCode: 409,
          error: 'Conflict',
          message: 'This token is revoked: its name and limits can no longer change.',
          code: 'token_revoked',
        });
      }
      expect((await listed(alice, gone.id))?.limits.rpm).toBe(5);
      expect(await readAuthEpoch(h.dataSource)).toBe(epoch);
      expect(await auditOf('token.limits_changed', `token:${gone.id}`)).toEqual([]);
    });

    it('answers 401 without a session', async () => {
      await h
        .http()
        .patch(`/api/tokens/${token.id}`)
        .send({ limits: { rpm: 1 } })
        .expect(401);
    });
  });

  describe('usage_now', () => {
    it('shows what the limits compare against, per token, on every answer that carries tokens', async () => {
      const busy = await h.createToken(bob, aToken({ limits: { rpm: 100 } }));
      const idle = await h.createToken(bob);
      const now = Date.now();
      const row = (createdAt: number, overrides: Partial<UsageRow> = {}): UsageRow => ({
        createdAt,
        userId: bob.user.id,
        tokenId: busy.id,
        model: 'echo',
        endpoint: '/v1/chat/completions',
        stream: false,
        statusCode: 200,
        responseTimeMs: 50,
        ttftMs: null,
        promptTokens: 10,
        completionTokens: 5,
        errorMessage: null,
        usageEstimated: false,
        costUsd: null,
        refused: false,
        ...overrides,
      });
      const rows = [
        row(now - 2000, { costUsd: 0.0025 }),
        row(now - 3000, { promptTokens: 100, completionTokens: 50 }),
        row(now - 4000, { statusCode: 429, refused: true, promptTokens: null, completionTokens: null, errorMessage: 'rate limited' }),
        row(now - 10 * 60_000, { promptTokens: 1000, completionTokens: 0 }),
        row(now - 40 * 86_400_000, { promptTokens: 1_000_000, completionTokens: 0 }),
      ];
      await createUsageWriter(h.dataSource).write(rows.map((r, i) => ({ ...r, uid: `usage-now-${i}-${now}` })));

      // Expected from the rows themselves, so the test holds whatever the time of day or month.
      const today = utcDay(Date.now());
      const monthOf = (t: number) => new Date(t).toISOString().slice(0, 7);
      const counted = rows.filter((r) => !r.refused);
      const tokens = (r: UsageRow) => (r.promptTokens ?? 0) + (r.completionTokens ?? 0);
      const expected = {
        minute_requests: counted.filter((r) => r.createdAt > Date.now() - 60_000).length,
        minute_tokens: rows.filter((r) => r.createdAt > Date.now() - 60_000).reduce((s, r) => s + tokens(r), 0),
        in_flight: 0,
        day_requests: counted.filter((r) => utcDay(r.createdAt) === today).length,
        month_tokens: rows.filter((r) => monthOf(r.createdAt) === monthOf(Date.now())).reduce((s, r) => s + tokens(r), 0),
        month_cost_usd: rows.filter((r) => monthOf(r.createdAt) === monthOf(Date.now())).reduce((s, r) => s + (r.costUsd ?? 0), 0),
      };
      expect(expected).toMatchObject({ minute_requests: 2, minute_tokens: 165, month_cost_usd: 0.0025 });

      expect((await listed(bob, busy.id))?.usage_now).toEqual(expected);
      expect((await listed(bob, idle.id))?.usage_now).toEqual(NO_USAGE_NOW);
      const adminList = (await admin.agent.get('/api/admin/tokens').expect(200)).body.tokens as Token[];
      expect(adminList.find((t) => t.id === busy.id)?.usage_now).toEqual(expected);
      expect((await patch(bob, busy.id, { limits: { rpm: 200 } }).expect(200)).body.usage_now).toEqual(expected);
    });
  });

  it('documents PATCH /api/tokens/{id} and the limits in the Token schema', async () => {
    const doc = (await h.http().get('/docs-json').expect(200)).body;
    const op = doc.paths['/api/tokens/{id}'].patch;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '404', '409']);
    expect(op.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/UpdateTokenDto');
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas.TokenDto.properties)).toEqual(expect.arrayContaining(['limits', 'usage_now']));
    expect(Object.keys(schemas.TokenLimitsDto.properties).sort()).toEqual(Object.keys(NO_LIMITS).sort());
    expect(schemas.TokenLimitsDto.required.sort()).toEqual(Object.keys(NO_LIMITS).sort());
    expect(schemas.TokenLimitsInputDto.required).toBeUndefined();
    expect(schemas.CreateTokenDto.properties.limits).toBeDefined();
  });
});
