export interface DashboardStatus {
  status: 'ok' | 'degraded';
  database: 'ok' | 'down';
  /** Round trip of the database ping, measured on this request. */
  database_latency_ms: number | null;
  /** `sqlite` or `postgres`. */
  database_type: string;
  uptime_s: number;
  version: string;
}
