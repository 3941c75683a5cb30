/**
 * reCAPTCHA v3 Enterprise tokens, minted in the page for every chat request (they are
 * single-use and live about two minutes, so they are never cached).
 */

/** The site key arena.ai used as of 2026-05; used only when the page shows none. */
export const FALLBACK_SITE_KEY = '6Led_uYrAAAAAKjxDIF58fgFtX3t8loNAK85bW9I';
export const CAPTCHA_ACTION = 'chat_submit';

// Site keys are 40 characters of [A-Za-z0-9_-]; the length also keeps `render=explicit` out.
const SITE_KEY_PATTERNS = [/enterprise\.js\?(?:[^"'\s<>]*?&(?:amp;)?)?render=([\w-]{30,})/, /enterprise\.execute\(\s*["'`]([\w-]{30,})["'`]/];

/** The first site key in the given texts (script URLs, script bodies, resource URLs), or null. */
export function findSiteKey(texts: Iterable<string>): string | null {
  for (const text of texts) {
    for (const pattern of SITE_KEY_PATTERNS) {
      const match = pattern.exec(text);
      if (match) return match[1];
    }
  }
  return null;
}

/**
 * Where a page shows its key: the enterprise.js `<script src>`, inline scripts, and the URLs
 * of scripts loaded later by the site's own code (resource timing entries).
 */
export function* siteKeySources(doc: Document, perf?: Pick<Performance, 'getEntriesByType'>): Generator<string> {
  const scripts = Array.from(doc.getElementsByTagName('script'));
  for (const script of scripts) if (script.src) yield script.src;
  if (perf) for (const entry of perf.getEntriesByType('resource')) yield entry.name;
  for (const script of scripts) if (!script.src && script.textContent) yield script.textContent;
}

interface Enterprise {
  ready(callback: () => void): void;
  execute(siteKey: string, options: { action: string }): PromiseLike<string>;
}

/**
 * Firefox's userscript sandbox (Xray vision): `window.wrappedJSObject` is the page's window,
 * `cloneInto`/`exportFunction` are sandbox globals. All absent in Chromium and in page mode.
 */
interface FirefoxSandbox {
  cloneInto?: <T>(value: T, target: object) => T;
  exportFunction?: <T>(fn: T, target: object) => T;
}

export interface CaptchaOptions {
  /** Longest wait for the page's grecaptcha to appear. */
  timeoutMs?: number;
}

/**
 * Mints a token with the page's own grecaptcha.enterprise. Objects and callbacks handed to
 * page functions are created in the page's realm when the script runs in Firefox's isolated
 * world, or the page cannot read them ("Permission denied to access object").
 */
export async function mintCaptchaToken(win: Window, siteKey: string, options: CaptchaOptions = {}): Promise<string> {
  const sandbox = globalThis as unknown as FirefoxSandbox;
  const wrapped = (win as Window & { wrappedJSObject?: Window }).wrappedJSObject;
  const pageWindow = wrapped ?? win;
  const toPage = <T extends object>(value: T): T => (wrapped && sandbox.cloneInto ? sandbox.cloneInto(value, wrapped) : value);
  const fnToPage = <T>(fn: T): T => (wrapped && sandbox.exportFunction ? sandbox.exportFunction(fn, wrapped) : fn);

  const enterprise = await waitForEnterprise(pageWindow, options.timeoutMs ?? 15_000);
  await new Promise<void>((resolve) => enterprise.ready(fnToPage(() => resolve())));
  const token = await enterprise.execute(siteKey, toPage({ action: CAPTCHA_ACTION }));
  if (typeof token !== 'string' || token === '') throw new Error('reCAPTCHA returned no token');
  return token;
}

function enterpriseOf(win: Window): Enterprise | null {
  const grecaptcha = (win as unknown as { grecaptcha?: { enterprise?: Enterprise } }).grecaptcha;
  const enterprise = grecaptcha?.enterprise;
  return enterprise && typeof enterprise.ready === 'function' && typeof enterprise.execute === 'function' ? enterprise : null;
}

/** The site loads enterprise.js itself (often lazily): wait for it instead of loading our own. */
function waitForEnterprise(win: Window, timeoutMs: number): Promise<Enterprise> {
  const found = enterpriseOf(win);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const enterprise = enterpriseOf(win);
      if (enterprise) {
        clearInterval(timer);
        resolve(enterprise);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error('reCAPTCHA (grecaptcha.enterprise) is not loaded on this page: reload the arena tab'));
      }
    }, 100);
  });
}
