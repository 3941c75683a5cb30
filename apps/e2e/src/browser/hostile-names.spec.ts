import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DashboardClient } from '../support/dashboard-client';
import { AUTH_TIMEOUT_MS, BrowserStack, ConsoleWatch, launchChromium, newUserContext, startBrowserStack } from '../support/browser';

const ADMIN = { username: 'root', password: 'correct horse battery' };
const HOSTILE = `<script>window.__lmbXss = 1</script><img src=x onerror="window.__lmbXss = 2"><b>bold</b>`;

/** Issue 7, security: a token name full of markup is shown as text, never run or rendered. */
describe('browser: hostile token names are text', () => {
  let stack: BrowserStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const watch = new ConsoleWatch();

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startBrowserStack(), launchChromium()]);
    const admin = new DashboardClient(stack.dashboard.url);
    await admin.signUp(ADMIN.username, ADMIN.password, true);
    await admin.createToken(HOSTILE);
    context = await newUserContext(browser, stack.dashboard.url);
    page = watch.attach(await context.newPage(), 'admin');
    page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  afterEach(() => watch.assertClean());

  it('shows the name literally on the tokens and admin pages, with no script run and no element made', async () => {
    watch.allow(401, '/api/auth/me'); // the sign-in page asks who is signed in: nobody yet
    await page.goto('/');
    await page.getByLabel('Username or e-mail').fill(ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL('**/dashboard', { timeout: AUTH_TIMEOUT_MS });
    for (const path of ['/tokens', '/admin']) {
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: path === '/tokens' ? 'Tokens' : 'Admin' })
        .click();
      await page.waitForURL(`**${path}`);
      await page.getByText(HOSTILE, { exact: true }).first().waitFor();
      const injected = await page.evaluate(() => ({
        flag: (window as unknown as { __lmbXss?: number }).__lmbXss ?? null,
        images: document.querySelectorAll('main img').length,
        bold: Array.from(document.querySelectorAll('main b')).filter((b) => b.textContent === 'bold').length,
        scripts: document.querySelectorAll('main script').length,
      }));
      expect(injected).toEqual({ flag: null, images: 0, bold: 0, scripts: 0 });
    }
  });
});
