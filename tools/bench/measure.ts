import { Pool } from 'undici';

// autocannon ships no types; this is the part of its result we read.
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: object) => Promise<AutocannonResult>;

export interface Figures {
  rps: number;
  /** Requests sent in the run, warm-up included: what the server's CPU time is divided by. */
  requests: number;
  p50: number;
  p99: number;
  failures: number;
}

/** Throughput and latency under `connections` concurrent keep-alive clients. */
export async function load(url: string, body: string, headers: Record<string, string>, connections: number, seconds: number): Promise<Figures> {
  const result = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, connections, duration: seconds });
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * Requests sent before any are timed: the JIT needs a couple of thousand requests through a
 * code path before it settles (the proxy's p50 halves between its first and third thousand).
 */
const WARM_UP_REQUESTS = 3000;

/**
 * Sequential latency with microsecond resolution (autocannon reports whole milliseconds):
 * one keep-alive connection, `count` requests one after another.
 */
export async function sequential(url: string, body: string, headers: Record<string, string>, count: number): Promise<Figures> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 1 });
  const times: number[] = [];
  let failures = 0;
  try {
    for (let i = 0; i < count + WARM_UP_REQUESTS; i++) {
      const started = process.hrtime.bigint();
      const res = await pool.request({ path: target.pathname, method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) failures += 1;
      if (i >= WARM_UP_REQUESTS) times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  } finally {
    await pool.close();
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  const total = times.reduce((s, t) => s + t, 0);
  return { rps: (times.length / total) * 1000, requests: count + WARM_UP_REQUESTS, p50: at(0.5), p99: at(0.99), failures };
}
