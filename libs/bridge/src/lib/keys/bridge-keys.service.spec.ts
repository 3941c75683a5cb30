import { readAuthEpoch, sha256Hex } from '@lmarena-bridge/auth';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { BadRequestException } from '@nestjs/common';
import { BridgeTestDatabase, openBridgeTestDatabase } from '../../testing/bridge-test-database';
import { BridgeKeyEntity } from '../entities/bridge-key.entity';
import { BRIDGE_KEY_PREFIX } from './bridge-key-secret';
import { BridgeKeysService } from './bridge-keys.service';

describe.each(testDatabaseKinds())('BridgeKeysService on $kind', ({ create }) => {
  let db: BridgeTestDatabase;
  let keys: BridgeKeysService;
  let adminId: number;

  beforeAll(async () => {
    db = await openBridgeTestDatabase(create);
    keys = new BridgeKeysService(db.dataSource);
    adminId = (await db.insertAdmin()).id;
  });
  afterAll(() => db?.close());

  it('issues lmb-bridge- + 43 base64url characters and stores only the SHA-256 and a hint', async () => {
    const { key, secret } = await keys.create('  Laptop Chrome  ', adminId);
    expect(secret).toMatch(/^lmb-bridge-[A-Za-z0-9_-]{43}$/);
    expect(key).toEqual({ id: expect.any(Number), name: 'Laptop Chrome', created_at: expect.any(String), last_used_at: null, revoked_at: null });
    const row = await db.dataSource.getRepository(BridgeKeyEntity).findOneByOrFail({ id: key.id });
    expect(row.keyHash).toBe(sha256Hex(secret));
    expect(row.hint).toBe(`${BRIDGE_KEY_PREFIX}…${secret.slice(-4)}`);
    expect(row.createdBy).toBe(adminId);
    const everything = JSON.stringify(await db.dataSource.query('SELECT * FROM bridge_keys'));
    expect(everything).not.toContain(secret.slice(BRIDGE_KEY_PREFIX.length));
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['101 characters', 'x'.repeat(101)],
  ])('refuses a %s name', async (_label, name) => {
    await expect(keys.create(name, adminId)).rejects.toBeInstanceOf(BadRequestException);
  });

  it('verifies its own secret and nothing else', async () => {
    const { key, secret } = await keys.create('verify', null);
    await expect(keys.verify(secret)).resolves.toEqual({ id: key.id, name: 'verify' });
    const other = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    await expect(keys.verify(other)).resolves.toBeNull();
    await expect(keys.verify('')).resolves.toBeNull();
    await expect(keys.verify(secret + 'x')).resolves.toBeNull();
    await expect(keys.verify('sk-lmarena-' + secret.slice(BRIDGE_KEY_PREFIX.length))).resolves.toBeNull();
  });

  it('revokes once, in the same transaction as an auth epoch bump', async () => {
    const { key, secret } = await keys.create('revoke me', adminId);
    const epoch = await readAuthEpoch(db.dataSource);
    await expect(keys.revoke(key.id)).resolves.toBe(true);
    expect(await readAuthEpoch(db.dataSource)).toBe(epoch + 1);
    await expect(keys.verify(secret)).resolves.toBeNull();
    // Twice, or an unknown id: false, and the epoch stays.
    await expect(keys.revoke(key.id)).resolves.toBe(false);
    await expect(keys.revoke(987_654)).resolves.toBe(false);
    await expect(keys.revoke(-1)).resolves.toBe(false);
    expect(await readAuthEpoch(db.dataSource)).toBe(epoch + 1);
    const listed = (await keys.list()).find((k) => k.id === key.id);
    expect(listed?.revoked_at).toEqual(expect.any(String));
  });

  it('tells which keys are still active', async () => {
    const a = (await keys.create('a', null)).key.id;
    const b = (await keys.create('b', null)).key.id;
    await keys.revoke(b);
    expect([...(await keys.activeIds([a, b, 999_999, a]))]).toEqual([a]);
    expect((await keys.activeIds([])).size).toBe(0);
  });

  it('records the last use and lists newest first', async () => {
    const { key } = await keys.create('touched', null);
    const at = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
    await keys.touch(key.id, at);
    const list = await keys.list();
    expect(list[0]).toMatchObject({ id: key.id, last_used_at: new Date(at).toISOString() });
    const ids = list.map((k) => k.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
  });
});
