import { assignRequestId } from '@lmarena-bridge/server';
import { requestUsage } from '@lmarena-bridge/usage';
import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ProxyMetrics } from './proxy-metrics.service';
import { upstreamTime } from './upstream-time';

/** Status of a request whose client went away before the answer ended (as in usage rows). */
const CLIENT_CLOSED = 499;

/** `POST /v1/chat/completions` in any spelling Express routes to the chat handler. */
function isChat(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || req.url === undefined) return false;
  const path = req.url.split('?')[0].toLowerCase().replace(/\/+$/, '');
  return path === '/v1/chat/completions';
}

function bodyModel(req: IncomingMessage): string {
  const body = (req as { body?: unknown }).body;
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model : '';
}

/**
 * Runs first for every request on the proxy's server (before the chat front door and
 * Express): gives it its request id, and for chat completions records one metrics sample
 * when the response is over. Metrics see every chat request — dashboard tokens, the shared
 * api_key, open mode, and refusals before any handler ran (401, 413) — while usage rows
 * exist only for dashboard tokens. The outcome is read the way the usage interceptor reads
 * it (requestUsage), so a metric and a usage row agree.
 *
 * Call after installChatFrontDoor (it insists on being the only other listener).
 */
export function installRequestObserver(app: INestApplication): void {
  const server = app.getHttpServer() as Server;
  const metrics = app.get(ProxyMetrics);
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    assignRequestId(req, res);
    if (!isChat(req)) return;
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const usage = requestUsage(res);
      metrics.observe({
        model: usage.model || bodyModel(req),
        status: res.writableFinished ? usage.statusCode ?? res.statusCode : CLIENT_CLOSED,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        upstreamMs: upstreamTime(res),
        ttftMs: usage.ttftMs,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
      });
    });
  });
}
