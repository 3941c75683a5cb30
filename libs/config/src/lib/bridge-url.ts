import type { AppConfig } from './config.types';

/**
 * The WebSocket URL a downloaded userscript connects to: `bridge.public_url` when set (a proxy
 * behind TLS or another host name), else the proxy's own address. A wildcard listen address
 * means "this machine" to the browser, which runs on the same machine in the usual setup.
 */
export function bridgeWebSocketUrl(config: Pick<AppConfig, 'bridge' | 'proxy'>): string {
  if (config.bridge.public_url !== '') return config.bridge.public_url;
  let host = config.proxy.host;
  if (host === '0.0.0.0' || host === '::' || host === '[::]') host = '127.0.0.1';
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `ws://${host}:${config.proxy.port}/ws`;
}
