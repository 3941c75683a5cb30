import { InjectionToken } from '@angular/core';

/**
 * The proxy's port. The SPA is served by dashboard-api and cannot ask where the proxy
 * listens, so snippets assume the proxy's default port on the host the dashboard is served
 * from. This is the one place to change it.
 */
export const PROXY_DEFAULT_PORT = 5102;

export function defaultProxyBaseUrl(hostname: string): string {
  return `http://${hostname}:${PROXY_DEFAULT_PORT}/v1`;
}

/** The OpenAI base URL shown in token snippets. */
export const PROXY_BASE_URL = new InjectionToken<string>('PROXY_BASE_URL', {
  providedIn: 'root',
  factory: () => defaultProxyBaseUrl(globalThis.location?.hostname || 'localhost'),
});
