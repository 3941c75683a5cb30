import { ProxyError } from '../../errors/proxy-error';
import type { BridgeTransport } from './bridge-transport';

/**
 * The transport until the WebSocket hub is wired: no browser can connect, so every request
 * answers 503 as the original did with no browser.
 */
export const noBridgeTransport: BridgeTransport = {
  open: () => Promise.reject(ProxyError.unavailable('No browser is connected to the LMArena bridge: open LMArena with the userscript installed, then retry.')),
  siteModel: () => undefined,
};
