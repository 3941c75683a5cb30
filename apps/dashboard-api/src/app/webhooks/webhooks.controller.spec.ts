import type { CreatedWebhook, Webhook, WebhookBody, WebhookDelivery } from '@lmarena-bridge/contracts';
import { tempSqliteDatabase, testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { verifyWebhookSignature, WebhookRuntime } from '@lmarena-bridge/notifications';
import { TestReceiver, TestSmtp } from '@lmarena-bridge/notifications/testing';
import type { Response } from 'supertest';
import { DashboardHarness, Session } from '../../testing/dashboard-harness';

const SECRET_KEY = 'test-webhook-server-key-'.padEnd(40, 'x');

function expectBadRequest(res: Response, message: RegExp): void {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
  expect(res.body.message).toContainEqual(expect.stringMatching(message));
}

describe.each(testDatabaseKinds())('webhook routes on $kind', ({ create }) => {
  let h: DashboardHarness;
  let admin: Session;
  let alice: Session;
  let bob: Session;
  let receiver: TestReceiver;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    // allow_private: the test receiver listens on 127.0.0.1.
    h = await DashboardHarness.start(create, {}, { webhooks: { secret_key: SECRET_KEY, allow_private: true } });
    admin = await h.signUpAdmin();
    alice = await h.signUp();
    bob = await h.signUp();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.down();
  });

  /** The delivery log once it holds `n` attempts: each is written right after its answer arrives. */
  const deliveriesOf = async (session: Session, id: number, n: number): Promise<WebhookDelivery[]> => {
    let rows: WebhookDelivery[] = [];
    for (let i = 0; i < 100 && rows.length < n; i++) {
      rows = (await session.agent.get(`/api/webhooks/${id}/deliveries`).expect(200)).body.deliveries;
      if (rows.length < n) await new Promise((r) => setTimeout(r, 20));
    }
    return rows;
  };

  const subscribe = async (session: Session, events: string[], url = receiver.url): Promise<CreatedWebhook> => {
    const res = await session.agent.post('/api/webhooks').send({ url, events, description: 'test hook' }).expect(201);
    h.track(res.body.secret);
    return res.body as CreatedWebhook;
  };

  it('creates a webhook: 201 with the secret this once; the list and the database never show it', async () => {
    const created = await subscribe(alice, ['token.created']);
    expect(created).toEqual({
      id: expect.any(Number),
      url: receiver.url,
      events: ['token.created'],
      description: 'test hook',
      created_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_/),
    });
    const list = (await alice.agent.get('/api/webhooks').expect(200)).body.webhooks as Webhook[];
    expect(list).toEqual([{ id: created.id, url: receiver.url, events: ['token.created'], description: 'test hook', created_at: created.created_at }]);
    expect((await bob.agent.get('/api/webhooks').expect(200)).body.webhooks).toEqual([]);
    expect(await h.leakedSecrets()).toMatchObject({ database: [], logs: [] });
    await alice.agent.delete(`/api/webhooks/${created.id}`).expect(204);
  });

  it.each([
    ['an unknown event', { url: 'http://127.0.0.1:1/x', events: ['token.exploded'] }, /unknown event "token\.exploded"/],
    ['no events', { url: 'http://127.0.0.1:1/x', events: [] }, /at least one event/],
    ['a non-http URL', { url: 'ftp://127.0.0.1/x', events: ['token.created'] }, /^url: url must be an http\(s\) URL/],
    ['events not a list', { url: 'http://127.0.0.1:1/x', events: 'token.created' }, /events must be an array/],
    ['an admin-only event', { url: 'http://127.0.0.1:1/x', events: ['bridge.disconnected'] }, /bridge\.disconnected is for admins only/],
    ['an unknown field', { url: 'http://127.0.0.1:1/x', events: ['token.created'], secret: 'mine' }, /property secret should not exist/],
  ])('answers 400 for %s', async (_label, body, message) => {
    expectBadRequest(await alice.agent.post('/api/webhooks').send(body), message);
  });

  it('lets admins subscribe to system events', async () => {
    const hook = await subscribe(admin, ['bridge.disconnected']);
    await admin.agent.delete(`/api/webhooks/${hook.id}`).expect(204);
  });

  it("answers 404 for someone else's webhook, on delete, test and deliveries", async () => {
    const hook = await subscribe(alice, ['token.revoked']);
    await bob.agent.delete(`/api/webhooks/${hook.id}`).expect(404);
    await bob.agent.post(`/api/webhooks/${hook.id}/test`).expect(404);
    await bob.agent.get(`/api/webhooks/${hook.id}/deliveries`).expect(404);
    await alice.agent.delete(`/api/webhooks/${hook.id}`).expect(204);
    await alice.agent.delete(`/api/webhooks/${hook.id}`).expect(404);
  });

  it('delivers token.created and token.revoked signed, once each, and logs the deliveries', async () => {
    const hook = await subscribe(bob, ['token.created', 'token.revoked']);
    const start = receiver.received.length;
    const t0 = performance.now();
    const token = await h.createToken(bob);
    await receiver.waitFor(start + 1);
    const latencyMs = receiver.received[start].at - t0;
    await bob.agent.delete(`/api/tokens/${token.id}`).expect(204);
    await receiver.waitFor(start + 2);
    process.stdout.write(`webhook latency, POST /api/tokens sent → receiver has the event: ${latencyMs.toFixed(1)} ms\n`);

    const got = receiver.received.slice(start);
    const bodies = got.map((r) => JSON.parse(r.body) as WebhookBody);
    expect(bodies.map((b) => b.type)).toEqual(['token.created', 'token.revoked']);
    expect(bodies[0].data).toEqual({ token: { id: token.id, name: token.name, hint: token.hint, expires_at: null } });
    for (const r of got) {
      expect(verifyWebhookSignature(hook.secret, String(r.headers['x-lmb-timestamp']), r.body, String(r.headers['x-lmb-signature']))).toBe(true);
    }
    const deliveries = await deliveriesOf(bob, hook.id, 2);
    expect(deliveries.map((d) => [d.type, d.status_code, d.attempt])).toEqual([
      ['token.revoked', 200, 1],
      ['token.created', 200, 1],
    ]);
    expect(deliveries.map((d) => d.delivery_id).sort()).toEqual(got.map((r) => String(r.headers['x-lmb-delivery'])).sort());
    // Nothing is sent twice: a later poll finds no pending row.
    await bob.agent.post(`/api/webhooks/${hook.id}/test`).expect(202);
    await receiver.waitFor(start + 3);
    expect(new Set(receiver.received.map((r) => r.headers['x-lmb-delivery'])).size).toBe(receiver.received.length);
    await bob.agent.delete(`/api/webhooks/${hook.id}`).expect(204);
  });

  it('documents every webhook route in /docs with its schemas', async () => {
    const doc = (await h.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths['/api/webhooks']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/webhooks/{id}'])).toEqual(['delete']);
    expect(Object.keys(doc.paths['/api/webhooks/{id}/test'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/api/webhooks/{id}/deliveries'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/auth/me']).sort()).toEqual(['get', 'patch']);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['CreateWebhookDto', 'CreatedWebhookDto', 'WebhookDeliveryListDto', 'UpdateMeDto']),
    );
  });

  it('test-sends a signed webhook.test event and reports its delivery', async () => {
    const hook = await subscribe(alice, ['usage.report']);
    const start = receiver.received.length;
    const { delivery_id } = (await alice.agent.post(`/api/webhooks/${hook.id}/test`).expect(202)).body as { delivery_id: string };
    await receiver.waitFor(start + 1);
    const got = receiver.received[start];
    expect(got.headers['x-lmb-delivery']).toBe(delivery_id);
    expect(got.headers['x-lmb-event']).toBe('webhook.test');
    expect(verifyWebhookSignature(hook.secret, String(got.headers['x-lmb-timestamp']), got.body, String(got.headers['x-lmb-signature']))).toBe(true);
    const deliveries = await deliveriesOf(alice, hook.id, 1);
    expect(deliveries[0]).toMatchObject({ delivery_id, type: 'webhook.test', status_code: 200, attempt: 1, error: null });
    await alice.agent.delete(`/api/webhooks/${hook.id}`).expect(204);
  });
});

describe.each(testDatabaseKinds())('webhooks without allow_private on $kind', ({ create }) => {
  let h: DashboardHarness;

  afterAll(() => h?.close());

  it('refuses loopback and private URLs with a 400', async () => {
    h = await DashboardHarness.start(create, {}, { webhooks: { secret_key: SECRET_KEY } });
    const alice = await h.signUp();
    for (const url of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://10.0.0.1/x', 'http://[::1]/x', 'http://169.254.169.254/latest']) {
      expectBadRequest(await alice.agent.post('/api/webhooks').send({ url, events: ['token.created'] }), /private or loopback address/);
    }
  });
});

describe('webhooks without a server key', () => {
  it('answers 503 webhooks_not_configured: a secret could not be stored sealed', async () => {
    const h = await DashboardHarness.start(async () => tempSqliteDatabase());
    try {
      const alice = await h.signUp();
      const res = await alice.agent
        .post('/api/webhooks')
        .send({ url: 'https://example.com/x', events: ['token.created'] })
        .expect(503);
      expect(res.body).toMatchObject({ statusCode: 503, code: 'webhooks_not_configured' });
      // Tokens work as before: with no webhook there is nothing to enqueue.
      await h.createToken(alice);
    } finally {
      await h.close();
    }
  });
});

describe.each(testDatabaseKinds())('report preference and e-mail through the app on $kind', ({ create }) => {
  let h: DashboardHarness;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await TestSmtp.start();
    h = await DashboardHarness.start(
      create,
      { public_url: 'https://dash.example.test' },
      { email: { smtp_url: smtp.url, from: 'Bridge <bridge@example.test>' } },
    );
  });
  afterAll(async () => {
    await h?.close();
    await smtp?.close();
  });

  it('PATCH /api/auth/me {report} stores the choice; the periodic job then e-mails the report', async () => {
    const alice = await h.signUp();
    expect((await alice.agent.get('/api/notifications/preferences').expect(200)).body).toEqual({ report: 'off' });
    expectBadRequest(await alice.agent.patch('/api/auth/me').send({ report: 'hourly' }), /report must be one of: off, daily, weekly/);
    const res = await alice.agent.patch('/api/auth/me').send({ report: 'daily' }).expect(200);
    expect(res.body).toMatchObject({ id: alice.user.id, username: alice.user.username, report: 'daily' });
    expect((await alice.agent.get('/api/notifications/preferences').expect(200)).body).toEqual({ report: 'daily' });

    const token = await h.createToken(alice);
    const now = new Date();
    const yesterday = Math.floor(now.getTime() / 86_400_000) - 1;
    const p = (n: number) => (h.dataSource.options.type === 'postgres' ? `$${n}` : '?');
    await h.dataSource.query(
      `INSERT INTO usage_daily (day, user_id, token_id, model, status_code, requests, response_time_ms_sum, prompt_tokens, completion_tokens, cost_nano_usd, refused_requests)
       VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(p).join(', ')})`,
      [yesterday, alice.user.id, token.id, 'echo', 200, 3, 30, 10, 20, 0, 0],
    );
    const result = await h.get(WebhookRuntime).runJobs(now);
    expect(result).toMatchObject({ reports: 1 });
    expect(smtp.mails.filter((m) => m.to.includes(alice.user.email))).toHaveLength(1);
    const mail = smtp.mails.find((m) => m.to.includes(alice.user.email));
    expect(mail?.text).toContain('Requests: 3');
    expect(mail?.text).toContain('Tokens: 30 (10 prompt, 20 completion)');
    expect(mail?.text).toContain('https://dash.example.test/analytics');
  });
});

describe.each(testDatabaseKinds())('a dashboard restart mid-way on $kind', ({ create }) => {
  it('loses nothing: an event queued while the receiver was down is delivered by the next process', async () => {
    const receiver = await TestReceiver.start();
    const db = await create();
    // The first process must not drop the database when it stops.
    const kept = async () => ({ ...db, drop: async () => undefined });
    let first: DashboardHarness | undefined = await DashboardHarness.start(kept, {}, { webhooks: { secret_key: SECRET_KEY, allow_private: true } });
    let second: DashboardHarness | undefined;
    try {
      const alice = await first.signUp();
      const hook = (
        await alice.agent
          .post('/api/webhooks')
          .send({ url: receiver.url, events: ['token.created'] })
          .expect(201)
      ).body as CreatedWebhook;
      await receiver.down();
      const token = await first.createToken(alice);
      // The first attempt fails (connection refused) and is logged; then the process stops.
      for (let i = 0; i < 100; i++) {
        const [row] = await first.dataSource.query('SELECT COUNT(*) AS n FROM webhook_deliveries');
        if (Number(row.n) > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await first.close();
      first = undefined;

      await receiver.up();
      second = await DashboardHarness.start(async () => db, {}, { webhooks: { secret_key: SECRET_KEY, allow_private: true } });
      // The retry is due in 30 s: let that time pass for the row instead of waiting.
      await second.dataSource.query(`UPDATE webhook_outbox SET next_attempt_at = ${Date.now()} WHERE state = 'pending'`);
      await receiver.waitFor(1);
      // The attempt is logged right after the answer arrives.
      for (let i = 0; i < 100; i++) {
        const [row] = await second.dataSource.query(`SELECT COUNT(*) AS n FROM webhook_outbox WHERE state = 'delivered'`);
        if (Number(row.n) > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const [got] = receiver.received;
      expect(JSON.parse(got.body)).toMatchObject({ type: 'token.created', data: { token: { id: token.id } } });
      expect(verifyWebhookSignature(hook.secret, String(got.headers['x-lmb-timestamp']), got.body, String(got.headers['x-lmb-signature']))).toBe(true);
      const attempts = await second.dataSource.query('SELECT attempt, status_code FROM webhook_deliveries ORDER BY id');
      expect(
        attempts.map((a: { attempt: number | string; status_code: number | string | null }) => [
          Number(a.attempt),
          a.status_code === null ? null : Number(a.status_code),
        ]),
      ).toEqual([
        [1, null],
        [2, 200],
      ]);
      expect(receiver.received).toHaveLength(1);
    } finally {
      await first?.close();
      await second?.close();
      await receiver.down();
    }
  });
});
