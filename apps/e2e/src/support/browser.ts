import { tempSqliteDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type ConsoleMessage, type Page } from 'playwright-core';
import { RunningServer, startServer, TestConfigDir, WORKSPACE_ROOT, writeTestConfig } from './servers';

/** Debian's chromium; LMB_CHROMIUM points elsewhere. */
export const CHROMIUM_PATH = process.env['LMB_CHROMIUM'] || '/usr/bin/chromium';
export const CHROMIUM_INSTALL = 'apt-get update && apt-get install -y --no-install-recommends chromium';
export const SCREENSHOT_DIR = join(WORKSPACE_ROOT, 'apps', 'e2e', 'test-output', 'screenshots');

/** The launch flags of docs/toolchain.md (Playwright adds --headless and a fresh temp --user-data-dir itself). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * The browser suite never skips: Chromium is installed here when we run as root, otherwise
 * the suite fails with the command to run.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(`Chromium is missing (${CHROMIUM_PATH}). Install it, then run the browser tests again:\n  sudo sh -c '${CHROMIUM_INSTALL}'`);
  }
  const run = spawnSync('sh', ['-c', CHROMIUM_INSTALL], { encoding: 'utf8', timeout: 10 * 60_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (run.status !== 0 || !existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Installing Chromium failed (exit ${run.status ?? run.signal}); run it yourself:\n  ${CHROMIUM_INSTALL}\n${run.stdout ?? ''}${run.stderr ?? ''}`.trim(),
    );
  }
  return CHROMIUM_PATH;
}

/**
 * Headless Debian Chromium. `launch()` gives every run a fresh temporary profile
 * (--user-data-dir) and removes it on close, so no state leaks between runs.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A context as a user's browser: laptop size, English, reduced motion (charts draw at once). */
export function newUserContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({ baseURL, viewport: LAPTOP, locale: 'en-US', timezoneId: 'UTC', reducedMotion: 'reduce', acceptDownloads: true });
}

/**
 * A full-page screenshot. The viewport is first grown to the page's height and the page
 * allowed two frames to lay out and redraw: a `fullPage` capture changes the layout
 * (the scrollbar goes) and canvases that resize would be captured blank.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  const viewport = page.viewportSize() ?? LAPTOP;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (height > viewport.height) await page.setViewportSize({ width: viewport.width, height });
  await nextFrames(page);
  await page.screenshot({ path });
  if (height > viewport.height) await page.setViewportSize(viewport);
  return path;
}

/** Resolves after the page has rendered two more frames (layout, resize observers, redraws). */
export function nextFrames(page: Page): Promise<void> {
  return page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

interface AllowedHttpError {
  status: number;
  path: string;
}

/**
 * Fails the test on any browser console error or uncaught page error. The one kind of
 * console error a test may expect is Chromium's own "Failed to load resource: … status of
 * 401" line for an API answer the step provokes on purpose (e.g. GET /api/auth/me while
 * signed out); each is allowed by status and exact path.
 */
export class ConsoleWatch {
  private readonly problems: string[] = [];
  private allowed: AllowedHttpError[] = [];

  attach(page: Page, label: string): Page {
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.onError(msg, label);
    });
    page.on('pageerror', (err) => this.problems.push(`[${label}] uncaught: ${err.stack ?? err.message}`));
    return page;
  }

  /** Expect a failed-status line for `status` on `path` (until reset()). */
  allow(status: number, path: string): void {
    this.allowed.push({ status, path });
  }

  /** Throws with every unexpected error seen so far, then forgets them and the allowances. */
  assertClean(): void {
    const problems = this.problems.splice(0);
    this.allowed = [];
    if (problems.length) throw new Error(`browser console errors:\n${problems.join('\n')}`);
  }

  private onError(msg: ConsoleMessage, label: string): void {
    const text = msg.text();
    const url = msg.location().url;
    const failed = /^Failed to load resource: the server responded with a status of (\d{3})/.exec(text);
    if (failed && url) {
      const { pathname } = new URL(url);
      if (this.allowed.some((a) => a.status === Number(failed[1]) && a.path === pathname)) return;
    }
    this.problems.push(`[${label}] console error: ${text}${url ? ` (${url})` : ''}`);
  }
}

/** Both built servers on a temp SQLite file with the echo model; no user exists yet. */
export interface BrowserStack {
  db: TestDatabase;
  dir: TestConfigDir;
  proxy: RunningServer;
  dashboard: RunningServer;
  stop(): Promise<void>;
}

export async function startBrowserStack(): Promise<BrowserStack> {
  const db = tempSqliteDatabase();
  // Usage rows are written in batches: flush quickly so the pages see them at once.
  const dir = writeTestConfig({ database: { url: db.url }, usage: { flush_interval_ms: 20 } });
  const [proxy, dashboard] = await Promise.all([startServer('proxy-api', dir.configPath), startServer('dashboard-api', dir.configPath)]);
  return {
    db,
    dir,
    proxy,
    dashboard,
    stop: async () => {
      await Promise.all([proxy.stop(), dashboard.stop()]);
      await db.drop();
      dir.cleanup();
    },
  };
}

/** Waits until the condition holds, re-checking; fails with `what` after the time limit. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 5_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** How many pixels of each canvas on the page are not transparent (0 = blank chart). */
export function paintedPixels(page: Page): Promise<Array<{ label: string | null; painted: number }>> {
  return page.$$eval('canvas', (canvases) =>
    canvases.map((c) => {
      const ctx = (c as HTMLCanvasElement).getContext('2d');
      if (!ctx) return { label: c.getAttribute('aria-label'), painted: 0 };
      const { data } = ctx.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
      return { label: c.getAttribute('aria-label'), painted };
    }),
  );
}

/**
 * What makes the page scroll sideways: an empty list when it fits the viewport. Content
 * inside a horizontal scroller (wide tables) is fine unless it escapes it (absolute
 * positioning without a positioned scroller).
 */
export function overflowingElements(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const total = document.documentElement.scrollWidth;
    if (total <= width) return [];
    const contained = (el: Element): boolean => {
      const escapes = ['absolute', 'fixed'].includes(getComputedStyle(el).position);
      for (let e = el.parentElement; e; e = e.parentElement) {
        const style = getComputedStyle(e);
        if (['auto', 'scroll', 'hidden'].includes(style.overflowX) && (!escapes || style.position !== 'static')) return true;
      }
      return false;
    };
    const culprits = Array.from(document.body.querySelectorAll('*'))
      .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !contained(el))
      .slice(0, 10)
      .map(
        (el) =>
          `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${Array.from(el.classList).join('.')} right=${Math.round(el.getBoundingClientRect().right)}`,
      );
    return [`document is ${total}px wide in a ${width}px viewport`, ...culprits];
  });
}

/**
 * `it()` for journeys whose steps build on each other: after one step fails, the later ones
 * fail at once (naming it) instead of each timing out. A failing step leaves a screenshot of
 * every page (`failure-…png`) and the alerts the pages showed, in its error.
 */
export function journeySteps(pages: () => Record<string, Page | undefined>) {
  let broken: string | null = null;
  return function step(name: string, fn: () => Promise<void>, timeout?: number): void {
    it(
      name,
      async () => {
        if (broken) throw new Error(`not run: the earlier step "${broken}" failed`);
        try {
          await fn();
        } catch (err) {
          broken = name;
          const notes: string[] = [];
          for (const [label, page] of Object.entries(pages())) {
            if (!page || page.isClosed()) continue;
            const slug = `${label}-${name}`
              .toLowerCase()
              .replace(/[^a-z0-9]+/g, '-')
              .slice(0, 80);
            const shot = await screenshot(page, `failure-${slug}`).catch(() => null);
            const alerts = await page
              .locator('[role=alert], [role=status]')
              .allInnerTexts()
              .catch(() => []);
            notes.push(`[${label}] at ${page.url()}${shot ? `, screenshot ${shot}` : ''}; messages: ${JSON.stringify(alerts)}`);
          }
          if (err instanceof Error) err.message += `\n${notes.join('\n')}`;
          throw err;
        }
      },
      timeout,
    );
  };
}

/** Signing in runs bcrypt (cost 12) on the server: allow for a busy machine. */
export const AUTH_TIMEOUT_MS = 30_000;
