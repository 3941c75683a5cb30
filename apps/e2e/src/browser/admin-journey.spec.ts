import type { CreatedToken } from '@lmarena-bridge/contracts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DashboardClient } from '../support/dashboard-client';
import {
  AUTH_TIMEOUT_MS,
  BrowserStack,
  ConsoleWatch,
  eventually,
  journeySteps,
  launchChromium,
  newUserContext,
  screenshot,
  startBrowserStack,
} from '../support/browser';

// An admin and an ordinary user, each in their own browser context, against the built
// servers: the admin disables the user, whose session ends at their next click.

const ROOT = { username: 'root', password: 'correct horse battery' };
const BOB = { username: 'bob', email: 'bob@example.com', password: 'bob password 1' };

describe('browser: an admin manages users and tokens', () => {
  let stack: BrowserStack;
  let browser: Browser;
  let adminContext: BrowserContext;
  let userContext: BrowserContext;
  let admin: Page;
  let bob: Page;
  let bobToken: CreatedToken;
  const watch = new ConsoleWatch();

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startBrowserStack(), launchChromium()]);
    await new DashboardClient(stack.dashboard.url).signUp(ROOT.username, ROOT.password, true);
    [adminContext, userContext] = await Promise.all([newUserContext(browser, stack.dashboard.url), newUserContext(browser, stack.dashboard.url)]);
    admin = watch.attach(await adminContext.newPage(), 'admin');
    bob = watch.attach(await userContext.newPage(), 'bob');
    admin.setDefaultTimeout(10_000);
    bob.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await adminContext?.close();
    await userContext?.close();
    await browser?.close();
    await stack?.stop();
  });

  afterEach(() => watch.assertClean());

  const step = journeySteps(() => ({ admin, bob }));

  const navLinks = (page: Page) => page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
  const userRow = (username: string) => admin.locator(`[data-user="${username}"]`);
  const proxyStatus = async (secret: string) =>
    (
      await fetch(`${stack.proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
      })
    ).status;

  async function signIn(page: Page, username: string, password: string) {
    await page.getByLabel('Username or e-mail').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function confirmAction(label: string) {
    const dialog = admin.getByRole('dialog');
    await dialog.getByRole('button', { name: label }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  step('a new user registers in the browser and is kept out of the admin page', async () => {
    watch.allow(401, '/api/auth/me');
    await bob.goto('/');
    await bob.getByRole('tab', { name: 'Create account' }).click();
    await bob.getByLabel('Username').fill(BOB.username);
    await bob.getByLabel('E-mail').fill(BOB.email);
    await bob.getByLabel('Password', { exact: true }).fill(BOB.password);
    await bob.getByLabel('Repeat password').fill(BOB.password);
    await bob.getByRole('button', { name: 'Create account and sign in' }).click();
    await bob.waitForURL('**/dashboard', { timeout: AUTH_TIMEOUT_MS });
    expect(await navLinks(bob)).toEqual(['Dashboard', 'Tokens', 'Analytics', 'Notifications']);
    await bob.goto('/admin');
    await bob.waitForURL('**/dashboard');

    // A token of bob's, made through the API, for the proxy checks below.
    const api = new DashboardClient(stack.dashboard.url);
    await api.request('POST', '/api/auth/login', { username: BOB.username, password: BOB.password });
    bobToken = await api.createToken('bob-cli');
    expect(await proxyStatus(bobToken.token)).toBe(200);
  });

  step('the admin sees every user with role, status and token count', async () => {
    watch.allow(401, '/api/auth/me');
    await admin.goto('/admin');
    await admin.waitForURL('**/?next=%2Fadmin');
    await signIn(admin, ROOT.username, ROOT.password);
    await admin.waitForURL('**/admin', { timeout: AUTH_TIMEOUT_MS });
    await userRow('bob').waitFor();
    const cells = await userRow('bob').locator('td').allInnerTexts();
    expect(cells.slice(0, 4).map((c) => c.trim())).toEqual([`bob\n${BOB.email}`, 'user', 'active', '1']);
    expect(await userRow('root').innerText()).toContain('(you)');
    expect(await admin.getByRole('button', { name: 'Disable root' }).isDisabled()).toBe(true);
    expect(await admin.getByTestId('all-tokens-table').innerText()).toContain('bob-cli');
    await screenshot(admin, 'admin');
  });

  step('disabling the user ends their session at their next click and stops their token', async () => {
    await admin.getByRole('button', { name: 'Disable bob' }).click();
    expect(await admin.getByRole('dialog').innerText()).toContain('signed out everywhere');
    await confirmAction('Disable account');
    await userRow('bob').getByText('disabled').waitFor();
    await eventually("the proxy refuses the disabled user's token", async () => (await proxyStatus(bobToken.token)) === 401, 1_500);

    watch.allow(401, '/api/tokens'); // bob's next API call: the session is gone
    await bob.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).click();
    await bob.waitForURL('**/?next=%2Ftokens');
    expect(await bob.getByRole('status').filter({ hasText: 'Your session has ended. Please sign in again.' }).count()).toBe(1);
    expect(await bob.getByRole('navigation', { name: 'Main' }).count()).toBe(0);

    watch.allow(401, '/api/auth/login');
    await signIn(bob, BOB.username, BOB.password);
    expect(await bob.getByRole('alert').innerText({ timeout: AUTH_TIMEOUT_MS })).toBe('Wrong username or password, or the account is disabled.');
  });

  step('enabling and promoting the user gives them their account back with admin rights', async () => {
    await admin.getByRole('button', { name: 'Enable bob' }).click();
    await confirmAction('Enable account');
    await userRow('bob').getByText('active').waitFor();
    await admin.getByRole('button', { name: 'Promote bob' }).click();
    await confirmAction('Promote to admin');
    await userRow('bob').locator('.badge', { hasText: 'admin' }).waitFor();

    await signIn(bob, BOB.username, BOB.password);
    await bob.waitForURL('**/tokens', { timeout: AUTH_TIMEOUT_MS });
    expect(await navLinks(bob)).toEqual(['Dashboard', 'Tokens', 'Analytics', 'Notifications', 'Admin', 'Bridge']);
    expect(await proxyStatus(bobToken.token)).toBe(200);
  });

  step("the admin revokes another user's token", async () => {
    await admin.getByRole('button', { name: 'Refresh' }).click();
    await admin.getByRole('button', { name: 'Revoke bob-cli of bob' }).click();
    await confirmAction('Revoke token');
    await admin.getByTestId('all-tokens-table').locator('tr', { hasText: 'bob-cli' }).getByText('revoked').waitFor();
    await eventually('the proxy refuses the revoked token', async () => (await proxyStatus(bobToken.token)) === 401, 1_500);
  });
});
