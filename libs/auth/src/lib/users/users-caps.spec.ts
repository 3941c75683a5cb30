import { NO_LIMITS } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { AuthTestDatabase, openAuthTestDatabase, RecordingNotifier, refuseAuditWrites } from '../../testing/auth-test-database';
import type { AuditActor } from '../audit/audit.service';
import { readAuthEpoch } from '../auth-epoch';
import { AuditEventEntity } from '../entities/audit-event.entity';
import { UserEntity } from '../entities/user.entity';
import { toAdminUser, toUser } from './user.mapper';
import { UsersService } from './users.service';

describe.each(testDatabaseKinds())("UsersService: a user's caps on $kind", ({ create }) => {
  let db: AuthTestDatabase;
  let notifier: RecordingNotifier;
  let users: UsersService;
  let admin: UserEntity;
  let audit: AuditActor;

  beforeAll(async () => {
    db = await openAuthTestDatabase(create);
    notifier = new RecordingNotifier(db.dataSource);
    users = new UsersService(db.dataSource, notifier);
    admin = await db.insertUser({ role: 'admin' });
    audit = { id: admin.id, name: admin.username, ip: '198.51.100.4' };
  });
  afterAll(() => db?.close());

  const capsEvents = (userId: number) =>
    db.dataSource
      .getRepository(AuditEventEntity)
      .find({ where: { action: 'user.limits_changed' }, order: { id: 'ASC' } })
      .then((rows) => rows.filter((r) => r.target?.startsWith(`user:${userId} `)));

  it('shows no caps for a new user', async () => {
    const user = await db.insertUser();
    expect(toUser(user).limits).toEqual(NO_LIMITS);
    expect(toAdminUser(user, 0).limits).toEqual(NO_LIMITS);
  });

  it('sets, keeps, lifts and clears caps like token limits', async () => {
    const user = await db.insertUser();
    expect(toUser(await users.update(user.id, { limits: { daily_requests: 500, allowed_ips: ['2001:DB8::/32'] } }, audit)).limits).toEqual({
      ...NO_LIMITS,
      daily_requests: 500,
      allowed_ips: ['2001:db8::/32'],
    });
    expect(toUser(await users.update(user.id, { limits: { monthly_budget_usd: 20, daily_requests: null } }, audit)).limits).toEqual({
      ...NO_LIMITS,
      monthly_budget_usd: 20,
      allowed_ips: ['2001:db8::/32'],
    });
    expect(toUser(await users.update(user.id, { disabled: false }, audit)).limits).toMatchObject({ monthly_budget_usd: 20 });
    expect(toUser(await users.update(user.id, { limits: null }, audit)).limits).toEqual(NO_LIMITS);
    expect((await db.dataSource.query(`SELECT "limits" FROM "users" WHERE "id" = ${user.id}`))[0].limits).toBeNull();
  });

  it('bumps the epoch, audits the caps before and after, and tells the proxies after commit', async () => {
    const user = await db.insertUser({ limits: JSON.stringify({ rpm: 10 }) });
    const epoch = await readAuthEpoch(db.dataSource);
    const heard = notifier.heard.length;
    await users.update(user.id, { limits: { rpm: 20 } }, audit);
    expect(await readAuthEpoch(db.dataSource)).toBe(epoch + 1);
    const [event] = await capsEvents(user.id);
    expect(event).toMatchObject({ actorId: admin.id, ip: '198.51.100.4' });
    expect(JSON.parse(event.detail ?? '{}')).toEqual({ from: { rpm: 10 }, to: { rpm: 20 } });
    expect(notifier.heard.slice(heard)).toEqual([{ change: { kind: 'user', id: user.id, what: 'changed' }, committedEpoch: epoch + 1, inTransaction: false }]);
  });

  it('neither bumps nor audits caps set to what they were', async () => {
    const user = await db.insertUser({ limits: JSON.stringify({ rpm: 10 }) });
    const epoch = await readAuthEpoch(db.dataSource);
    await users.update(user.id, { limits: { rpm: 10 } }, audit);
    expect(await readAuthEpoch(db.dataSource)).toBe(epoch);
    expect(await capsEvents(user.id)).toEqual([]);
  });

  it('keeps the caps and the epoch when the audit line cannot be written', async () => {
    const user = await db.insertUser({ limits: JSON.stringify({ rpm: 10 }) });
    const epoch = await readAuthEpoch(db.dataSource);
    const restore = await refuseAuditWrites(db.dataSource);
    try {
      await expect(users.update(user.id, { limits: { rpm: 1 } }, audit)).rejects.toThrow(/audit refused/);
    } finally {
      await restore();
    }
    expect((await db.dataSource.query(`SELECT "limits" FROM "users" WHERE "id" = ${user.id}`))[0].limits).toBe('{"rpm":10}');
    expect(await readAuthEpoch(db.dataSource)).toBe(epoch);
  });

  it('refuses bad caps with a 400 naming the field, changing nothing else given with them', async () => {
    const user = await db.insertUser();
    await expect(users.update(user.id, { role: 'admin', limits: { monthly_tokens: -1 } }, audit)).rejects.toMatchObject({
      status: 400,
      response: { message: ['limits.monthly_tokens must be null or a whole number from 0 to 1000000000000'] },
    });
    expect((await users.findById(user.id))?.role).toBe('user');
  });

  it('tells the proxies of a disabled owner too', async () => {
    const user = await db.insertUser();
    const heard = notifier.heard.length;
    await users.update(user.id, { disabled: true }, audit);
    expect(notifier.heard.slice(heard).map((h) => h.change)).toEqual([{ kind: 'user', id: user.id, what: 'disabled' }]);
  });
});
