import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { AuthTestDatabase, openAuthTestDatabase, RecordingNotifier, refuseAuditWrites } from '../../testing/auth-test-database';
import type { AuditActor } from '../audit/audit.service';
import { readAuthEpoch } from '../auth-epoch';
import { AuditEventEntity } from '../entities/audit-event.entity';
import { IpDenylistEntity } from '../entities/ip-denylist.entity';
import { IpDenylistService } from './ip-denylist.service';

describe.each(testDatabaseKinds())('IpDenylistService on $kind', ({ create }) => {
  let db: AuthTestDatabase;
  let notifier: RecordingNotifier;
  let denylist: IpDenylistService;
  let audit: AuditActor;

  beforeAll(async () => {
    db = await openAuthTestDatabase(create);
    notifier = new RecordingNotifier(db.dataSource);
    denylist = new IpDenylistService(db.dataSource, notifier);
    const admin = await db.insertUser({ role: 'admin' });
    audit = { id: admin.id, name: admin.username, ip: '203.0.113.9' };
  });
  afterAll(() => db?.close());

  const events = () => db.dataSource.getRepository(AuditEventEntity).find({ where: { action: 'ip_denylist.changed' }, order: { id: 'ASC' } });

  it('starts empty', async () => {
    await expect(denylist.list()).resolves.toEqual([]);
  });

  it('replaces the list with canonical, deduplicated ranges in the order given', async () => {
    const ranges = await denylist.replace(['203.0.113.77/24', '2001:DB8::/32', '198.51.100.1/32', '203.0.113.0/24', '::ffff:192.0.2.1'], audit);
    expect(ranges).toEqual(['203.0.113.0/24', '2001:db8::/32', '198.51.100.1', '192.0.2.1']);
    await expect(denylist.list()).resolves.toEqual(ranges);
  });

  it('keeps the time a staying range was first denied, and audits what was added and removed', async () => {
    await denylist.replace(['10.0.0.0/8', '172.16.0.0/12'], audit, new Date(1_000_000));
    const before = (await events()).length;
    await denylist.replace(['172.16.0.0/12', '192.168.0.0/16'], audit, new Date(2_000_000));
    const rows = await db.dataSource.getRepository(IpDenylistEntity).find({ order: { position: 'ASC' } });
    expect(rows.map((r) => [r.range, r.position, r.createdAt.getTime()])).toEqual([
      ['172.16.0.0/12', 0, 1_000_000],
      ['192.168.0.0/16', 1, 2_000_000],
    ]);
    const added = (await events()).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ actor: audit.name, ip: '203.0.113.9', target: 'ip_denylist' });
    expect(JSON.parse(added[0].detail ?? '{}')).toEqual({ added: ['192.168.0.0/16'], removed: ['10.0.0.0/8'], count: 2 });
  });

  it('bumps the epoch and tells the proxies after commit; the same list again does neither', async () => {
    const epoch = await readAuthEpoch(db.dataSource);
    const heard = notifier.heard.length;
    await denylist.replace(['100.64.0.0/10'], audit);
    expect(await readAuthEpoch(db.dataSource)).toBe(epoch + 1);
    expect(notifier.heard.slice(heard)).toEqual([{ change: { kind: 'ip_denylist' }, committedEpoch: epoch + 1, inTransaction: false }]);
    const count = (await events()).length;
    await denylist.replace(['100.64.1.2/10'], audit);
    expect(await readAuthEpoch(db.dataSource)).toBe(epoch + 1);
    expect(await events()).toHaveLength(count);
    expect(notifier.heard).toHaveLength(heard + 1);
  });

  it('empties the list', async () => {
    await denylist.replace(['100.64.0.0/10'], audit);
    await expect(denylist.replace([], audit)).resolves.toEqual([]);
    await expect(denylist.list()).resolves.toEqual([]);
  });

  it('refuses a bad entry with a 400 naming it, keeping the list', async () => {
    await denylist.replace(['192.0.2.0/24'], audit);
    await expect(denylist.replace(['10.0.0.0/8', '10.0.0.0/99'], audit)).rejects.toMatchObject({
      status: 400,
      response: { message: ['ranges[1]: "10.0.0.0/99": the prefix length must be a whole number from 0 to 32'] },
    });
    await expect(denylist.replace('10.0.0.0/8', audit)).rejects.toMatchObject({ status: 400 });
    await expect(denylist.list()).resolves.toEqual(['192.0.2.0/24']);
  });

  it('keeps the old list and the epoch when the audit line cannot be written', async () => {
    await denylist.replace(['192.0.2.0/24'], audit);
    const epoch = await readAuthEpoch(db.dataSource);
    const restore = await refuseAuditWrites(db.dataSource);
    try {
      await expect(denylist.replace(['198.51.100.0/24'], audit)).rejects.toThrow(/audit refused/);
    } finally {
      await restore();
    }
    await expect(denylist.list()).resolves.toEqual(['192.0.2.0/24']);
    expect(await readAuthEpoch(db.dataSource)).toBe(epoch);
  });

  it('holds a thousand ranges', async () => {
    const ranges = Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    await expect(denylist.replace(ranges, audit)).resolves.toHaveLength(1000);
    await expect(denylist.list()).resolves.toEqual(ranges);
    await expect(denylist.replace([...ranges, '11.0.0.0/8'], audit)).rejects.toMatchObject({ status: 400 });
  });

  it('lets two replacements at once both finish, one after the other', async () => {
    const results = await Promise.allSettled([denylist.replace(['192.0.2.1'], audit), denylist.replace(['192.0.2.2', '192.0.2.3'], audit)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect([['192.0.2.1'], ['192.0.2.2', '192.0.2.3']]).toContainEqual(await denylist.list());
  });
});
