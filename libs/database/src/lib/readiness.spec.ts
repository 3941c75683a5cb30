import { testDatabaseKinds, TestDatabase } from '../testing';
import { createDataSource } from './data-source';
import { openDatabase } from './migrate';
import { checkReadiness, expectedMigrationNames } from './readiness';

describe.each(testDatabaseKinds())('checkReadiness on $kind', ({ create }) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await create();
  });
  afterEach(() => db.drop());

  it('is ready once every migration is applied', async () => {
    const ds = await openDatabase(createDataSource(db.target, []));
    try {
      expect(await checkReadiness(ds)).toEqual({ ready: true, database: 'ok', migrations: 'ok' });
    } finally {
      await ds.destroy();
    }
  });

  it('names the migrations not applied yet, and an unmigrated database', async () => {
    const ds = await openDatabase(createDataSource(db.target, []));
    try {
      const last = expectedMigrationNames().at(-1) ?? '';
      await ds.query(`DELETE FROM migrations WHERE name = ${db.target.type === 'sqlite' ? '?' : '$1'}`, [last]);
      expect(await checkReadiness(ds)).toEqual({ ready: false, database: 'ok', migrations: 'pending', detail: '1 migration(s) not applied', pending: [last] });
      await ds.query('DROP TABLE migrations');
      expect((await checkReadiness(ds)).pending).toEqual(expectedMigrationNames());
    } finally {
      await ds.destroy();
    }
  });

  it('reports the database down once it cannot answer', async () => {
    const ds = await openDatabase(createDataSource(db.target, []));
    await ds.destroy();
    expect(await checkReadiness(ds)).toMatchObject({ ready: false, database: 'down', migrations: 'unknown' });
  });
});
