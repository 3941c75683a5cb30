import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { BridgeTestDatabase, openBridgeTestDatabase } from '../../testing/bridge-test-database';
import type { BridgeBrowserState } from '../views';
import { BRIDGE_BROWSER_STALE_MS, BridgeBrowsersService } from './bridge-browsers.service';

const NOW = Date.UTC(2030, 5, 1, 12, 0, 0);

function aBrowser(overrides: Partial<BridgeBrowserState> = {}): BridgeBrowserState {
  return {
    browserId: 'b1',
    instanceId: 'proxy-a',
    keyId: 7,
    origin: 'https://arena.ai',
    version: '1.0.0',
    connectedAt: NOW - 60_000,
    inFlight: 0,
    lastError: null,
    seenAt: NOW,
    ...overrides,
  };
}

describe.each(testDatabaseKinds())('BridgeBrowsersService on $kind', ({ create }) => {
  let db: BridgeTestDatabase;
  let browsers: BridgeBrowsersService;

  beforeEach(async () => {
    db = await openBridgeTestDatabase(create);
    browsers = new BridgeBrowsersService(db.dataSource);
  });
  afterEach(() => db?.close());

  it('lists an upserted browser in the contract shape and updates it in place', async () => {
    await browsers.upsert(aBrowser());
    await browsers.upsert(aBrowser({ inFlight: 3, lastError: 'captcha rejected', seenAt: NOW + 1 }));
    expect(await browsers.listLive(NOW + 1)).toEqual([
      {
        browser_id: 'b1',
        key_id: 7,
        origin: 'https://arena.ai',
        version: '1.0.0',
        connected_at: new Date(NOW - 60_000).toISOString(),
        in_flight: 3,
        last_error: 'captcha rejected',
      },
    ]);
  });

  it('lists only browsers seen within staleMs, oldest connection first', async () => {
    await browsers.upsert(aBrowser({ browserId: 'young', connectedAt: NOW - 1_000, keyId: null }));
    await browsers.upsert(aBrowser({ browserId: 'old', connectedAt: NOW - 9_000 }));
    await browsers.upsert(aBrowser({ browserId: 'stale', seenAt: NOW - BRIDGE_BROWSER_STALE_MS - 1 }));
    expect((await browsers.listLive(NOW)).map((b) => b.browser_id)).toEqual(['old', 'young']);
    expect(await browsers.countLive(NOW)).toBe(2);
    expect((await browsers.listLive(NOW, 10 * BRIDGE_BROWSER_STALE_MS)).map((b) => b.browser_id)).toContain('stale');
  });

  it('removes one browser, or every browser of one proxy instance', async () => {
    await browsers.upsert(aBrowser({ browserId: 'a1', instanceId: 'A' }));
    await browsers.upsert(aBrowser({ browserId: 'a2', instanceId: 'A' }));
    await browsers.upsert(aBrowser({ browserId: 'b1', instanceId: 'B' }));
    await browsers.remove('a1');
    expect((await browsers.listLive(NOW)).map((b) => b.browser_id).sort()).toEqual(['a2', 'b1']);
    await browsers.removeInstance('A');
    expect((await browsers.listLive(NOW)).map((b) => b.browser_id)).toEqual(['b1']);
  });

  it('cuts an over-long origin, version and error to their columns', async () => {
    await browsers.upsert(aBrowser({ origin: 'o'.repeat(300), version: 'v'.repeat(80), lastError: 'e'.repeat(900) }));
    const [b] = await browsers.listLive(NOW);
    expect([b.origin.length, b.version.length, b.last_error?.length]).toEqual([200, 50, 500]);
  });
});
