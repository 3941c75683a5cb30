import { readAuthEpoch, sha256Hex } from '@lmarena-bridge/auth';
import { BridgeBrowsersService, BridgeKeysService, BridgeModelsService } from '@lmarena-bridge/bridge';
import { AppConfig, APP_CONFIG, bridgeWebSocketUrl } from '@lmarena-bridge/config';
import type { BridgeKey, BridgeState } from '@lmarena-bridge/contracts';
import { testDatabaseKinds } from '@lmarena-bridge/database/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { DashboardHarness, Session } from '../../testing/dashboard-harness';

/** A stand-in for the built userscript: the header and the two placeholders, once each. */
const FIXTURE = [
  '// ==UserScript==',
  '// @name         LMArena Bridge',
  '// @match        https://arena.ai/*',
  '// ==/UserScript==',
  'globalThis.filled = { url: "__LMB_PROXY_URL__", key: "__LMB_BRIDGE_KEY__" };',
  '',
].join('\n');

const KEY_FIELDS = ['created_at', 'id', 'last_used_at', 'name', 'revoked_at'];

/** Runs the downloaded script as a browser would parse it, and reads what it was given. */
function filledValues(script: string): { url: string; key: string } {
  const sandbox: { filled?: { url: string; key: string } } = {};
  runInNewContext(script.replace('globalThis.filled', 'this.filled'), sandbox);
  if (!sandbox.filled) throw new Error('the script did not run');
  return sandbox.filled;
}

describe.each(testDatabaseKinds())('bridge routes on $kind', ({ create }) => {
  let h: DashboardHarness;
  let admin: Session;
  let alice: Session;
  let dir: string;
  let scriptPath: string;
  const previousEnv = process.env['LMB_USERSCRIPT'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lmb-userscript-'));
    scriptPath = join(dir, 'lmarena-bridge.user.js');
    writeFileSync(scriptPath, FIXTURE);
    process.env['LMB_USERSCRIPT'] = scriptPath;
    h = await DashboardHarness.start(create);
    admin = await h.signUpAdmin();
    alice = await h.signUp();
  });
  afterAll(async () => {
    if (previousEnv === undefined) delete process.env['LMB_USERSCRIPT'];
    else process.env['LMB_USERSCRIPT'] = previousEnv;
    rmSync(dir, { recursive: true, force: true });
    await h?.close();
  });

  const download = (name: string, as: Session = admin) => as.agent.post('/api/bridge/userscript').send({ name });
  const keyCount = async () => Number((await h.dataSource.query('SELECT COUNT(*) AS n FROM bridge_keys'))[0].n);
  const keysListed = async (): Promise<BridgeKey[]> => ((await admin.agent.get('/api/bridge').expect(200)).body as BridgeState).keys;

  describe('access', () => {
    it.each([
      ['GET /api/bridge', (s: Session) => s.agent.get('/api/bridge')],
      ['POST /api/bridge/userscript', (s: Session) => s.agent.post('/api/bridge/userscript').send({ name: 'x' })],
      ['DELETE /api/bridge/keys/:id', (s: Session) => s.agent.delete('/api/bridge/keys/1')],
    ])('answers 403 to a non-admin on %s', async (_route, call) => {
      const before = await keyCount();
      const res = await call(alice).expect(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: expect.any(String) });
      expect(await keyCount()).toBe(before);
    });

    it.each([
      ['GET', '/api/bridge'],
      ['POST', '/api/bridge/userscript'],
      ['DELETE', '/api/bridge/keys/1'],
    ])('answers 401 to %s %s without a session', async (method, path) => {
      const req = method === 'GET' ? h.http().get(path) : method === 'POST' ? h.http().post(path).send({ name: 'x' }) : h.http().delete(path);
      await req.expect(401);
    });
  });

  describe('POST /api/bridge/userscript', () => {
    it('answers the userscript as a download, with the proxy URL and a new key that verifies', async () => {
      const res = await download('laptop chrome').expect(201);
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="lmarena-bridge.user.js"');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text.startsWith('// ==UserScript==\n')).toBe(true);
      expect(res.text).not.toContain('__LMB_');

      const { url, key } = filledValues(res.text);
      h.track(key);
      expect(url).toBe(bridgeWebSocketUrl(h.app.get<AppConfig>(APP_CONFIG)));
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
      expect(key).toMatch(/^lmb-bridge-[A-Za-z0-9_-]{43}$/);
      const verified = await h.get(BridgeKeysService).verify(key);
      expect(verified).toEqual({ id: expect.any(Number), name: 'laptop chrome' });

      const listed = (await keysListed()).find((k) => k.id === verified?.id);
      expect(listed && Object.keys(listed).sort()).toEqual(KEY_FIELDS);
      expect(listed).toMatchObject({ name: 'laptop chrome', last_used_at: null, revoked_at: null });
    });

    it('stores the key only as its SHA-256, with the admin who made it', async () => {
      const { key } = filledValues((await download('hashed').expect(201)).text);
      h.track(key);
      const rows: Array<Record<string, unknown>> = await h.dataSource.query(`SELECT * FROM bridge_keys WHERE name = 'hashed'`);
      expect(rows).toHaveLength(1);
      expect(rows[0]['key_hash']).toBe(sha256Hex(key));
      expect(Number(rows[0]['created_by'])).toBe(admin.user.id);
      const dump = await h.dumpDatabase();
      expect(dump).toContain(sha256Hex(key));
      expect(dump).not.toContain(key.slice('lmb-bridge-'.length));
    });

    it('gives every download its own key', async () => {
      const a = filledValues((await download('twin').expect(201)).text).key;
      const b = filledValues((await download('twin').expect(201)).text).key;
      h.track(a, b);
      expect(a).not.toBe(b);
    });

    it.each([
      ['an empty name', { name: '' }],
      ['a name of 101 characters', { name: 'x'.repeat(101) }],
      ['no name', {}],
      ['a number', { name: 42 }],
      ['a NUL character', { name: 'a\u0000b' }],
      ['an extra field', { name: 'ok', secret: 'mine' }],
    ])('answers 400 to %s and makes no key', async (_label, body) => {
      const before = await keyCount();
      const res = await admin.agent.post('/api/bridge/userscript').send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(await keyCount()).toBe(before);
    });

    it('answers 400 to a name of spaces only', async () => {
      const before = await keyCount();
      await download('    ').expect(400);
      expect(await keyCount()).toBe(before);
    });

    it('answers 503 with a clear message, and makes no key, when the userscript is not built', async () => {
      const before = await keyCount();
      process.env['LMB_USERSCRIPT'] = join(dir, 'missing.user.js');
      try {
        const res = await download('no build').expect(503);
        expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.stringContaining('not built') });
        expect(res.body.message).toContain('nx build lmarena-userscript');
      } finally {
        process.env['LMB_USERSCRIPT'] = scriptPath;
      }
      expect(await keyCount()).toBe(before);
    });

    it('answers 503 and makes no key when the build lacks a placeholder', async () => {
      const before = await keyCount();
      const broken = join(dir, 'broken.user.js');
      writeFileSync(broken, FIXTURE.replace('"__LMB_BRIDGE_KEY__"', '"lmb-bridge-hardcoded"'));
      process.env['LMB_USERSCRIPT'] = broken;
      try {
        const res = await download('broken build').expect(503);
        expect(res.body.message).toContain('__LMB_BRIDGE_KEY__');
      } finally {
        process.env['LMB_USERSCRIPT'] = scriptPath;
      }
      expect(await keyCount()).toBe(before);
    });
  });

  describe('DELETE /api/bridge/keys/:id', () => {
    it('revokes: 204, the key no longer verifies, the auth epoch moved; a second time 404', async () => {
      const { key } = filledValues((await download('to revoke').expect(201)).text);
      h.track(key);
      const verified = await h.get(BridgeKeysService).verify(key);
      if (!verified) throw new Error('the new key does not verify');
      const epoch = await readAuthEpoch(h.dataSource);

      await admin.agent.delete(`/api/bridge/keys/${verified.id}`).expect(204);
      await expect(h.get(BridgeKeysService).verify(key)).resolves.toBeNull();
      expect(await readAuthEpoch(h.dataSource)).toBe(epoch + 1);
      expect((await keysListed()).find((k) => k.id === verified.id)?.revoked_at).toEqual(expect.any(String));

      const again = await admin.agent.delete(`/api/bridge/keys/${verified.id}`).expect(404);
      expect(again.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      expect(await readAuthEpoch(h.dataSource)).toBe(epoch + 1);
    });

    it('writes the creation and the revocation to the audit log, naming the admin and never the key', async () => {
      const { key } = filledValues((await download('audited').expect(201)).text);
      h.track(key);
      const verified = await h.get(BridgeKeysService).verify(key);
      if (!verified) throw new Error('the new key does not verify');
      await admin.agent.delete(`/api/bridge/keys/${verified.id}`).expect(204);
      const { events } = (await admin.agent.get('/api/admin/audit?limit=20').expect(200)).body as {
        events: Array<{ action: string; actor: string; target: string; detail: unknown }>;
      };
      const mine = events.filter((e) => e.target === `bridge_key:${verified.id}`);
      expect(mine.map((e) => e.action)).toEqual(['bridge_key.revoked', 'bridge_key.created']);
      expect(mine.every((e) => e.actor === admin.user.username)).toBe(true);
      expect(JSON.stringify(mine)).not.toContain(key);
    });

    it('answers 404 to an unknown key and 400 to an id that is not one', async () => {
      await admin.agent.delete('/api/bridge/keys/2147483647').expect(404);
      for (const id of ['abc', '0', '0x10', '99999999999']) await admin.agent.delete(`/api/bridge/keys/${id}`).expect(400);
    });
  });

  describe('GET /api/bridge', () => {
    it('answers the live browsers, every key and the reported models in the contract shapes', async () => {
      const now = Date.now();
      const base = { instanceId: 'proxy-1', origin: 'https://arena.ai', version: '1.2.3', inFlight: 2, lastError: null };
      await h.get(BridgeBrowsersService).upsert({ ...base, browserId: 'live-1', keyId: null, connectedAt: now - 5_000, seenAt: now });
      await h.get(BridgeBrowsersService).upsert({ ...base, browserId: 'stale-1', keyId: null, connectedAt: now - 5_000, seenAt: now - 600_000 });
      const caps = { inputCapabilities: { text: true }, outputCapabilities: { image: { aspectRatios: ['1:1'] } } };
      await h.get(BridgeModelsService).saveReported([{ id: 'a-uuid', publicName: 'image-model', organization: 'org', capabilities: caps }], now);

      const res = await admin.agent.get('/api/bridge').expect(200);
      const state = res.body as BridgeState;
      expect(Object.keys(state).sort()).toEqual(['browsers', 'keys', 'models']);
      expect(state.browsers).toEqual([
        {
          browser_id: 'live-1',
          key_id: null,
          origin: 'https://arena.ai',
          version: '1.2.3',
          connected_at: new Date(now - 5_000).toISOString(),
          in_flight: 2,
          last_error: null,
        },
      ]);
      expect(state.models).toEqual([
        { id: 'a-uuid', public_name: 'image-model', organization: 'org', capabilities: caps, reported_at: new Date(now).toISOString() },
      ]);
      expect(state.keys.length).toBe(await keyCount());
      for (const k of state.keys) expect(Object.keys(k).sort()).toEqual(KEY_FIELDS);
      expect(res.text).not.toMatch(/key_hash|"hint"|lmb-bridge-/);
    });
  });
});
