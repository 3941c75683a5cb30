import { AppConfig } from '@lmarena-bridge/config';
import { createDataSource, openDatabase } from '@lmarena-bridge/database';
import { tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { DataSource } from 'typeorm';
import { StatusService } from './status.service';

describe('StatusService', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let config: AppConfig;

  beforeEach(async () => {
    db = tempSqliteDatabase();
    ds = await openDatabase(createDataSource(db.target, []));
    config = { database: { url: db.url, target: db.target } } as AppConfig;
  });
  afterEach(async () => {
    if (ds.isInitialized) await ds.destroy();
    await db.drop();
  });

  it('reports the database up with the measured ping', async () => {
    const status = await new StatusService(ds, config).status();
    expect(status).toMatchObject({ status: 'ok', database: 'ok', database_type: 'sqlite' });
    expect(status.database_latency_ms).toBeGreaterThan(0);
  });

  it('reports the database down when the ping fails', async () => {
    await ds.destroy();
    const status = await new StatusService(ds, config).status();
    expect(status).toMatchObject({ status: 'degraded', database: 'down', database_latency_ms: null });
  });
});
