import type { UsageLogEntry } from '@lmarena-bridge/contracts';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  BrowserStack,
  ConsoleWatch,
  eventually,
  overflowingElements,
  launchChromium,
  newUserContext,
  paintedPixels,
  parseCsv,
  PHONE,
  LAPTOP,
  screenshot,
  startBrowserStack,
  journeySteps,
  AUTH_TIMEOUT_MS,
} from '../support/browser';

// One user's way through the dashboard in headless Chromium, against the built servers:
// the steps run in order and share the browser page.

const ADMIN = { username: 'admin', email: 'admin@example.com', password: 'correct horse battery' };
const MISSING_MODEL = 'no-such-model';

describe('browser: the journey of the first user', () => {
  let stack: BrowserStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const watch = new ConsoleWatch();
  let secret = '';
  let tokenHint = '';

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startBrowserStack(), launchChromium()]);
    context = await newUserContext(browser, stack.dashboard.url);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.dashboard.url });
    page = watch.attach(await context.newPage(), 'user');
    page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  // Every step fails on a console error or uncaught exception in the page.
  afterEach(() => watch.assertClean());

  const step = journeySteps(() => ({ user: page }));

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  const path = () => new URL(page.url()).pathname + new URL(page.url()).search;
  const heading = () => page.locator('h1').innerText();

  async function signIn(username: string, password: string) {
    await page.getByLabel('Username or e-mail').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL('**/dashboard', { timeout: AUTH_TIMEOUT_MS });
  }

  step('sends a signed-out visitor from a protected page to the sign-in page', async () => {
    watch.allow(401, '/api/auth/me'); // the app asks who is signed in: nobody yet
    await page.goto('/dashboard');
    await page.waitForURL('**/?next=%2Fdashboard');
    expect(await heading()).toBe('Sign in');
    expect(await page.getByRole('status').filter({ hasText: 'Please sign in to continue.' }).count()).toBe(1);
    await screenshot(page, 'login');
  });

  step('initializes the first user as admin, then signs in with the form', async () => {
    await page.getByRole('tab', { name: 'Initialize admin' }).click();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Repeat password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create admin and sign in' }).click();
    await page.waitForURL('**/dashboard', { timeout: AUTH_TIMEOUT_MS });
    expect(await page.getByTestId('current-user').innerText()).toContain('admin');

    // Sign out and in again through the sign-in form.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await signIn(ADMIN.username, ADMIN.password);
    expect(await heading()).toBe('Dashboard');
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()).toEqual([
      'Dashboard',
      'Tokens',
      'Analytics',
      'Notifications',
      'Admin',
      'Bridge',
    ]);
  });

  step('creates a token and reads its secret from the show-once dialog', async () => {
    await nav('Tokens').click();
    await page.waitForURL('**/tokens');
    await page.getByText('You have no tokens yet.').waitFor();
    await page.getByRole('button', { name: 'Create New Token' }).click();
    const create = page.getByRole('dialog', { name: 'Create a new token' });
    await create.getByLabel('Name').fill('browser laptop');
    await create.getByRole('button', { name: 'Create token' }).click();

    const shown = page.getByRole('dialog', { name: 'Your new token' });
    await shown.waitFor();
    secret = await shown.getByTestId('new-token-secret').inputValue();
    expect(secret).toMatch(/^sk-lmarena-/);
    expect(await shown.getByRole('alert').innerText()).toContain('shown only this once');
    expect(await shown.locator('[data-snippet]').innerText()).toContain(`Bearer ${secret}`);
    await screenshot(page, 'tokens-secret-dialog');

    await shown.getByRole('button', { name: 'Copy the token' }).click();
    await shown.getByRole('button', { name: 'Copy the token' }).filter({ hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    await shown.getByRole('button', { name: 'I have copied it — close' }).click();
    await shown.waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(secret);
    const row = page.getByTestId('tokens-table').locator('tbody tr');
    expect(await row.count()).toBe(1);
    tokenHint = await row.locator('code').innerText();
    expect(tokenHint.endsWith(secret.slice(-4))).toBe(true);
    expect(await row.innerText()).toContain('active');
    await screenshot(page, 'tokens');
  });

  step('calls the proxy with the token through the official openai client', async () => {
    const client = new OpenAI({ apiKey: secret, baseURL: `${stack.proxy.url}/v1`, maxRetries: 0, timeout: 10_000 });
    const reply = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'hello from the browser test' }] });
    expect(reply.choices[0].message.content).toBeTruthy();
    // One refused request too, so the charts have an error to show and the log something to search.
    await expect(client.chat.completions.create({ model: MISSING_MODEL, messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
  });

  step("shows the requests in the dashboard's cards, charts and recent activity", async () => {
    await nav('Dashboard').click();
    await page.waitForURL('**/dashboard', { timeout: AUTH_TIMEOUT_MS });
    // The proxy records usage in batches: refresh until both requests are in.
    const rows = page.getByTestId('recent-requests').locator('tbody tr');
    const requestsCard = page.locator('[data-card=requests] .stat-value');
    await eventually(
      'two requests in the cards and the recent activity',
      async () => {
        if ((await rows.count()) >= 2 && (await requestsCard.count()) === 1 && (await requestsCard.innerText()) === '2') return true;
        await page.getByRole('button', { name: 'Refresh' }).click();
        return false;
      },
      10_000,
      300,
    );
    const texts = await rows.allInnerTexts();
    expect(texts.some((t) => t.includes('echo') && t.includes('200') && t.includes('browser laptop'))).toBe(true);
    expect(texts.some((t) => t.includes(MISSING_MODEL) && t.includes('404'))).toBe(true);
    expect(await page.locator('[data-card=success] .stat-value').innerText()).toBe('50%');
    expect(await page.locator('[data-card=tokens] .stat-value').innerText()).toBe('1');
    await page.locator('[data-card=status]').getByText('Online').waitFor();
    const canvases = await paintedPixels(page);
    expect(canvases.map((c) => c.label)).toEqual(['Requests per day, successful and errors', 'Requests per model, busiest first']);
    for (const c of canvases) expect(c.painted).toBeGreaterThan(500);
    await screenshot(page, 'dashboard');
  });

  step('draws the analytics charts and lists the requests in the log', async () => {
    await nav('Analytics').click();
    await page.waitForURL('**/analytics');
    await page.getByTestId('request-log').waitFor();
    await page.locator('[data-stat=total]', { hasText: /^2$/ }).waitFor();
    const canvases = await eventually('four painted charts', async () => {
      const found = await paintedPixels(page);
      return found.length === 4 && found.every((c) => c.painted > 500) ? found : null;
    });
    expect(canvases.map((c) => c.label)).toEqual([
      'Requests per day, stacked by outcome',
      'Average and p95 response time per day',
      'Share of requests per model',
      'Requests per token',
    ]);
    const log = page.getByTestId('request-log').locator('tbody tr');
    expect(await log.count()).toBe(2);
    await screenshot(page, 'analytics');

    await page.getByRole('button', { name: '7 days' }).click();
    await page.locator('[aria-pressed=true]', { hasText: '7 days' }).waitFor();
    await eventually('log reloaded for 7 days', async () => (await log.count()) === 2);
  });

  step('searches the log on the server', async () => {
    const log = page.getByTestId('request-log').locator('tbody tr');
    const searched = page.waitForRequest((r) => r.url().includes('/api/usage/logs') && new URL(r.url()).searchParams.get('q') === MISSING_MODEL);
    await page.getByLabel('Search').fill(MISSING_MODEL);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await searched;
    await eventually('one matching row', async () => (await log.count()) === 1);
    expect(await log.innerText()).toContain('404');

    await page.getByLabel('Search').fill('nothing matches this');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No request matches these filters.').waitFor();

    await page.getByRole('button', { name: 'Clear' }).click();
    await eventually('all rows again', async () => (await log.count()) === 2);
    await page.getByLabel('Status').selectOption('success');
    await eventually('only the successful row', async () => (await log.count()) === 1 && (await log.innerText()).includes('echo'));
    await page.getByRole('button', { name: 'Clear' }).click();
    await eventually('all rows again', async () => (await log.count()) === 2);
  });

  step('exports the log as CSV with one row per request', async () => {
    const download = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^usage-\d{4}-\d{2}-\d{2}\.csv$/);
    const rows = parseCsv(readFileSync((await file.path()) as string, 'utf8'));
    const [header, ...records] = rows;
    const columns: Array<keyof UsageLogEntry> = [
      'id',
      'created_at',
      'token_id',
      'token_name',
      'model',
      'endpoint',
      'stream',
      'status_code',
      'response_time_ms',
      'ttft_ms',
      'prompt_tokens',
      'completion_tokens',
      'error_message',
      'usage_estimated',
      'cost_usd',
    ];
    expect(header).toEqual(columns);
    expect(records).toHaveLength(2);
    const byModel = new Map(records.map((r) => [r[columns.indexOf('model')], r]));
    expect(byModel.get('echo')?.[columns.indexOf('status_code')]).toBe('200');
    expect(byModel.get('echo')?.[columns.indexOf('token_name')]).toBe('browser laptop');
    expect(byModel.get(MISSING_MODEL)?.[columns.indexOf('status_code')]).toBe('404');
    expect(byModel.get(MISSING_MODEL)?.[columns.indexOf('error_message')]).not.toBe('');
  });

  step('looks right on a phone: no sideways scrolling on any page', async () => {
    await page.setViewportSize(PHONE);
    for (const [url, name] of [
      ['/dashboard', 'dashboard'],
      ['/tokens', 'tokens'],
      ['/analytics', 'analytics'],
      ['/admin', 'admin'],
    ] as const) {
      await page.goto(url);
      await page.locator('h1').waitFor();
      await page.waitForFunction(() => !Array.from(document.querySelectorAll('[role=status]')).some((e) => /^\s*Loading/.test(e.textContent ?? '')));
      expect({ url, overflowing: await overflowingElements(page) }).toEqual({ url, overflowing: [] });
      await screenshot(page, `${name}-phone`);
    }
    await page.setViewportSize(LAPTOP);
  });

  step('revokes the token after confirmation, and the proxy refuses it within a second', async () => {
    await nav('Tokens').click();
    await page.waitForURL('**/tokens');
    await page.getByRole('button', { name: 'Revoke browser laptop' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke this token?' });
    expect(await confirm.innerText()).toContain(tokenHint);
    const revoked = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/tokens/'));
    await confirm.getByRole('button', { name: 'Revoke token' }).click();
    expect((await revoked).status()).toBe(204);
    const since = Date.now();
    const status = await eventually(
      'proxy refuses the revoked token',
      async () => {
        const res = await fetch(`${stack.proxy.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'still there?' }] }),
        });
        return res.status === 401 ? res.status : null;
      },
      1_500,
      50,
    );
    expect(status).toBe(401);
    expect(Date.now() - since).toBeLessThan(1_500);
    await page.getByTestId('tokens-table').locator('tbody tr', { hasText: 'revoked' }).waitFor();
    expect(await page.getByRole('button', { name: 'Revoke browser laptop' }).count()).toBe(0);
  });

  step('creates a token with rpm 5, sees its request counted in the bar, and edits its limits', async () => {
    await page.getByRole('button', { name: 'Create New Token' }).click();
    const create = page.getByRole('dialog', { name: 'Create a new token' });
    await create.getByLabel('Name').fill('limited laptop');
    await create.getByLabel('Requests per minute').fill('5');
    const created = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/tokens');
    await create.getByRole('button', { name: 'Create token' }).click();
    expect((await created).postDataJSON()).toEqual({ name: 'limited laptop', limits: { rpm: 5 } });
    const shown = page.getByRole('dialog', { name: 'Your new token' });
    const limitedSecret = await shown.getByTestId('new-token-secret').inputValue();
    await shown.getByRole('button', { name: 'I have copied it — close' }).click();

    const row = page.getByTestId('tokens-table').locator('tbody tr', { hasText: 'limited laptop' });
    const rpmBar = row.getByRole('progressbar', { name: 'Requests this minute' });
    expect(await rpmBar.getAttribute('aria-valuetext')).toBe('0 / 5 rpm');

    const client = new OpenAI({ apiKey: limitedSecret, baseURL: `${stack.proxy.url}/v1`, maxRetries: 0, timeout: 10_000 });
    await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'counted' }] });
    // usage_now comes from the recorded usage rows, written in batches: reload until it is in.
    await eventually(
      'the bar counts the request',
      async () => {
        await page.reload();
        return (await rpmBar.getAttribute('aria-valuetext')) === '1 / 5 rpm';
      },
      10_000,
      300,
    );
    expect(await rpmBar.getAttribute('aria-valuemax')).toBe('5');
    await screenshot(page, 'tokens-limits');

    await row.getByRole('button', { name: 'Edit limited laptop' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit “limited laptop”' });
    await edit.waitFor();
    // The native modal puts focus in the dialog; Escape closes it.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('edit-token-name');
    await page.keyboard.press('Escape');
    await edit.waitFor({ state: 'hidden' });

    await row.getByRole('button', { name: 'Edit limited laptop' }).click();
    expect(await edit.getByLabel('Requests per minute').inputValue()).toBe('5');
    await edit.getByLabel('Requests per minute').fill('10');
    await edit.getByLabel('Tokens per minute').fill('1000');
    const patched = page.waitForResponse((r) => r.request().method() === 'PATCH' && new URL(r.url()).pathname.startsWith('/api/tokens/'));
    await edit.getByRole('button', { name: 'Save changes' }).click();
    const answer = await patched;
    expect(answer.status()).toBe(200);
    expect(answer.request().postDataJSON()).toEqual({ limits: { rpm: 10, tpm: 1000 } });
    await edit.waitFor({ state: 'hidden' });
    await eventually('the bars show the new limits', async () => (await rpmBar.getAttribute('aria-valuemax')) === '10');
    expect(await row.getByRole('progressbar', { name: 'Tokens this minute' }).getAttribute('aria-valuetext')).toMatch(/^\d+ \/ 1,000 tpm$/);
  });

  step('signs out, and every protected page then redirects to the sign-in page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    expect(await page.getByRole('status').filter({ hasText: 'You have signed out.' }).count()).toBe(1);
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    await page.setViewportSize(PHONE);
    expect(await overflowingElements(page)).toEqual([]);
    await screenshot(page, 'login-phone');
    await page.setViewportSize(LAPTOP);
    watch.allow(401, '/api/auth/me');
    for (const url of ['/dashboard', '/tokens', '/analytics', '/admin']) {
      await page.goto(url);
      await page.waitForURL(`**/?next=${encodeURIComponent(url)}`);
      expect(await heading()).toBe('Sign in');
    }
    expect(path()).toBe('/?next=%2Fadmin');
  });
});
