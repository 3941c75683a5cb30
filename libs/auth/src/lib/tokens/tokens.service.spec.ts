import { NO_LIMITS } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { BadRequestException, HttpException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuthTestDatabase, openAuthTestDatabase, RecordingNotifier, refuseAuditWrites } from '../../testing/auth-test-database';
import type { AuditActor } from '../audit/audit.service';
import { readAuthEpoch } from '../auth-epoch';
import { DomainEvent, DomainEventSink } from '../domain-events';
import { AuditEventEntity } from '../entities/audit-event.entity';
import { UserEntity } from '../entities/user.entity';
import { TokensService } from './tokens.service';

/** The status and body of the HttpException `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  const err: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof HttpException)) throw new Error(`expected an HttpException, got ${String(err)}`);
  return { status: err.getStatus(), body: err.getResponse() };
}

describe.each(testDatabaseKinds())('TokensService limits on $kind', ({ create }) => {
  let db: AuthTestDatabase;
  let notifier: RecordingNotifier;
  let tokens: TokensService;
  let owner: UserEntity;
  let other: UserEntity;
  let audit: AuditActor;

  beforeAll(async () => {
    db = await openAuthTestDatabase(create);
    notifier = new RecordingNotifier(db.dataSource);
    tokens = new TokensService(db.dataSource, notifier);
    owner = await db.insertUser();
    other = await db.insertUser();
    audit = { id: owner.id, name: owner.username, ip: '192.0.2.1' };
  });
  afterAll(() => db?.close());

  const asOwner = () => ({ id: owner.id, role: 'user' as const });
  const auditRows = (action: string) => db.dataSource.getRepository(AuditEventEntity).find({ where: { action }, order: { id: 'ASC' } });
  const storedLimits = async (id: number): Promise<string | null> =>
    (await db.dataSource.query(`SELECT "limits" FROM "api_tokens" WHERE "id" = ${id}`))[0].limits;

  describe('create', () => {
    it('stores the limits given, canonical, and answers them with every other field null', async () => {
      const created = await tokens.create(owner.id, { name: 'capped', limits: { rpm: 60, allowed_ips: ['10.9.8.7/8', '10.0.0.0/8'] } }, new Date(), audit);
      expect(created.limits).toEqual({ ...NO_LIMITS, rpm: 60, allowed_ips: ['10.0.0.0/8'] });
      expect(await storedLimits(created.id)).toBe('{"rpm":60,"allowed_ips":["10.0.0.0/8"]}');
      const [event] = (await auditRows('token.created')).filter((e) => e.target === `token:${created.id}`);
      expect(JSON.parse(event.detail ?? '{}')).toMatchObject({ limits: { rpm: 60, allowed_ips: ['10.0.0.0/8'] } });
    });

    it('stores NULL for a token without limits', async () => {
      const created = await tokens.create(owner.id, { name: 'free', limits: { rpm: null } });
      expect(created.limits).toEqual(NO_LIMITS);
      expect(await storedLimits(created.id)).toBeNull();
    });

    it('refuses bad limits with a 400 naming the field, creating nothing', async () => {
      const before = (await tokens.listForUser(owner.id)).length;
      await expect(refusal(tokens.create(owner.id, { name: 'bad', limits: { max_parallel: 0 } }))).resolves.toEqual({
        status: 400,
        body: expect.objectContaining({ message: ['limits.max_parallel must be null or a whole number from 1 to 1000000000000'] }),
      });
      expect(await tokens.listForUser(owner.id)).toHaveLength(before);
    });
  });

  describe('update', () => {
    it('changes the fields given, keeps the others, and lifts the ones given as null', async () => {
      const { id } = await tokens.create(owner.id, { name: 'laptop', limits: { rpm: 60, daily_requests: 1000 } });
      const changed = await tokens.update(id, { limits: { tpm: 10_000, daily_requests: null } }, asOwner(), audit);
      expect(changed.limits).toEqual({ ...NO_LIMITS, rpm: 60, tpm: 10_000 });
      expect(changed.name).toBe('laptop');
      expect((await tokens.listForUser(owner.id)).find((t) => t.id === id)?.limits).toEqual(changed.limits);
    });

    it('lifts every limit with limits: null', async () => {
      const { id } = await tokens.create(owner.id, { name: 'laptop', limits: { rpm: 60, denied_ips: ['::1'] } });
      expect((await tokens.update(id, { limits: null }, asOwner())).limits).toEqual(NO_LIMITS);
      expect(await storedLimits(id)).toBeNull();
    });

    it('renames (trimmed) without touching the limits', async () => {
      const { id } = await tokens.create(owner.id, { name: 'old', limits: { rpm: 5 } });
      const changed = await tokens.update(id, { name: '  new  ' }, asOwner(), audit);
      expect(changed).toMatchObject({ name: 'new', limits: { rpm: 5 } });
      const [event] = (await auditRows('token.renamed')).filter((e) => e.target === `token:${id}`);
      expect(JSON.parse(event.detail ?? '{}')).toEqual({ from: 'old', to: 'new', owner_id: owner.id });
    });

    it('bumps the auth epoch and writes token.limits_changed with the limits before and after, then tells the proxies', async () => {
      const { id } = await tokens.create(owner.id, { name: 'watched', limits: { rpm: 60 } });
      const epoch = await readAuthEpoch(db.dataSource);
      const heard = notifier.heard.length;
      await tokens.update(id, { limits: { rpm: 30, allowed_models: ['echo'] } }, asOwner(), audit);
      expect(await readAuthEpoch(db.dataSource)).toBe(epoch + 1);
      const [event] = (await auditRows('token.limits_changed')).filter((e) => e.target === `token:${id}`);
      expect(event).toMatchObject({ actorId: owner.id, actor: owner.username, ip: '192.0.2.1' });
      expect(JSON.parse(event.detail ?? '{}')).toEqual({ name: 'watched', owner_id: owner.id, from: { rpm: 60 }, to: { rpm: 30, allowed_models: ['echo'] } });
      // Told once, after commit: the epoch it could read was already the new one.
      expect(notifier.heard.slice(heard)).toEqual([{ change: { kind: 'token', id, what: 'changed' }, committedEpoch: epoch + 1, inTransaction: false }]);
    });

    it('changes nothing, bumps nothing and tells no one when the change is no change', async () => {
      const { id } = await tokens.create(owner.id, { name: 'same', limits: { rpm: 60 } });
      const epoch = await readAuthEpoch(db.dataSource);
      const heard = notifier.heard.length;
      const events = (await auditRows('token.limits_changed')).length;
      await tokens.update(id, { name: 'same', limits: { rpm: 60, tpm: null } }, asOwner(), audit);
      expect(await readAuthEpoch(db.dataSource)).toBe(epoch);
      expect(await auditRows('token.limits_changed')).toHaveLength(events);
      expect(notifier.heard).toHaveLength(heard);
    });

    it('leaves the limits, the epoch and the audit log as they were when the audit line cannot be written', async () => {
      const { id } = await tokens.create(owner.id, { name: 'atomic', limits: { rpm: 60 } });
      const epoch = await readAuthEpoch(db.dataSource);
      const heard = notifier.heard.length;
      const restore = await refuseAuditWrites(db.dataSource);
      try {
        await expect(tokens.update(id, { limits: { rpm: 1 } }, asOwner(), audit)).rejects.toThrow(/audit refused/);
      } finally {
        await restore();
      }
      expect(await storedLimits(id)).toBe('{"rpm":60}');
      expect(await readAuthEpoch(db.dataSource)).toBe(epoch);
      expect(notifier.heard).toHaveLength(heard);
    });

    it("answers 404 to someone else's token exactly as to a missing one, and lets an admin change any", async () => {
      const { id } = await tokens.create(other.id, { name: 'theirs' });
      const foreign = await refusal(tokens.update(id, { limits: { rpm: 1 } }, asOwner()));
      const missing = await refusal(tokens.update(987_654, { limits: { rpm: 1 } }, asOwner()));
      expect(foreign).toEqual(missing);
      expect(foreign.status).toBe(404);
      expect(await storedLimits(id)).toBeNull();
      expect((await tokens.update(id, { limits: { rpm: 1 } }, { id: owner.id, role: 'admin' })).limits.rpm).toBe(1);
    });

    it('answers 409 token_revoked to a revoked token and changes nothing', async () => {
      const { id } = await tokens.create(owner.id, { name: 'gone', limits: { rpm: 60 } });
      await tokens.revoke(id, asOwner());
      await expect(refusal(tokens.update(id, { name: 'back', limits: null }, asOwner()))).resolves.toEqual({
        status: 409,
        body: { message: 'This token is revoked: its name and limits can no longer change.', code: 'token_revoked' },
      });
      expect(await storedLimits(id)).toBe('{"rpm":60}');
    });

    it('refuses a change of nothing, a bad name and bad limits with 400s naming the field', async () => {
      const { id } = await tokens.create(owner.id, { name: 'x' });
      await expect(tokens.update(id, {}, asOwner())).rejects.toThrow(BadRequestException);
      await expect(refusal(tokens.update(id, { name: ' ' }, asOwner()))).resolves.toMatchObject({ body: { message: ['name must be 1 to 100 characters'] } });
      await expect(refusal(tokens.update(id, { limits: { denied_ips: ['10.0.0.0/40'] } }, asOwner()))).resolves.toMatchObject({
        body: { message: ['limits.denied_ips[0]: "10.0.0.0/40": the prefix length must be a whole number from 0 to 32'] },
      });
    });

    // Two PATCHes of different fields at once: each must see the other's committed change.
    it('loses neither of two concurrent changes to different fields', async () => {
      const { id } = await tokens.create(owner.id, { name: 'race' });
      for (let round = 0; round < 5; round++) {
        await tokens.update(id, { limits: null }, asOwner());
        await Promise.all([tokens.update(id, { limits: { rpm: 10 + round } }, asOwner()), tokens.update(id, { limits: { tpm: 20 + round } }, asOwner())]);
        expect((await tokens.listForUser(owner.id)).find((t) => t.id === id)?.limits).toMatchObject({ rpm: 10 + round, tpm: 20 + round });
      }
    });
  });

  describe('revoke', () => {
    it('tells the proxies once the revocation has committed, and not for a second revocation', async () => {
      const { id } = await tokens.create(owner.id, { name: 'told' });
      const heard = notifier.heard.length;
      await tokens.revoke(id, asOwner());
      await tokens.revoke(id, asOwner());
      expect(notifier.heard.slice(heard)).toEqual([
        { change: { kind: 'token', id, what: 'revoked' }, committedEpoch: await readAuthEpoch(db.dataSource), inTransaction: false },
      ]);
    });

    it('still revokes when the notifier fails: the epoch poll carries the change', async () => {
      const { id } = await tokens.create(owner.id, { name: 'loud' });
      notifier.fail = new Error('redis down');
      try {
        await expect(tokens.revoke(id, asOwner())).resolves.toBeUndefined();
      } finally {
        notifier.fail = null;
      }
      expect((await tokens.listForUser(owner.id)).find((t) => t.id === id)?.status).toBe('revoked');
    });
  });

  it('works without a notifier bound', async () => {
    const bare = new TokensService(db.dataSource);
    const { id } = await bare.create(owner.id, { name: 'bare' });
    await expect(bare.update(id, { limits: { rpm: 2 } }, asOwner())).resolves.toMatchObject({ limits: { rpm: 2 } });
    await expect(bare.revoke(id, asOwner())).resolves.toBeUndefined();
  });
});

describe.each(testDatabaseKinds())('TokensService events on $kind', ({ create }) => {
  let db: AuthTestDatabase;
  let owner: UserEntity;

  /** Records events with the manager they came with, and can fail like an outbox that cannot be written. */
  class Sink extends DomainEventSink {
    events: Array<{ event: DomainEvent; inTransaction: boolean }> = [];
    fail = false;
    async record(manager: EntityManager, event: DomainEvent): Promise<void> {
      if (this.fail) throw new Error('outbox refused');
      this.events.push({ event, inTransaction: manager.queryRunner?.isTransactionActive === true });
    }
  }

  beforeAll(async () => {
    db = await openAuthTestDatabase(create);
    owner = await db.insertUser();
  });
  afterAll(() => db?.close());

  it('records token.created and token.revoked inside the change’s transaction', async () => {
    const sink = new Sink();
    const tokens = new TokensService(db.dataSource, undefined, sink);
    const created = await tokens.create(owner.id, { name: 'laptop' });
    await tokens.revoke(created.id, { id: owner.id, role: 'user' });
    await tokens.revoke(created.id, { id: owner.id, role: 'user' }); // already revoked: no second event
    expect(sink.events).toEqual([
      {
        event: { type: 'token.created', userId: owner.id, data: { token: { id: created.id, name: 'laptop', hint: created.hint, expires_at: null } } },
        inTransaction: true,
      },
      { event: { type: 'token.revoked', userId: owner.id, data: { token: { id: created.id, name: 'laptop', hint: created.hint } } }, inTransaction: true },
    ]);
  });

  it('makes no token when its event cannot be recorded, and revokes nothing either', async () => {
    const sink = new Sink();
    const tokens = new TokensService(db.dataSource, undefined, sink);
    const kept = await tokens.create(owner.id, { name: 'kept' });
    sink.fail = true;
    const before = (await tokens.listForUser(owner.id)).length;
    await expect(tokens.create(owner.id, { name: 'lost' })).rejects.toThrow('outbox refused');
    expect((await tokens.listForUser(owner.id)).length).toBe(before);
    await expect(tokens.revoke(kept.id, { id: owner.id, role: 'user' })).rejects.toThrow('outbox refused');
    expect((await tokens.listForUser(owner.id)).find((t) => t.id === kept.id)?.status).toBe('active');
  });
});
