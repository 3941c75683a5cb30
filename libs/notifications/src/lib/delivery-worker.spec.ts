import { authEntities, UserEntity } from '@lmarena-bridge/auth';
import type { WebhookBody } from '@lmarena-bridge/contracts';
import { createDataSource, openDatabase, runInTransaction } from '@lmarena-bridge/database';
import { TestDatabase, testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { DataSource } from 'typeorm';
import { TestReceiver } from '../testing/receiver';
import { RetryPolicy, retrySchedule } from './backoff';
import { DeliveryWorker } from './delivery-worker';
import { notificationEntities, WebhookDeliveryEntity, WebhookEntity, WebhookOutboxEntity } from './entities';
import { enqueueWebhookEvent } from './outbox';
import { SecretBox, verifyWebhookSignature } from './secret-box';

const KEY = 'k'.repeat(40);
const SECRET = 'whsec_test_secret';
const SHORT: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 8000, giveUpAfterMs: 60_000 };

/** A clock the test moves by hand, so backoff needs no waiting. */
class Clock {
  ms = Date.parse('2026-12-01T10:00:00Z');
  now = () => new Date(this.ms);
  advance(ms: number) {
    this.ms += ms;
  }
}

describe.each(testDatabaseKinds())('DeliveryWorker on $kind', ({ create }) => {
  let db: TestDatabase;
  let ds: DataSource;
  let receiver: TestReceiver;
  const box = new SecretBox(KEY);
  let clock: Clock;
  let user: UserEntity;

  const open = () => openDatabase(createDataSource(db.target, [...authEntities, ...notificationEntities]));
  const worker = (over: Partial<ConstructorParameters<typeof DeliveryWorker>[1]> = {}) =>
    new DeliveryWorker(ds, { box, allowPrivate: true, retry: SHORT, clock: clock.now, leaseMs: 10_000, ...over });
  const addHook = async (url: string, events: string[] = ['token.created']) =>
    ds
      .getRepository(WebhookEntity)
      .save({ userId: user.id, url, events: JSON.stringify(events), description: null, secret: box.seal(SECRET), createdAt: clock.now() });
  const emit = (data: Record<string, unknown> = { token: { id: 1 } }) =>
    runInTransaction(ds, (m) => enqueueWebhookEvent(m, { type: 'token.created', userId: user.id, data }, clock.now()));
  const outbox = () => ds.getRepository(WebhookOutboxEntity).find({ order: { id: 'ASC' } });

  beforeAll(async () => {
    db = await create();
    ds = await open();
    receiver = await TestReceiver.start();
  });
  afterAll(async () => {
    await receiver?.down();
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });
  beforeEach(async () => {
    clock = new Clock();
    receiver.received.length = 0;
    receiver.status = 200;
    await ds.query('DELETE FROM "webhook_lease"');
    await ds.query('DELETE FROM "webhooks"');
    const users = ds.getRepository(UserEntity);
    const n = Math.random().toString(36).slice(2, 10);
    user = await users.save(
      users.create({
        username: `u${n}`,
        email: `u${n}@example.com`,
        passwordHash: 'x',
        role: 'user',
        disabled: false,
        createdAt: new Date(),
        updatedAt: new Date(),
        lastLoginAt: null,
      }),
    );
  });

  it('sends each event once, signed over "timestamp.body", with the contract headers and body', async () => {
    const hook = await addHook(receiver.url);
    await addHook(receiver.url, ['token.revoked']); // not subscribed: gets nothing
    expect(await emit({ token: { id: 7, name: 'laptop' } })).toBe(1);
    const w = worker();
    expect(await w.tick()).toBe(1);
    expect(await w.tick()).toBe(0);
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    const ts = String(got.headers['x-lmb-timestamp']);
    expect(ts).toBe(String(Math.floor(clock.ms / 1000)));
    expect(got.headers['x-lmb-event']).toBe('token.created');
    expect(got.headers['content-type']).toBe('application/json');
    expect(verifyWebhookSignature(SECRET, ts, got.body, String(got.headers['x-lmb-signature']))).toBe(true);
    expect(verifyWebhookSignature('whsec_other', ts, got.body, String(got.headers['x-lmb-signature']))).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(Number(ts) + 1), got.body, String(got.headers['x-lmb-signature']))).toBe(false);
    const body = JSON.parse(got.body) as WebhookBody;
    expect(body).toEqual({ id: expect.any(String), type: 'token.created', created_at: clock.now().toISOString(), data: { token: { id: 7, name: 'laptop' } } });
    const [row] = await outbox();
    expect(got.headers['x-lmb-delivery']).toBe(row.deliveryId);
    expect(row).toMatchObject({ state: 'delivered', attempts: 1, webhookId: hook.id });
    const [delivery] = await ds.getRepository(WebhookDeliveryEntity).find();
    expect(delivery).toMatchObject({ statusCode: 200, attempt: 1, error: null, responseBody: 'ok 1', deliveryId: row.deliveryId });
  });

  it('writes nothing for an event whose transaction rolls back', async () => {
    await addHook(receiver.url);
    await expect(
      runInTransaction(ds, async (m) => {
        await enqueueWebhookEvent(m, { type: 'token.created', userId: user.id, data: {} }, clock.now());
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await outbox()).toEqual([]);
  });

  it('retries with exponential backoff while the receiver is down, and delivers once it is back', async () => {
    await addHook(receiver.url);
    await emit();
    await receiver.down();
    const w = worker();
    const start = clock.ms;
    const attemptsAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      expect(await w.tick()).toBe(1);
      attemptsAt.push(clock.ms - start);
      const [row] = await outbox();
      expect(row.state).toBe('pending');
      // Not due yet: a poll before the next attempt sends nothing.
      expect(await w.tick()).toBe(0);
      clock.ms = row.nextAttemptAt.getTime();
    }
    expect(attemptsAt).toEqual([0, 1000, 3000, 7000]);
    await receiver.up();
    expect(await w.tick()).toBe(1);
    attemptsAt.push(clock.ms - start);
    process.stdout.write(`retry schedule (base 1 s, test clock): attempts at +${attemptsAt.map((ms) => ms / 1000).join(' s, +')} s\n`);
    expect(receiver.received).toHaveLength(1);
    const log = await ds.getRepository(WebhookDeliveryEntity).find({ order: { id: 'ASC' } });
    expect(log.map((d) => [d.attempt, d.statusCode])).toEqual([
      [1, null],
      [2, null],
      [3, null],
      [4, null],
      [5, 200],
    ]);
    expect(log[0].error).toMatch(/ECONNREFUSED/);
    expect((await outbox())[0]).toMatchObject({ state: 'delivered', attempts: 5 });
  });

  it('gives up after the retry window, marking the event failed', async () => {
    receiver.status = 500;
    await addHook(receiver.url);
    await emit();
    const w = worker();
    let attempts = 0;
    for (;;) {
      await w.tick();
      attempts++;
      const [row] = await outbox();
      if (row.state !== 'pending') break;
      clock.ms = row.nextAttemptAt.getTime();
    }
    const [row] = await outbox();
    expect(row.state).toBe('failed');
    // Offsets 0, 1, 3, 7, 15, 23, 31, 39, 47, 55 s; the next (63 s) is past the 60 s window.
    expect(attempts).toBe(retrySchedule(SHORT).length);
    expect(attempts).toBe(10);
    expect(receiver.received).toHaveLength(10);
    const last = await ds.getRepository(WebhookDeliveryEntity).findOne({ where: {}, order: { id: 'DESC' } });
    expect(last).toMatchObject({ statusCode: 500, error: 'HTTP 500' });
  });

  it('runs one worker at a time: the lease holder sends, another takes over only after the lease expires', async () => {
    await addHook(receiver.url);
    const a = worker({ holder: 'instance-a' });
    const b = worker({ holder: 'instance-b' });
    expect(await a.holdLease()).toBe(true);
    await emit();
    expect(await b.tick()).toBe(0); // a holds the lease
    expect(receiver.received).toHaveLength(0);
    // a dies without giving the lease up; once it has expired b takes over.
    clock.advance(10_001);
    expect(await b.tick()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    expect(await a.holdLease()).toBe(false);
  });

  it('loses nothing across a restart: outbox rows written before it are delivered by the next process', async () => {
    await addHook(receiver.url);
    await receiver.down();
    const before = worker({ holder: 'before-restart' });
    await emit({ n: 1 });
    await emit({ n: 2 });
    expect(await before.tick()).toBe(2); // both fail: the receiver is down
    await before.stop();
    await ds.destroy(); // the process goes away
    ds = await open();
    await receiver.up();
    const after = worker({ holder: 'after-restart' });
    clock.advance(SHORT.baseDelayMs);
    expect(await after.tick()).toBe(2);
    expect(receiver.received.map((r) => (JSON.parse(r.body) as WebhookBody).data)).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }]));
    expect(new Set(receiver.received.map((r) => r.headers['x-lmb-delivery'])).size).toBe(2);
  });

  it('refuses a target on a loopback address unless allow_private', async () => {
    await addHook(receiver.url);
    await emit();
    expect(await worker({ allowPrivate: false }).tick()).toBe(1);
    expect(receiver.received).toHaveLength(0);
    const [delivery] = await ds.getRepository(WebhookDeliveryEntity).find();
    expect(delivery.statusCode).toBeNull();
    expect(delivery.error).toMatch(/^refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1, a private or loopback address/);
  });

  it('does not follow redirects and keeps at most 1 KB of the answer', async () => {
    const { createServer } = await import('node:http');
    const target = await TestReceiver.start();
    const redirecting = createServer((_req, res) => res.writeHead(302, { location: target.url }).end('x'.repeat(5000) + 'é'));
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', () => resolve()));
    const port = (redirecting.address() as { port: number }).port;
    try {
      await addHook(`http://127.0.0.1:${port}/moved`);
      await emit();
      await worker().tick();
      expect(target.received).toHaveLength(0);
      const [delivery] = await ds.getRepository(WebhookDeliveryEntity).find();
      expect(delivery).toMatchObject({ statusCode: 302, error: 'HTTP 302' });
      expect(delivery.responseBody).toBe('x'.repeat(1024));
      expect((await outbox())[0].state).toBe('pending');
    } finally {
      await target.down();
      await new Promise<void>((resolve) => redirecting.close(() => resolve()));
    }
  });
});
