import { AppConfig, ConfigModule } from '@lmarena-bridge/config';
import { tempSqliteDatabase } from '@lmarena-bridge/database/testing';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { AuthTestDatabase, openAuthTestDatabase, RecordingNotifier } from '../testing/auth-test-database';
import { AuthChangeNotifier } from './auth-change-notifier';
import { AuthModule } from './auth.module';
import { IpDenylistService } from './limits/ip-denylist.service';
import { TokensService } from './tokens/tokens.service';
import { UsersService } from './users/users.service';

/**
 * How an app binds the notifier (the Redis pub/sub one): a @Global() module exporting a
 * provider for AuthChangeNotifier. The DataSource is provided the same way here, in place of
 * DatabaseModule.
 */
describe('AuthModule and the AuthChangeNotifier binding', () => {
  let db: AuthTestDatabase;

  beforeAll(async () => {
    db = await openAuthTestDatabase(async () => tempSqliteDatabase());
  });
  afterAll(() => db?.close());

  const moduleWith = async (notifier: AuthChangeNotifier | null) => {
    @Global()
    @Module({
      providers: [{ provide: DataSource, useValue: db.dataSource }, ...(notifier ? [{ provide: AuthChangeNotifier, useValue: notifier }] : [])],
      exports: [DataSource, ...(notifier ? [AuthChangeNotifier] : [])],
    })
    class AppGlobals {}
    // SessionsService reads the configuration; nothing here needs more than its presence.
    return Test.createTestingModule({ imports: [ConfigModule.forRoot({} as AppConfig), AppGlobals, AuthModule] }).compile();
  };

  it('hands a globally bound notifier to every service that changes what proxies cache', async () => {
    const notifier = new RecordingNotifier(db.dataSource);
    const app = await moduleWith(notifier);
    const owner = await db.insertUser();
    const { id } = await app.get(TokensService).create(owner.id, { name: 'bound' });
    await app.get(TokensService).update(id, { limits: { rpm: 3 } }, { id: owner.id, role: 'user' });
    await app.get(UsersService).update(owner.id, { limits: { rpm: 9 } });
    await app.get(IpDenylistService).replace(['192.0.2.0/24']);
    expect(notifier.heard.map((h) => h.change)).toEqual([
      { kind: 'token', id, what: 'changed' },
      { kind: 'user', id: owner.id, what: 'changed' },
      { kind: 'ip_denylist' },
    ]);
    await app.close();
  });

  it('works with no notifier bound: the epoch alone carries changes', async () => {
    const app = await moduleWith(null);
    const owner = await db.insertUser();
    const { id } = await app.get(TokensService).create(owner.id, { name: 'unbound' });
    await expect(app.get(TokensService).update(id, { limits: { rpm: 3 } }, { id: owner.id, role: 'user' })).resolves.toMatchObject({ limits: { rpm: 3 } });
    await app.close();
  });
});
