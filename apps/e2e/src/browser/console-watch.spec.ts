import type { Browser, Page } from 'playwright-core';
import { ConsoleWatch, launchChromium } from '../support/browser';

// The browser suites fail on console errors: check that the watch really sees them, and
// that an allowed API status is the only thing it lets through.

describe('browser: the console watch', () => {
  let browser: Browser;
  let page: Page;
  let watch: ConsoleWatch;
  const ORIGIN = 'http://lmb.test';

  beforeAll(async () => {
    browser = await launchChromium();
  }, 120_000);
  afterAll(() => browser?.close());

  beforeEach(async () => {
    watch = new ConsoleWatch();
    page = watch.attach(await browser.newPage(), 'test');
    // A fake origin served by the test: an empty page and an API answering 401.
    await page.route(`${ORIGIN}/**`, (route) =>
      new URL(route.request().url()).pathname === '/'
        ? route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>t</title>' })
        : route.fulfill({ status: 401, contentType: 'application/json', body: '{"statusCode":401}' }),
    );
    await page.goto(`${ORIGIN}/`);
  });
  afterEach(() => page?.close());

  /** Runs `action` in the page and waits for the console line it causes. */
  const logged = (action: () => unknown) => Promise.all([page.waitForEvent('console'), page.evaluate(action)]);

  it('fails on console.error and on uncaught exceptions', async () => {
    await logged(() => console.error('something broke'));
    await Promise.all([
      page.waitForEvent('pageerror'),
      page.evaluate(() =>
        setTimeout(() => {
          throw new Error('uncaught boom');
        }),
      ),
    ]);
    expect(() => watch.assertClean()).toThrow(/something broke[\s\S]*uncaught boom/);
    expect(() => watch.assertClean()).not.toThrow();
  });

  it('fails on an unexpected failed API call, and lets through only the allowed status and path', async () => {
    await logged(() => fetch('/api/tokens'));
    expect(() => watch.assertClean()).toThrow(/status of 401.*\/api\/tokens/);

    watch.allow(401, '/api/auth/me');
    await logged(() => fetch('/api/auth/me'));
    expect(() => watch.assertClean()).not.toThrow();

    watch.allow(401, '/api/auth/me');
    await logged(() => fetch('/api/auth/me/other'));
    expect(() => watch.assertClean()).toThrow(/\/api\/auth\/me\/other/);
  });
});
