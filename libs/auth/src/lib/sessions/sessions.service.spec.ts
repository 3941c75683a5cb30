import type { AppConfig } from '@lmarena-bridge/config';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { AuthTestDatabase, openAuthTestDatabase } from '../../testing/auth-test-database';
import { SessionEntity } from '../entities/session.entity';
import { UserEntity } from '../entities/user.entity';
import { sha256Hex } from '../secrets';
import { SessionsService } from './sessions.service';

const TTL_HOURS = 2;

describe.each(testDatabaseKinds())('SessionsService on $kind', ({ create }) => {
  let db: AuthTestDatabase;
  let sessions: SessionsService;
  let user: UserEntity;

  beforeAll(async () => {
    db = await openAuthTestDatabase(create);
    sessions = new SessionsService(db.dataSource, { dashboard: { session_ttl_hours: TTL_HOURS } } as AppConfig);
    user = await db.insertUser();
  });
  afterAll(() => db?.close());

  it('issues a 43-character id that expires after session_ttl_hours, storing only its SHA-256', async () => {
    const now = new Date();
    const session = await sessions.create(user.id, now);
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.expiresAt.getTime()).toBe(now.getTime() + TTL_HOURS * 3_600_000);
    const rows = await db.dataSource.getRepository(SessionEntity).findBy({ userId: user.id });
    expect(rows.map((r) => r.sessionHash)).toContain(sha256Hex(session.id));
    expect(JSON.stringify(await db.dataSource.query('SELECT * FROM sessions'))).not.toContain(session.id);
  });

  it('resolves a live session to its user until one millisecond before the expiry', async () => {
    const session = await sessions.create(user.id);
    const expiry = session.expiresAt.getTime();
    await expect(sessions.resolve(session.id, expiry - 1)).resolves.toMatchObject({ id: user.id });
    await expect(sessions.resolve(session.id, expiry)).resolves.toBeNull();
  });

  it('forgets a revoked session', async () => {
    const session = await sessions.create(user.id);
    await sessions.revoke(session.id);
    await expect(sessions.resolve(session.id)).resolves.toBeNull();
  });

  it('refuses the session of a disabled user', async () => {
    const disabled = await db.insertUser({ disabled: true });
    const session = await sessions.create(disabled.id);
    await expect(sessions.resolve(session.id)).resolves.toBeNull();
  });

  it.each([
    ['an empty id', ''],
    ['an unknown id', 'A'.repeat(43)],
    ['an absurdly long id', 'A'.repeat(201)],
  ])('answers null for %s', async (_label, id) => {
    await expect(sessions.resolve(id)).resolves.toBeNull();
  });
});
