import { ApiTokenEntity, authEntities, UserEntity } from '@lmarena-bridge/auth';
import type { WebhookBody } from '@lmarena-bridge/contracts';
import { createDataSource, openDatabase } from '@lmarena-bridge/database';
import { TestDatabase, testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { DataSource } from 'typeorm';
import { TestReceiver } from '../testing/receiver';
import { TestSmtp } from '../testing/smtp';
import { DeliveryWorker } from './delivery-worker';
import { notificationEntities, NotificationPrefsEntity, WebhookEntity } from './entities';
import { Mailer } from './mailer';
import { NotificationJobs } from './notification-jobs';
import { enqueueWebhookEvent } from './outbox';
import { SecretBox } from './secret-box';

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;
const box = new SecretBox('j'.repeat(40));

describe.each(testDatabaseKinds())('NotificationJobs on $kind', ({ create }) => {
  let db: TestDatabase;
  let ds: DataSource;
  let receiver: TestReceiver;
  let smtp: TestSmtp;
  let mailer: Mailer;
  let jobs: NotificationJobs;
  let worker: DeliveryWorker;
  let user: UserEntity;
  let seq = 0;
  // A Tuesday, 00:05 UTC.
  let now = new Date('2026-12-01T00:05:00Z');

  const today = () => Math.floor(now.getTime() / DAY_MS);
  const events = () => receiver.received.map((r) => JSON.parse(r.body) as WebhookBody);
  const deliver = async () => {
    await worker.tick();
  };
  const addToken = async (over: Partial<ApiTokenEntity>) =>
    ds.getRepository(ApiTokenEntity).save({
      userId: user.id,
      name: `t${++seq}`,
      tokenHash: `hash${seq}-${Math.random()}`,
      hint: `sk-lmarena-…${String(seq).padStart(4, '0')}`,
      limits: null,
      createdAt: now,
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
      ...over,
    });
  const usage = async (row: {
    day: number;
    token: number;
    model: string;
    status: number;
    requests: number;
    prompt?: number;
    completion?: number;
    costNano?: number;
    refused?: number;
  }) =>
    ds.query(
      `INSERT INTO usage_daily (day, user_id, token_id, model, status_code, requests, response_time_ms_sum, prompt_tokens, completion_tokens, cost_nano_usd, refused_requests)
       VALUES (${Array.from({ length: 11 }, (_, i) => (ds.options.type === 'postgres' ? `$${i + 1}` : '?')).join(', ')})`,
      [row.day, user.id, row.token, row.model, row.status, row.requests, 0, row.prompt ?? 0, row.completion ?? 0, row.costNano ?? 0, row.refused ?? 0],
    );

  beforeAll(async () => {
    db = await create();
    ds = await openDatabase(createDataSource(db.target, [...authEntities, ...notificationEntities]));
    receiver = await TestReceiver.start();
    smtp = await TestSmtp.start();
    mailer = new Mailer(smtp.url, 'Bridge <bridge@example.test>');
    jobs = new NotificationJobs(ds, enqueueWebhookEvent, mailer, 'https://dash.example.test');
    worker = new DeliveryWorker(ds, { box, allowPrivate: true, clock: () => now });
  });
  afterAll(async () => {
    mailer?.close();
    await smtp?.close();
    await receiver?.down();
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });
  beforeEach(async () => {
    now = new Date('2026-12-01T00:05:00Z');
    receiver.received.length = 0;
    smtp.mails.length = 0;
    for (const t of ['webhooks', 'notification_marks', 'notification_prefs', 'usage_daily', 'webhook_lease']) await ds.query(`DELETE FROM "${t}"`);
    await ds.query('DELETE FROM "api_tokens"');
    const users = ds.getRepository(UserEntity);
    const n = `${++seq}${Math.random().toString(36).slice(2, 6)}`;
    user = await users.save(
      users.create({
        username: `user${n}`,
        email: `user${n}@example.test`,
        passwordHash: 'x',
        role: 'user',
        disabled: false,
        createdAt: now,
        updatedAt: now,
        lastLoginAt: null,
      }),
    );
    await ds.getRepository(WebhookEntity).save({
      userId: user.id,
      url: receiver.url,
      events: JSON.stringify(['token.expiring', 'quota.threshold', 'rate_limit.exceeded', 'usage.report']),
      description: null,
      secret: box.seal('whsec_jobs'),
      createdAt: now,
    });
  });

  it('announces token.expiring 7 days and 1 day before, once each, by webhook and e-mail', async () => {
    const soon = await addToken({ name: 'laptop', expiresAt: new Date(now.getTime() + 6 * DAY_MS) });
    await addToken({ name: 'far', expiresAt: new Date(now.getTime() + 30 * DAY_MS) });
    expect(await jobs.tokensExpiring(now)).toBe(1);
    expect(await jobs.tokensExpiring(now)).toBe(0);
    now = new Date((soon.expiresAt as Date).getTime() - 20 * 3_600_000);
    expect(await jobs.tokensExpiring(now)).toBe(1);
    now = new Date(now.getTime() + 3_600_000);
    expect(await jobs.tokensExpiring(now)).toBe(0);
    await deliver();
    expect(
      events()
        .map((e) => [e.type, e.data['days_left'], (e.data['token'] as { id: number }).id])
        .sort(),
    ).toEqual([
      ['token.expiring', 1, soon.id],
      ['token.expiring', 7, soon.id],
    ]);
    expect(smtp.mails).toHaveLength(2);
    expect(smtp.mails[0].to).toEqual([user.email]);
    expect(smtp.mails[0].subject).toBe('LMArena Bridge: token "laptop" expires 2026-12-07');
    expect(smtp.mails[0].text).toContain(`Your API token "laptop" (${soon.hint}) expires at 2026-12-07T00:05:00.000Z (UTC).`);
    expect(smtp.mails[0].text).toContain('https://dash.example.test/tokens');
  });

  it('gives a token made with less than a day left only the 1-day notice', async () => {
    await addToken({ expiresAt: new Date(now.getTime() + 5 * 3_600_000) });
    expect(await jobs.tokensExpiring(now)).toBe(1);
    now = new Date(now.getTime() + 3_600_000);
    expect(await jobs.tokensExpiring(now)).toBe(0);
    await deliver();
    expect(events().map((e) => e.data['days_left'])).toEqual([1]);
  });

  it('announces quota.threshold at 80 % and 100 % once per limit and period, from the rollups', async () => {
    const t = await addToken({ limits: JSON.stringify({ daily_requests: 10, monthly_budget_usd: 1 }) });
    await usage({ day: today(), token: t.id, model: 'echo', status: 200, requests: 7 });
    expect(await jobs.quotaThresholds(now)).toBe(0);
    await usage({ day: today(), token: t.id, model: 'echo', status: 500, requests: 1 });
    expect(await jobs.quotaThresholds(now)).toBe(1); // 8 of 10
    expect(await jobs.quotaThresholds(now)).toBe(0);
    // Refused requests do not count against daily_requests (as in the limiter).
    await usage({ day: today(), token: t.id, model: 'echo', status: 429, requests: 5, refused: 5 });
    expect(await jobs.quotaThresholds(now)).toBe(0);
    // The budget goes from nothing straight past 100 %: one notice, 100 %.
    await usage({ day: today(), token: t.id, model: 'gpt', status: 200, requests: 2, costNano: 1_200_000_000 });
    expect(await jobs.quotaThresholds(now)).toBe(2); // daily 10/10 and budget $1.2/$1
    expect(await jobs.quotaThresholds(now)).toBe(0);
    // The next day starts a new daily period.
    now = new Date(now.getTime() + DAY_MS);
    await usage({ day: today(), token: t.id, model: 'echo', status: 200, requests: 9 });
    expect(await jobs.quotaThresholds(now)).toBe(1);
    await deliver();
    // The worker sends due rows concurrently: receivers get no ordering promise.
    const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();
    expect(sorted(events().map((e) => [e.data['limit'], e.data['threshold_percent'], e.data['used']]))).toEqual(
      sorted([
        ['daily_requests', 80, 8],
        ['daily_requests', 100, 10],
        ['monthly_budget_usd', 100, 1.2],
        ['daily_requests', 80, 9],
      ]),
    );
  });

  it('announces rate_limit.exceeded from refused 429s at most once per token per 10 minutes', async () => {
    const t = await addToken({ limits: JSON.stringify({ rpm: 5 }) });
    await usage({ day: today(), token: t.id, model: 'echo', status: 429, requests: 3, refused: 3 });
    expect(await jobs.rateLimited(now)).toBe(1);
    await ds.query(`UPDATE usage_daily SET refused_requests = 7, requests = 7 WHERE token_id = ${t.id}`);
    now = new Date(now.getTime() + 9 * MIN_MS);
    expect(await jobs.rateLimited(now)).toBe(0); // grew, but within 10 minutes
    now = new Date(now.getTime() + MIN_MS);
    expect(await jobs.rateLimited(now)).toBe(1);
    now = new Date(now.getTime() + 30 * MIN_MS);
    expect(await jobs.rateLimited(now)).toBe(0); // no new refusal
    await deliver();
    expect(
      events()
        .map((e) => [e.type, e.data['refused_today']])
        .sort(),
    ).toEqual([
      ['rate_limit.exceeded', 3],
      ['rate_limit.exceeded', 7],
    ]);
  });

  it("e-mails the daily report with the seeded day's figures, and sends usage.report to the webhook, once", async () => {
    await ds.getRepository(NotificationPrefsEntity).save({ userId: user.id, report: 'daily' });
    const t = await addToken({});
    const yesterday = today() - 1;
    await usage({ day: yesterday, token: t.id, model: 'gpt-4o-mini', status: 200, requests: 12, prompt: 1000, completion: 500, costNano: 450_000_000 });
    await usage({ day: yesterday, token: t.id, model: 'gpt-4o-mini', status: 502, requests: 2 });
    await usage({ day: yesterday, token: t.id, model: 'echo', status: 200, requests: 5, prompt: 20, completion: 30 });
    await usage({ day: yesterday - 1, token: t.id, model: 'echo', status: 200, requests: 100 }); // not in the report's day
    await usage({ day: today(), token: t.id, model: 'echo', status: 200, requests: 100 }); // nor today
    expect(await jobs.usageReports(now)).toBe(1);
    expect(await jobs.usageReports(now)).toBe(0);
    await deliver();
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0].text;
    expect(smtp.mails[0].to).toEqual([user.email]);
    expect(smtp.mails[0].subject).toBe('LMArena Bridge daily usage report: 2026-11-30');
    for (const line of [
      'Requests: 19',
      'Errors: 2',
      'Tokens: 1,550 (1,020 prompt, 530 completion)',
      'Cost: $0.45',
      'gpt-4o-mini: 14 requests, $0.45',
      'echo: 5 requests, $0.00',
      'https://dash.example.test/analytics',
    ]) {
      expect(mail).toContain(line);
    }
    expect(mail).toContain('Content-Type: text/html');
    expect(mail).toContain('<b>19</b>');
    expect(events()).toEqual([
      expect.objectContaining({
        type: 'usage.report',
        data: {
          report: {
            period: 'daily',
            from: '2026-11-30',
            to: '2026-11-30',
            requests: 19,
            errors: 2,
            prompt_tokens: 1020,
            completion_tokens: 530,
            cost_usd: 0.45,
            top_models: [
              { model: 'gpt-4o-mini', requests: 14, cost_usd: 0.45 },
              { model: 'echo', requests: 5, cost_usd: 0 },
            ],
          },
        },
      }),
    ]);
  });

  it('sends the weekly report on Mondays only, for the 7 days before', async () => {
    await ds.getRepository(NotificationPrefsEntity).save({ userId: user.id, report: 'weekly' });
    await ds.query('DELETE FROM "webhooks"'); // e-mail only
    const t = await addToken({});
    now = new Date('2026-12-07T00:10:00Z'); // a Monday
    for (let d = 1; d <= 8; d++) await usage({ day: today() - d, token: t.id, model: 'echo', status: 200, requests: d });
    expect(await jobs.usageReports(new Date('2026-12-06T12:00:00Z'))).toBe(0); // Sunday
    expect(await jobs.usageReports(now)).toBe(1);
    expect(await jobs.usageReports(now)).toBe(0);
    expect(smtp.mails[0].subject).toBe('LMArena Bridge weekly usage report: 2026-11-30 to 2026-12-06');
    expect(smtp.mails[0].text).toContain('Requests: 28'); // 1 + … + 7; day 8 is before the week
  });

  it('announces bridge.disconnected to admins when the last browser goes away', async () => {
    const users = ds.getRepository(UserEntity);
    const admin = await users.save(
      users.create({
        username: `${user.username}a`,
        email: `a${user.email}`,
        passwordHash: 'x',
        role: 'admin',
        disabled: false,
        createdAt: now,
        updatedAt: now,
        lastLoginAt: null,
      }),
    );
    await ds.getRepository(WebhookEntity).save({
      userId: admin.id,
      url: receiver.url,
      events: JSON.stringify(['bridge.disconnected']),
      description: null,
      secret: box.seal('whsec_a'),
      createdAt: now,
    });
    await ds.query('DELETE FROM "bridge_browsers"');
    const seen = async (id: string, at: number) => {
      const p = (n: number) => (ds.options.type === 'postgres' ? `$${n}` : '?');
      await ds.query(`DELETE FROM "bridge_browsers" WHERE browser_id = ${p(1)}`, [id]);
      await ds.query(
        `INSERT INTO bridge_browsers (browser_id, instance_id, key_id, origin, version, connected_at, in_flight, last_error, seen_at) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9].map(p).join(', ')})`,
        [id, 'proxy-1', null, 'https://arena.ai', '1', at, 0, null, at],
      );
    };
    await seen('b1', now.getTime());
    expect(await jobs.bridgeDisconnected(now)).toBe(0); // first look: connected
    now = new Date(now.getTime() + 60_000); // b1 not refreshed: stale
    expect(await jobs.bridgeDisconnected(now)).toBe(1);
    now = new Date(now.getTime() + 60_000);
    expect(await jobs.bridgeDisconnected(now)).toBe(0); // still down: said once
    await seen('b2', now.getTime());
    expect(await jobs.bridgeDisconnected(now)).toBe(0);
    await deliver();
    expect(events().map((e) => [e.type, e.data['browsers_before']])).toEqual([['bridge.disconnected', 1]]);
  });

  it('writes a notice and its mark in one transaction: a failed enqueue leaves no mark', async () => {
    await addToken({ expiresAt: new Date(now.getTime() + 2 * DAY_MS) });
    const failing = new NotificationJobs(
      ds,
      async () => {
        throw new Error('outbox down');
      },
      mailer,
      '',
    );
    await expect(failing.tokensExpiring(now)).rejects.toThrow('outbox down');
    expect(await jobs.tokensExpiring(now)).toBe(1);
  });
});
