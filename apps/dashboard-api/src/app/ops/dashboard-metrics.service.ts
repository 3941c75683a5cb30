import { createMetricsRegistry, DURATION_BUCKETS } from '@lmarena-bridge/server';
import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, Registry } from 'prom-client';

/** Label of requests no API route matched: the SPA's files and pages, and 404s. */
export const UNROUTED = '(unrouted)';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The dashboard's Prometheus metrics: HTTP requests by method, route template (e.g.
 * `/api/tokens/:id`, never the raw URL) and status, so the label set is bounded by the code.
 */
@Injectable()
export class DashboardMetrics {
  readonly registry: Registry = createMetricsRegistry('dashboard-api');

  private readonly requests = new Counter({
    name: 'lmb_dashboard_http_requests_total',
    help: 'Dashboard HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'lmb_dashboard_http_request_duration_seconds',
    help: 'Dashboard HTTP request duration, by route template',
    labelNames: ['route'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  /** Express middleware, installed first: one sample per answered request. */
  middleware(): (req: Request, res: Response, next: NextFunction) => void {
    return (req, res, next) => {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        const routePath = (req.route as { path?: unknown } | undefined)?.path;
        const route = typeof routePath === 'string' ? routePath : UNROUTED;
        const method = METHODS.has(req.method) ? req.method : 'OTHER';
        this.requests.inc({ method, route, status: String(res.statusCode) });
        this.duration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
      });
      next();
    };
  }
}
