import { tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningServer, startServer, TestConfigDir, WORKSPACE_ROOT, writeTestConfig } from './support/servers';

/**
 * An install under a dot-directory (~/.local/src/lmarena-bridge): Express's sendFile refuses
 * absolute paths with a dot segment by default, which once made every SPA page a 404.
 */
describe('the SPA served from an install path with a dot-directory', () => {
  let base: string;
  let db: TestDatabase;
  let dir: TestConfigDir;
  let server: RunningServer | undefined;

  /** dist/apps/dashboard-api/main.js copied under <tmp>/.local/src/lmb/, node_modules linked. */
  function installUnderDotDir(withSpa: boolean): string {
    const root = join(base, withSpa ? 'with' : 'without', '.local', 'src', 'lmb');
    mkdirSync(join(root, 'dist', 'apps', 'dashboard-api'), { recursive: true });
    copyFileSync(join(WORKSPACE_ROOT, 'dist/apps/dashboard-api/main.js'), join(root, 'dist/apps/dashboard-api/main.js'));
    symlinkSync(join(WORKSPACE_ROOT, 'node_modules'), join(root, 'node_modules'));
    if (withSpa) symlinkSync(join(WORKSPACE_ROOT, 'dist/apps/dashboard-web'), join(root, 'dist/apps/dashboard-web'));
    return join(root, 'dist/apps/dashboard-api/main.js');
  }

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'lmb-dot-'));
    db = tempSqliteDatabase();
    dir = writeTestConfig({ database: { url: db.url } });
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  afterAll(async () => {
    rmSync(base, { recursive: true, force: true });
    await db.drop();
    dir.cleanup();
  });

  describe('built SPA present', () => {
    let spa: RunningServer;
    beforeAll(async () => {
      spa = await startServer('dashboard-api', dir.configPath, {}, 30_000, installUnderDotDir(true));
    });
    afterAll(() => spa.stop());

    it.each(['/', '/dashboard', '/tokens', '/analytics'])('GET %s answers the SPA (200, HTML)', async (path) => {
      const res = await fetch(`${spa.url}${path}`, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/<!doctype html>/i);
    });

    it('serves its built assets from the same root and logs it', async () => {
      expect(spa.output()).toContain('/.local/src/lmb/dist/apps/dashboard-web/browser');
      const html = await (await fetch(`${spa.url}/`, { headers: { accept: 'text/html' } })).text();
      const asset = /src="([^"]+\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      expect((await fetch(`${spa.url}/${asset}`)).status).toBe(200);
    });
  });

  it('logs where the SPA was expected when it is not built', async () => {
    server = await startServer('dashboard-api', dir.configPath, {}, 30_000, installUnderDotDir(false));
    expect(server.output()).toMatch(/dashboard-web is not built \(.*\.local\/src\/lmb\/dist\/apps\/dashboard-web\/browser\/index\.html missing\)/);
    expect((await fetch(`${server.url}/tokens`, { headers: { accept: 'text/html' } })).status).toBe(404);
  });
});
