import { assignRequestId } from '@lmarena-bridge/server';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Gives every request on the proxy's server its id before anything else runs (the chat fast
 * path and Express alike): `x-request-id` as the client sent it when it is sane, a new UUID
 * otherwise; returned in the response header, logged by pino-http, sent upstream.
 */
export function installRequestIds(server: Server): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    assignRequestId(req, res);
  });
}
