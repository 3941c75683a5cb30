import { AppConfig } from '@lmarena-bridge/config';
import { createDataSource, openDatabase } from '@lmarena-bridge/database';
import { tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { StatusService } from './status.service';

describe('StatusService', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let config: AppConfig;
  let proxy: Server;
  let healthz: number;

  beforeEach(async () => {
    db = tempSqliteDatabase();
    ds = await openDatabase(createDataSource(db.target, []));
    // A stand-in for the proxy's GET /healthz whose answer each test chooses.
    healthz = 200;
    proxy = createServer((req, res) => res.writeHead(req.url === '/healthz' ? healthz : 404).end('{"status":"ok"}'));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as AddressInfo).port;
    config = { database: { url: db.url, target: db.target }, proxy: { host: '127.0.0.1', port } } as AppConfig;
  });
  afterEach(async () => {
    if (ds.isInitialized) await ds.destroy();
    await db.drop();
    if (proxy.listening) await new Promise((resolve) => proxy.close(resolve));
  });

  it('reports the proxy up when its /healthz answers 200', async () => {
    const status = await new StatusService(ds, config).status();
    expect(status.proxy).toBe('ok');
    expect(status.proxy_latency_ms).toBeGreaterThan(0);
  });

  it('reports the proxy down when /healthz fails or nothing listens, without degrading the dashboard', async () => {
    healthz = 503;
    expect(await new StatusService(ds, config).status()).toMatchObject({ status: 'ok', proxy: 'down', proxy_latency_ms: null });
    await new Promise((resolve) => proxy.close(resolve));
    expect(await new StatusService(ds, config).status()).toMatchObject({ status: 'ok', proxy: 'down', proxy_latency_ms: null });
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
