import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Seconds; from a cached answer (a few ms) to a long generation (minutes). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The process's metrics registry, with the default process metrics (CPU, memory, event-loop
 * lag, handles). A Registry of its own, not prom-client's global one: tests run several
 * applications in one process, each with its own registry.
 */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `metrics.token` empty: open. Set: `Authorization: Bearer <token>` only. */
export function metricsAuthorized(req: IncomingMessage, token: string): boolean {
  if (token === '') return true;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match !== null && sameSecret(match[1], token);
}

/**
 * Answers a scrape in the Prometheus text format, or 401 (with the body shape the caller
 * gives) when `metrics.token` is set and the request does not carry it.
 */
export async function answerScrape(registry: Registry, token: string, req: IncomingMessage, res: ServerResponse, unauthorizedBody: unknown): Promise<void> {
  res.setHeader('cache-control', 'no-store');
  if (!metricsAuthorized(req, token)) {
    res.statusCode = 401;
    res.setHeader('www-authenticate', 'Bearer realm="metrics"');
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(unauthorizedBody));
    return;
  }
  const text = await registry.metrics();
  res.statusCode = 200;
  res.setHeader('content-type', registry.contentType);
  res.end(text);
}
