import type { ServerResponse } from 'node:http';

const UPSTREAM_MS = Symbol('lmb.upstreamMs');
type WithUpstream = ServerResponse & { [UPSTREAM_MS]?: number };

/** Notes how long the provider took to begin its answer (for lmb_proxy_upstream_duration_seconds). */
export function noteUpstreamTime(res: ServerResponse, started: bigint): void {
  (res as WithUpstream)[UPSTREAM_MS] = Number(process.hrtime.bigint() - started) / 1e6;
}

export function upstreamTime(res: ServerResponse): number | null {
  return (res as WithUpstream)[UPSTREAM_MS] ?? null;
}
