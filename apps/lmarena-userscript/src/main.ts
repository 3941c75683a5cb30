import { FALLBACK_SITE_KEY, findSiteKey, mintCaptchaToken, siteKeySources } from './lib/captcha';
import { BridgeConnection } from './lib/connection';
import { consoleLogger as log } from './lib/log';
import { readSiteModels } from './lib/models';
import type { SiteModel } from './lib/protocol';
import { RequestRunner } from './lib/request-runner';
import { resolveSettings } from './lib/settings';
import { VERSION } from './lib/version';

/**
 * The LMArena Bridge userscript: connects this arena.ai tab to the proxy and performs the
 * chat requests the proxy builds, with the page's cookies and a fresh reCAPTCHA token each.
 */
function main(): void {
  const settings = resolveSettings();
  if (!settings.bridgeKey) {
    log.error('this copy of the script has no bridge key, so it does not connect. Install it from the dashboard: Bridge → "Install userscript".');
    return;
  }

  let siteKey: string | null = null;
  const currentSiteKey = () => (siteKey ??= findSiteKey(siteKeySources(document, performance))) ?? FALLBACK_SITE_KEY;
  // The page's own fetch, called as a plain function (a detached `fetch` throws "Illegal invocation").
  const pageFetch: typeof fetch = (input, init) => window.fetch(input, init);

  const connection: BridgeConnection = new BridgeConnection({
    url: settings.proxyUrl,
    secret: settings.bridgeKey,
    version: VERSION,
    origin: location.origin,
    openSocket: (url) => new WebSocket(url),
    log,
    onFrame: (frame) => {
      switch (frame.kind) {
        case 'welcome':
          void models.then((list) => list && connection.send({ type: 'models', models: list }));
          break;
        case 'request':
          void runner.run(frame.requestId, frame.payload);
          break;
        case 'cancel':
          runner.cancel(frame.requestId);
          break;
        case 'refresh':
          log.info('the proxy asked for a reload (the site answered with a challenge page)');
          location.reload();
          break;
      }
    },
    onDisconnect: () => runner.cancelAll(),
  });

  const runner = new RequestRunner({
    fetch: pageFetch,
    mintToken: () => mintCaptchaToken(window, currentSiteKey()),
    send: (frame) => connection.send(frame),
  });

  const models: Promise<SiteModel[] | null> = readSiteModels(document, pageFetch).then((list) => {
    if (list) log.info(`found ${list.length} models on the page`);
    else log.warn('found no model list on this page; the proxy keeps using models.json');
    return list;
  });

  log.info(`v${VERSION} connecting to ${settings.proxyUrl}`);
  connection.start();
}

// One connection per tab: never from frames (managers that ignore @noframes run us there too).
if (window.top === window.self) {
  // The model list and the site key are in the HTML: wait for it, whatever @run-at the manager used.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main, { once: true });
  else main();
}
