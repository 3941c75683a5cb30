import type { BridgeStatus } from './bridge';

export interface DashboardStatus {
  /** The dashboard server's own health: its database. The proxy is reported beside it. */
  status: 'ok' | 'degraded';
  database: 'ok' | 'down';
  /** Round trip of the database ping, measured on this request. */
  database_latency_ms: number | null;
  /** The proxy's GET /healthz, asked by the dashboard server on this request. */
  proxy: 'ok' | 'down';
  proxy_latency_ms: number | null;
  /** `sqlite` or `postgres`. */
  database_type: string;
  /** The LMArena bridge, counted in the database on this request; null while it is down. */
  bridge: BridgeStatus | null;
  uptime_s: number;
  version: string;
}
