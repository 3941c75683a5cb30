import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { ProxyPipeline } from './proxy-pipeline';

export const CHAT_COMPLETIONS_PATH = '/v1/chat/completions';

/** The canonical spelling only; other spellings Express accepts (trailing slash, case) take the routed path. */
export function isChatCompletions(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || req.url === undefined) return false;
  const url = req.url;
  return url.startsWith(CHAT_COMPLETIONS_PATH) && (url.length === CHAT_COMPLETIONS_PATH.length || url[CHAT_COMPLETIONS_PATH.length] === '?');
}

/**
 * Hands `POST /v1/chat/completions` to the pipeline straight from Node's 'request' event,
 * before Express; every other request goes to Express unchanged (including other spellings of
 * that path, which ChatController hands to the same pipeline).
 *
 * Why: the proxy's own work per request (token cache, validation, forwarding, usage) costs a
 * fraction of what Express's router and request/response prototypes and Nest's route
 * execution add on top (docs/benchmarks.md). The pipeline is plain classes over Node's
 * request and response, so both ways in run the same code.
 *
 * Call after `app.init()`, with the server Nest created.
 */
export function installFrontDoor(server: Server, pipeline: ProxyPipeline): void {
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1) throw new Error(`Expected one request listener (Express) on the proxy's server, found ${listeners.length}`);
  const express = listeners[0];
  server.removeListener('request', express);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (isChatCompletions(req)) void pipeline.run(req, res);
    else express(req, res);
  });
}
