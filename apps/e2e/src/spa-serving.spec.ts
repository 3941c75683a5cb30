import { tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { RunningServer, startServer, TestConfigDir, writeTestConfig } from './support/servers';

describe('dashboard-api serving the built SPA', () => {
  let db: TestDatabase;
  let dir: TestConfigDir;
  let dashboard: RunningServer;

  beforeAll(async () => {
    db = tempSqliteDatabase();
    dir = writeTestConfig({ database: { url: db.url } });
    dashboard = await startServer('dashboard-api', dir.configPath);
  });
  afterAll(async () => {
    await dashboard?.stop();
    await db?.drop();
    dir?.cleanup();
  });

  it.each(['/', '/dashboard', '/tokens', '/analytics', '/admin', '/tokens/deep/link?x=1'])('answers %s with the app shell', async (path) => {
    const res = await fetch(`${dashboard.url}${path}`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('<lmb-root>');
  });

  it('caches hashed bundles for a year', async () => {
    const html = await (await fetch(`${dashboard.url}/`)).text();
    const bundle = /src="(main-[A-Z0-9]{8}\.js)"/.exec(html)?.[1];
    expect(bundle).toBeDefined();
    const res = await fetch(`${dashboard.url}/${bundle}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('keeps unknown API paths as JSON 404s, not the SPA', async () => {
    const res = await fetch(`${dashboard.url}/api/nope`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
  });

  it('sends security headers with a CSP that allows only its own scripts', async () => {
    const res = await fetch(`${dashboard.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
    // The built index.html has no inline script the CSP would block.
    expect(await res.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
