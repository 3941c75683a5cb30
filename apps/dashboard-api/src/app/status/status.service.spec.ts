import { bridgeEntities, BridgeBrowsersService, BridgeModelsService } from '@lmarena-bridge/bridge';
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
    ds = await openDatabase(createDataSource(db.target, bridgeEntities));
    // A stand-in for the proxy's GET /healthz whose answer each test chooses.
    healthz = 200;
    proxy = createServer((req, res) => res.writeHead(req.url === '/healthz' ? healthz : 404).end('{"status":"ok"}'));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as AddressInfo).port;
    config = { database: { url: db.url, target: db.target }, proxy: { host: '127.0.0.1', port } } as AppConfig;
  });
  const service = () => new StatusService(ds, config, new BridgeBrowsersService(ds), new BridgeModelsService(ds));

  afterEach(async () => {
    if (ds.isInitialized) await ds.destroy();
    await db.drop();
    if (proxy.listening) await new Promise((resolve) => proxy.close(resolve));
  });

  it('reports the proxy up when its /healthz answers 200', async () => {
    const status = await service().status();
    expect(status.proxy).toBe('ok');
    expect(status.proxy_latency_ms).toBeGreaterThan(0);
  });

  it('reports the proxy down when /healthz fails or nothing listens, without degrading the dashboard', async () => {
    healthz = 503;
    expect(await service().status()).toMatchObject({ status: 'ok', proxy: 'down', proxy_latency_ms: null });
    await new Promise((resolve) => proxy.close(resolve));
    expect(await service().status()).toMatchObject({ status: 'ok', proxy: 'down', proxy_latency_ms: null });
  });

  it('reports the database up with the measured ping', async () => {
    const status = await service().status();
    expect(status).toMatchObject({ status: 'ok', database: 'ok', database_type: 'sqlite' });
    expect(status.database_latency_ms).toBeGreaterThan(0);
  });

  it('reports the database down when the ping fails, and no bridge counts', async () => {
    await ds.destroy();
    const status = await service().status();
    expect(status).toMatchObject({ status: 'degraded', database: 'down', database_latency_ms: null, bridge: null });
  });

  it('counts the live bridge browsers and the reported models in the database', async () => {
    expect((await service().status()).bridge).toEqual({ browsers: 0, models: 0 });
    const browsers = new BridgeBrowsersService(ds);
    const now = Date.now();
    const browser = { instanceId: 'p1', keyId: null, origin: 'https://arena.ai', version: '1', connectedAt: now, inFlight: 0, lastError: null };
    await browsers.upsert({ ...browser, browserId: 'live', seenAt: now });
    // A row its proxy stopped refreshing long ago does not count.
    await browsers.upsert({ ...browser, browserId: 'gone', seenAt: now - 3_600_000 });
    await new BridgeModelsService(ds).saveReported([{ id: 'm1' }, { id: 'm2' }, { id: 'm3' }], now);
    expect((await service().status()).bridge).toEqual({ browsers: 1, models: 3 });
  });
});
