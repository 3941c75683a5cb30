import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller may choose as its id: short and harmless in a log line or an upstream header. */
const ACCEPTED_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

type WithId = IncomingMessage & { id?: unknown };

/** The client's `x-request-id` when it is sane (1–128 visible, log-safe characters), else null. */
export function acceptedRequestId(raw: string | string[] | undefined): string | null {
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value !== undefined && ACCEPTED_ID.test(value) ? value : null;
}

/**
 * The request's id: the one already assigned, the client's sane `x-request-id`, or a new
 * UUID. Stored as `req.id` (where pino-http looks) and returned in the response header.
 * Idempotent, so the proxy's request listener and pino-http's genReqId agree.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const r = req as WithId;
  if (typeof r.id === 'string') return r.id;
  const id = acceptedRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
  r.id = id;
  if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** The id assignRequestId gave this request, if any. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  const id = (req as WithId).id;
  return typeof id === 'string' ? id : undefined;
}
