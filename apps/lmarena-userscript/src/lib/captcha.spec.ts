/**
 * @jest-environment jsdom
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTCHA_ACTION, findSiteKey, mintCaptchaToken, siteKeySources } from './captcha';

const KEY = '6LfixtureKeyFromTheScriptTag0000000000AB';

describe('findSiteKey', () => {
  it('reads the render= parameter of the enterprise.js URL', () => {
    expect(findSiteKey([`https://www.google.com/recaptcha/enterprise.js?render=${KEY}`])).toBe(KEY);
    expect(findSiteKey([`/recaptcha/enterprise.js?onload=cb&amp;render=${KEY}&hl=en`])).toBe(KEY);
  });

  it('reads the key of an enterprise.execute("KEY" call in a script', () => {
    expect(findSiteKey([`a.grecaptcha.enterprise.execute("${KEY}",{action:"chat_submit"})`])).toBe(KEY);
    expect(findSiteKey([`grecaptcha.enterprise.execute( '${KEY}', o)`])).toBe(KEY);
  });

  it('ignores render=explicit and texts without a key', () => {
    expect(findSiteKey(['https://www.google.com/recaptcha/enterprise.js?render=explicit', 'console.log(1)'])).toBeNull();
  });

  it('answers the first key in source order', () => {
    expect(findSiteKey(['nothing', `enterprise.js?render=${KEY}`, `enterprise.execute("${'x'.repeat(40)}"`])).toBe(KEY);
  });
});

describe('siteKeySources', () => {
  it('yields script URLs, then resource URLs, then inline scripts', () => {
    document.documentElement.innerHTML = readFileSync(join(__dirname, 'fixtures/next-page.html'), 'utf8');
    const perf = { getEntriesByType: () => [{ name: 'https://www.gstatic.com/recaptcha/late.js' }] } as unknown as Performance;
    const sources = Array.from(siteKeySources(document, perf));
    expect(sources[1]).toBe(`https://www.google.com/recaptcha/enterprise.js?render=${KEY}`);
    expect(sources[2]).toBe('https://www.gstatic.com/recaptcha/late.js');
    expect(sources.slice(3).every((s) => s.includes('__next_f'))).toBe(true);
    expect(findSiteKey(siteKeySources(document, perf))).toBe(KEY);
  });
});

describe('mintCaptchaToken', () => {
  afterEach(() => delete (window as unknown as { grecaptcha?: unknown }).grecaptcha);

  it('waits for a grecaptcha that loads later, then executes with the chat_submit action', async () => {
    const execute = jest.fn(async (key: string, options: { action: string }) => `token-for-${key}-${options.action}`);
    const minted = mintCaptchaToken(window, KEY, { timeoutMs: 5_000 });
    setTimeout(() => {
      (window as unknown as { grecaptcha: unknown }).grecaptcha = { enterprise: { ready: (cb: () => void) => setTimeout(cb, 0), execute } };
    }, 150);
    await expect(minted).resolves.toBe(`token-for-${KEY}-${CAPTCHA_ACTION}`);
    expect(execute).toHaveBeenCalledWith(KEY, { action: 'chat_submit' });
  });

  it("in Firefox's sandbox, hands the page objects and callbacks made in the page's realm", async () => {
    const pageRealm = { grecaptcha: { enterprise: { ready: (cb: () => void) => cb(), execute: jest.fn(async () => 'page-token') } } };
    const sandbox = globalThis as unknown as { cloneInto?: unknown; exportFunction?: unknown };
    const cloneInto = jest.fn(<T>(value: T, _target: object) => ({ ...value, cloned: true }));
    const exportFunction = jest.fn(<T>(fn: T, _target: object) => fn);
    sandbox.cloneInto = cloneInto;
    sandbox.exportFunction = exportFunction;
    try {
      const xrayWindow = { wrappedJSObject: pageRealm } as unknown as Window;
      await expect(mintCaptchaToken(xrayWindow, KEY)).resolves.toBe('page-token');
      expect(pageRealm.grecaptcha.enterprise.execute).toHaveBeenCalledWith(KEY, { action: 'chat_submit', cloned: true });
      expect(cloneInto.mock.calls[0][1]).toBe(pageRealm);
      expect(exportFunction.mock.calls[0][1]).toBe(pageRealm);
    } finally {
      delete sandbox.cloneInto;
      delete sandbox.exportFunction;
    }
  });

  it('fails clearly when grecaptcha never loads or answers no token', async () => {
    await expect(mintCaptchaToken(window, KEY, { timeoutMs: 0 })).rejects.toThrow(/not loaded on this page/);
    (window as unknown as { grecaptcha: unknown }).grecaptcha = { enterprise: { ready: (cb: () => void) => cb(), execute: async () => '' } };
    await expect(mintCaptchaToken(window, KEY)).rejects.toThrow(/no token/);
  });
});
