import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DashboardClient } from '../support/dashboard-client';
import { AUTH_TIMEOUT_MS, BrowserStack, ConsoleWatch, journeySteps, launchChromium, newUserContext, screenshot, startBrowserStack } from '../support/browser';

// One user signed in in two browsers (contexts): changing the password in one signs the
// other out; the admin reads both sign-ins and the change in the audit tab, then resets
// the password, which ends the remaining session too.

const ROOT = { username: 'root', password: 'correct horse battery' };
const BOB = { username: 'bob', email: 'bob@example.com', password: 'bob password 1' };
const BOB_NEXT = 'bob password 2';
const BOB_RESET = 'bob password 3';

describe('browser: password change, sessions and the audit log', () => {
  let stack: BrowserStack;
  let browser: Browser;
  let contexts: BrowserContext[] = [];
  let laptop: Page;
  let phone: Page;
  let admin: Page;
  const watch = new ConsoleWatch();

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startBrowserStack(), launchChromium()]);
    const api = new DashboardClient(stack.dashboard.url);
    await api.signUp(ROOT.username, ROOT.password, true);
    const created = await api.request('POST', '/api/admin/users', BOB);
    expect(created.status).toBe(201);
    contexts = await Promise.all([0, 1, 2].map(() => newUserContext(browser, stack.dashboard.url)));
    [laptop, phone, admin] = await Promise.all(contexts.map((c, i) => c.newPage().then((p) => watch.attach(p, ['laptop', 'phone', 'admin'][i]))));
    for (const p of [laptop, phone, admin]) p.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
    await stack?.stop();
  });

  afterEach(() => watch.assertClean());

  const step = journeySteps(() => ({ laptop, phone, admin }));
  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

  async function signIn(page: Page, username: string, password: string, landing = '**/dashboard') {
    await page.getByLabel('Username or e-mail').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(landing, { timeout: AUTH_TIMEOUT_MS });
  }

  step('bob signs in on two browsers; the Account page lists both sessions', async () => {
    watch.allow(401, '/api/auth/me');
    for (const page of [laptop, phone]) {
      await page.goto('/');
      await signIn(page, BOB.username, BOB.password);
    }
    await laptop.getByTestId('current-user').click();
    await laptop.waitForURL('**/account');
    expect(await laptop.locator('h1').innerText()).toBe('Your account');
    const rows = laptop.getByTestId('sessions-table').locator('tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.filter({ hasText: 'this session' }).count()).toBe(1);
    await screenshot(laptop, 'account');
  });

  step('a wrong current password is refused on the page and changes nothing', async () => {
    watch.allow(400, '/api/auth/password');
    await laptop.getByLabel('Current password').fill('not my password');
    await laptop.getByLabel('New password', { exact: true }).fill(BOB_NEXT);
    await laptop.getByLabel('Repeat the new password').fill(BOB_NEXT);
    await laptop.getByRole('button', { name: 'Change password' }).click();
    expect(await laptop.getByRole('alert').innerText({ timeout: AUTH_TIMEOUT_MS })).toBe('The current password is not right.');
  });

  step('changing the password keeps this browser signed in and signs the other one out', async () => {
    await laptop.getByLabel('Current password').fill(BOB.password);
    await laptop.getByRole('button', { name: 'Change password' }).click();
    await laptop.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor({ timeout: AUTH_TIMEOUT_MS });
    const rows = laptop.getByTestId('sessions-table').locator('tbody tr');
    await laptop.waitForFunction(() => document.querySelectorAll('[data-testid=sessions-table] tbody tr').length === 1);
    expect(await rows.innerText()).toContain('this session');

    watch.allow(401, '/api/tokens');
    await nav(phone, 'Tokens').click();
    await phone.waitForURL('**/?next=%2Ftokens');
    expect(await phone.getByRole('status').filter({ hasText: 'Your session has ended. Please sign in again.' }).count()).toBe(1);
    watch.allow(401, '/api/auth/login');
    await phone.getByLabel('Username or e-mail').fill(BOB.username);
    await phone.getByLabel('Password', { exact: true }).fill(BOB.password);
    await phone.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect(await phone.getByRole('alert').innerText({ timeout: AUTH_TIMEOUT_MS })).toBe('Wrong username or password, or the account is disabled.');
    await signIn(phone, BOB.email, BOB_NEXT, '**/tokens');
  });

  step('the admin sees the sign-ins and the password change in the audit tab, and filters it', async () => {
    watch.allow(401, '/api/auth/me');
    await admin.goto('/');
    await signIn(admin, ROOT.username, ROOT.password);
    await nav(admin, 'Admin').click();
    await admin.getByRole('tab', { name: 'Audit log' }).click();
    const table = admin.getByTestId('audit-table');
    await table.waitFor();
    const changed = table.locator('tr[data-action="auth.password_changed"]');
    expect(await changed.innerText()).toMatch(/bob[\s\S]*auth\.password_changed[\s\S]*user:\d+ bob[\s\S]*sessions_ended: 1/);
    expect(await table.locator('tr[data-action="auth.login_failed"]', { hasText: 'bob' }).count()).toBe(1);
    expect(await table.locator('tr[data-action="auth.login"]', { hasText: 'bob' }).count()).toBe(3);
    await screenshot(admin, 'admin-audit');

    await admin.getByLabel('Action').selectOption('auth.password_changed');
    await admin.getByLabel('Actor (username)').fill('BOB');
    await admin.getByRole('button', { name: 'Apply filters' }).click();
    await admin.waitForFunction(() => document.querySelectorAll('[data-testid=audit-table] tbody tr').length === 1);
    expect(await table.locator('tbody tr').getAttribute('data-action')).toBe('auth.password_changed');
  });

  step("the admin sets bob's password: both of bob's browsers are signed out", async () => {
    await admin.getByRole('tab', { name: 'Users and tokens' }).click();
    await admin.getByRole('button', { name: 'Set password of bob' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByLabel('New password', { exact: true }).fill(BOB_RESET);
    await dialog.getByLabel('Repeat it').fill(BOB_RESET);
    await dialog.getByRole('button', { name: 'Set password' }).click();
    await admin.getByRole('status').filter({ hasText: 'Password of bob set' }).waitFor({ timeout: AUTH_TIMEOUT_MS });

    watch.allow(401, '/api/auth/me');
    await laptop.reload();
    await laptop.waitForURL('**/?next=%2Faccount');
    await phone.reload();
    await phone.waitForURL('**/?next=%2Ftokens');
    await signIn(laptop, BOB.username, BOB_RESET, '**/account');

    await admin.getByRole('tab', { name: 'Audit log' }).click();
    await admin.getByTestId('audit-table').locator('tr[data-action="user.password_reset"]', { hasText: 'root' }).waitFor();
  });

  step('sign out everywhere from the Account page', async () => {
    await laptop.getByTestId('current-user').click();
    await laptop.waitForURL('**/account');
    await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
    await laptop.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
    await laptop.waitForURL((u) => u.pathname === '/');
    expect(await laptop.getByRole('status').filter({ hasText: 'You have been signed out everywhere.' }).count()).toBe(1);
  });
});
