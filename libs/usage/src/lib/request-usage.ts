import type { IncomingMessage, ServerResponse } from 'node:http';

/** Who a request is billed to: set by the proxy's bearer guard for dashboard tokens only. */
export interface UsageOwner {
  tokenId: number;
  userId: number;
}

/** What the handler learns about a request while serving it. */
export interface RequestUsage {
  model: string;
  stream: boolean;
  promptTokens: number | null;
  completionTokens: number | null;
  ttftMs: number | null;
  /** The outcome to record when it differs from the HTTP status (an error inside a 200 stream). */
  statusCode: number | null;
  errorMessage: string | null;
}

const OWNER = Symbol('lmb.usageOwner');
const USAGE = Symbol('lmb.requestUsage');

type WithOwner = IncomingMessage & { [OWNER]?: UsageOwner };
type WithUsage = ServerResponse & { [USAGE]?: RequestUsage };

export function setUsageOwner(req: IncomingMessage, owner: UsageOwner): void {
  (req as WithOwner)[OWNER] = owner;
}

export function usageOwner(req: IncomingMessage): UsageOwner | undefined {
  return (req as WithOwner)[OWNER];
}

/** The mutable usage record of a response, created on first use. */
export function requestUsage(res: ServerResponse): RequestUsage {
  const r = res as WithUsage;
  return (r[USAGE] ??= {
    model: '',
    stream: false,
    promptTokens: null,
    completionTokens: null,
    ttftMs: null,
    statusCode: null,
    errorMessage: null,
  });
}

/**
 * The path a usage row names: the URL without its query string. Works on Node's request as
 * on Express's (the proxy answers chat completions without Express, see chat-front-door.ts).
 */
export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
