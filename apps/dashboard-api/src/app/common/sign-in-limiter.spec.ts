import { TestDatabase, testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { aUser, UserInput } from '../../testing/builders';
import { DashboardHarness } from '../../testing/dashboard-harness';
import { loginFrom, PlainResponse, requestFrom } from '../../testing/from-address';

const STRANGER = '127.0.0.2';
const OWNER = '127.0.0.3';

async function times(n: number, send: () => Promise<PlainResponse>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await send()).status);
  return statuses;
}

function expectThrottled(res: PlainResponse): void {
  expect(res.status).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  expect(res.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/Try again in \d+ s/) });
}

describe.each(testDatabaseKinds())('sign-in throttling on $kind', ({ create }) => {
  describe('with the default limits (10 per account and address, 60 per address)', () => {
    let h: DashboardHarness;
    let bob: UserInput;

    beforeAll(async () => {
      h = await DashboardHarness.start(create, { login_attempts_per_minute: 10, auth_requests_per_minute: 60 });
      await h.initAdmin();
      bob = (await h.register()) as UserInput;
    });
    afterAll(() => h?.close());

    it('50 wrong passwords for bob from 127.0.0.2 do not lock bob out at 127.0.0.3; 127.0.0.2 stays throttled', async () => {
      h.track('wrong-password-for-bob');
      const statuses = await times(50, () => loginFrom(STRANGER, h.origin, bob.username, 'wrong-password-for-bob'));
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual(Array(40).fill(429));

      const owner = await loginFrom(OWNER, h.origin, bob.username, bob.password);
      expect(owner.status).toBe(200);
      expect(owner.headers['set-cookie']?.[0]).toMatch(/^session=/);

      // Even the right password from the stranger's address waits out the window, and a
      // forged X-Forwarded-For changes nothing while no proxy is trusted.
      expectThrottled(await loginFrom(STRANGER, h.origin, bob.username, bob.password));
      const forged = await requestFrom(
        STRANGER,
        h.origin,
        'POST',
        '/api/auth/login',
        { username: bob.username, password: bob.password },
        { 'x-forwarded-for': '198.51.100.7' },
      );
      expectThrottled(forged);
    });

    it('counts username and email (any letter case) as one account', async () => {
      const carol = (await h.register()) as UserInput;
      const from = '127.0.0.4';
      const spellings = [carol.username, carol.email, carol.username.toUpperCase(), carol.email.toUpperCase()];
      h.track('nope-nope-nope');
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await loginFrom(from, h.origin, spellings[i % 4], 'nope-nope-nope')).status);
      expect(statuses).toEqual(Array(10).fill(401));
      expectThrottled(await loginFrom(from, h.origin, spellings[1], carol.password));
      // Another account from the same address is not affected.
      const dave = (await h.register()) as UserInput;
      expect((await loginFrom(from, h.origin, dave.email, dave.password)).status).toBe(200);
    });

    it('counts an unknown name by its lower-cased spelling', async () => {
      const from = '127.0.0.5';
      const statuses = await times(10, () => loginFrom(from, h.origin, 'Ghost-User', 'whatever-123'));
      expect(statuses).toEqual(Array(10).fill(401));
      expectThrottled(await loginFrom(from, h.origin, 'ghost-user', 'whatever-123'));
    });
  });

  describe('small limits', () => {
    let h: DashboardHarness;

    beforeAll(async () => {
      h = await DashboardHarness.start(create, { login_attempts_per_minute: 3, auth_requests_per_minute: 8 });
      await h.initAdmin();
    });
    afterAll(() => h?.close());

    it('a right password clears the address’s count for that account', async () => {
      const erin = (await h.register()) as UserInput;
      const from = '127.0.1.1';
      expect(await times(2, () => loginFrom(from, h.origin, erin.username, 'wrong-pass-1'))).toEqual([401, 401]);
      expect((await loginFrom(from, h.origin, erin.username, erin.password)).status).toBe(200);
      expect(await times(3, () => loginFrom(from, h.origin, erin.username, 'wrong-pass-1'))).toEqual([401, 401, 401]);
      expectThrottled(await loginFrom(from, h.origin, erin.username, erin.password));
    });

    it('limits every credential request per address (login, register, admin init) and only that address', async () => {
      const from = '127.0.1.2';
      const sends = [
        () => requestFrom(from, h.origin, 'POST', '/api/auth/register', aUser()),
        () => requestFrom(from, h.origin, 'POST', '/api/admin/init', aUser()),
        () => loginFrom(from, h.origin, `nobody-${randomBytes(3).toString('hex')}`, 'x-password'),
      ];
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await sends[i % 3]()).status);
      expect(statuses).toEqual([201, 409, 401, 201, 409, 401, 201, 409]);
      expectThrottled(await sends[0]());
      expectThrottled(await sends[2]());
      expect((await requestFrom('127.0.1.3', h.origin, 'POST', '/api/auth/register', aUser())).status).toBe(201);
    });

    it('throttles guesses of the current password through a session', async () => {
      const input = aUser();
      await h.register(input);
      const from = '127.0.1.4';
      const login = await loginFrom(from, h.origin, input.username, input.password);
      const cookie = String(login.headers['set-cookie']?.[0]).split(';')[0];
      const change = () =>
        requestFrom(from, h.origin, 'POST', '/api/auth/password', { current_password: 'guess-guess', new_password: 'brand-new-pass' }, { cookie });
      expect(await times(3, change)).toEqual([400, 400, 400]);
      expectThrottled(await change());
    });
  });
});

describe('sign-in throttling behind a trusted reverse proxy (trust_proxy_hops 1)', () => {
  let h: DashboardHarness;

  beforeAll(async () => {
    const [sqlite] = testDatabaseKinds();
    h = await DashboardHarness.start(sqlite.create, { login_attempts_per_minute: 2, auth_requests_per_minute: 1000, trust_proxy_hops: 1 });
    await h.initAdmin();
  });
  afterAll(() => h?.close());

  it('counts per forwarded client address, and records it in the audit log', async () => {
    const ivan = (await h.register()) as UserInput;
    const via = (client: string, password: string) =>
      requestFrom('127.0.0.1', h.origin, 'POST', '/api/auth/login', { username: ivan.username, password }, { 'x-forwarded-for': client });
    expect((await via('198.51.100.1', 'wrong-wrong')).status).toBe(401);
    expect((await via('198.51.100.1', 'wrong-wrong')).status).toBe(401);
    expectThrottled(await via('198.51.100.1', ivan.password));
    expect((await via('198.51.100.2', ivan.password)).status).toBe(200);
    const rows: Array<{ action: string; ip: string }> = await h.dataSource.query(
      `SELECT action, ip FROM audit_events WHERE action LIKE 'auth.login%' ORDER BY id`,
    );
    expect(rows).toEqual([
      { action: 'auth.login_failed', ip: '198.51.100.1' },
      { action: 'auth.login_failed', ip: '198.51.100.1' },
      { action: 'auth.login', ip: '198.51.100.2' },
    ]);
  });
});

const redisUrl = process.env['TEST_REDIS_URL'];
if (!redisUrl) process.stdout.write('\n*** Redis sign-in throttling suite skipped: set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) ***\n\n');

// describe.each refuses an empty table: without Redis the suite is announced above instead.
(redisUrl ? describe.each(testDatabaseKinds()) : () => () => undefined)('sign-in throttling through Redis on $kind', ({ create }) => {
  const prefix = `lmb-test:${Date.now()}:${randomBytes(4).toString('hex')}:`;
  let redis: Redis;
  let db: TestDatabase;
  let a: DashboardHarness;
  let b: DashboardHarness;

  beforeAll(async () => {
    redis = new Redis(String(redisUrl));
    // Two dashboard instances on one database and one Redis, like a scaled deployment.
    db = await create();
    const shared = async (): Promise<TestDatabase> => ({ ...db, drop: async () => undefined });
    const settings = { login_attempts_per_minute: 4, auth_requests_per_minute: 1000 };
    a = await DashboardHarness.start(shared, settings, { redis: { url: String(redisUrl), key_prefix: prefix } });
    b = await DashboardHarness.start(shared, settings, { redis: { url: String(redisUrl), key_prefix: prefix } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('shares the count between two instances, and writes its keys under the prefix', async () => {
    await a.initAdmin();
    const frank = (await a.register()) as UserInput;
    const from = '127.0.2.1';
    expect(await times(2, () => loginFrom(from, a.origin, frank.username, 'wrong-wrong'))).toEqual([401, 401]);
    expect(await times(2, () => loginFrom(from, b.origin, frank.email, 'wrong-wrong'))).toEqual([401, 401]);
    expectThrottled(await loginFrom(from, a.origin, frank.username, frank.password));
    expectThrottled(await loginFrom(from, b.origin, frank.username, frank.password));
    expect((await loginFrom('127.0.2.2', b.origin, frank.username, frank.password)).status).toBe(200);
    expect((await redis.keys(`${prefix}*`)).length).toBeGreaterThan(0);
  });
});

describe('sign-in throttling with Redis unreachable', () => {
  let h: DashboardHarness;

  beforeAll(async () => {
    const [sqlite] = testDatabaseKinds();
    // Port 1 on loopback: nothing listens, every Redis call fails at once.
    h = await DashboardHarness.start(
      sqlite.create,
      { login_attempts_per_minute: 2, auth_requests_per_minute: 1000 },
      { redis: { url: 'redis://127.0.0.1:1', key_prefix: 'lmb-test-down:' } },
    );
    await h.initAdmin();
  });
  afterAll(() => h?.close());

  it('keeps counting in memory (insurance limiter) and still signs the owner in', async () => {
    const gina = (await h.register()) as UserInput;
    expect(await times(2, () => loginFrom('127.0.3.1', h.origin, gina.username, 'wrong-wrong'))).toEqual([401, 401]);
    expectThrottled(await loginFrom('127.0.3.1', h.origin, gina.username, gina.password));
    expect((await loginFrom('127.0.3.2', h.origin, gina.username, gina.password)).status).toBe(200);
  });
});
