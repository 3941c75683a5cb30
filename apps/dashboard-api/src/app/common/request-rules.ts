import type { DashboardConfig } from '@lmarena-bridge/config';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { hostNameOf, isAllowedHost } from './allowed-hosts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Probes that monitoring reaches by address (a container health check, a Prometheus scrape
 * of 10.0.0.7:5105): no session, no secret, nothing a rebound page could use, so any Host.
 * /metrics has its own bearer token (metrics.token) when it must be private.
 */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function refuse(res: Response, status: number, message: string): void {
  res.status(status).json({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message });
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isJson(req: Request): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json';
}

/**
 * Rules every request meets before any route runs:
 * - Host must name one of dashboard.allowed_hosts (any port), else 421. A page on another
 *   site that rebinds its DNS name to this address sends its own name in Host: refused.
 * - A state-changing /api request with a body must be application/json, else 415. HTML
 *   forms can only send form encodings or text/plain, so no cross-site form reaches a route.
 * - /api answers are never cached (some carry secrets shown once).
 */
export function requestRules(dashboard: Pick<DashboardConfig, 'allowed_hosts'>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const host = req.headers.host;
    if (SAFE_METHODS.has(req.method) && PROBE_PATHS.has(req.path)) {
      next();
      return;
    }
    if (!host || !isAllowedHost(dashboard.allowed_hosts, hostNameOf(host))) {
      refuse(res, 421, 'This host name is not served here: add it to dashboard.allowed_hosts.');
      return;
    }
    // Express matches routes case-insensitively: /API/tokens reaches the tokens controller.
    const path = req.path.toLowerCase();
    const api = path === '/api' || path.startsWith('/api/');
    if (!api) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    if (!SAFE_METHODS.has(req.method) && hasBody(req) && !isJson(req)) {
      refuse(res, 415, 'Send the request body as application/json.');
      return;
    }
    next();
  };
}
