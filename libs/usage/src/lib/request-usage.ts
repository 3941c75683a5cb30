import type { Request, Response } from 'express';

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

type WithOwner = Request & { [OWNER]?: UsageOwner };
type WithUsage = Response & { [USAGE]?: RequestUsage };

export function setUsageOwner(req: Request, owner: UsageOwner): void {
  (req as WithOwner)[OWNER] = owner;
}

export function usageOwner(req: Request): UsageOwner | undefined {
  return (req as WithOwner)[OWNER];
}

/** The mutable usage record of a response, created on first use. */
export function requestUsage(res: Response): RequestUsage {
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
