import { runInTransaction } from '@lmarena-bridge/database';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { AuthTestDatabase, openAuthTestDatabase } from '../../testing/auth-test-database';
import { UserEntity } from '../entities/user.entity';
import { AuditService } from './audit.service';

describe.each(testDatabaseKinds())('AuditService on $kind', ({ create }) => {
  let db: AuthTestDatabase;
  let audit: AuditService;
  const actor = { id: 1, name: 'root', ip: '192.0.2.1' };

  beforeAll(async () => {
    db = await openAuthTestDatabase(create);
    audit = new AuditService(db.dataSource);
  });
  afterAll(() => db?.close());

  it('commits the event with the change, and a rolled-back change leaves no event', async () => {
    const user = await db.insertUser();
    await runInTransaction(db.dataSource, async (manager) => {
      await manager.getRepository(UserEntity).update({ id: user.id }, { role: 'admin' });
      await audit.record(manager, { action: 'test.kept', actor, target: `user:${user.id}`, detail: { n: 1 } });
    });
    await expect(
      runInTransaction(db.dataSource, async (manager) => {
        await audit.record(manager, { action: 'test.rolled_back', actor });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');

    const page = await audit.list({ limit: 10, action: 'test.kept' });
    expect(page.events).toEqual([
      {
        id: expect.any(Number),
        at: expect.any(String),
        actor_id: 1,
        actor: 'root',
        action: 'test.kept',
        target: `user:${user.id}`,
        ip: '192.0.2.1',
        detail: { n: 1 },
      },
    ]);
    expect((await audit.list({ limit: 10, action: 'test.rolled_back' })).events).toEqual([]);
  });

  it('pages newest first by id, filters by actor in any case, clips long values', async () => {
    for (let i = 0; i < 5; i++) await audit.recordNow({ action: 'test.page', actor: { id: null, name: i === 4 ? 'X'.repeat(400) : `Name${i}`, ip: null } });
    const first = await audit.list({ limit: 2, action: 'test.page' });
    expect(first.events[0].actor).toBe('X'.repeat(254));
    expect(first.next_cursor).toBe(String(first.events[1].id));
    const second = await audit.list({ limit: 2, action: 'test.page', cursor: first.next_cursor ?? undefined });
    const third = await audit.list({ limit: 2, action: 'test.page', cursor: second.next_cursor ?? undefined });
    expect([...first.events, ...second.events, ...third.events].map((e) => e.id)).toEqual(
      [...first.events, ...second.events, ...third.events].map((e) => e.id).sort((a, b) => b - a),
    );
    expect(third.next_cursor).toBeNull();
    expect((await audit.list({ limit: 10, actor: 'NAME2' })).events.map((e) => e.actor)).toEqual(['Name2']);
  });
});
