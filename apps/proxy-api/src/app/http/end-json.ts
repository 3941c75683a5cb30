import type { ServerResponse } from 'node:http';

/**
 * Ends a response with a JSON body through Node's response API (what Express's res.json sent):
 * the chat front door's requests are not Express requests, so handler, filter and front door
 * all answer this way.
 */
export function endJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
