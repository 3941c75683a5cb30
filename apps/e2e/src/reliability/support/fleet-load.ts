import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { keepAlivePool, parseJson, REQUEST_TIMEOUT_MS } from './http';

/** One request of a load run, as its client saw it. Times are performance.now() milliseconds. */
export interface Attempt {
  /** Index of the proxy it went to. */
  proxy: number;
  status: number;
  /** `error.type` / `error.code` of a JSON error answer; null otherwise. */
  type: string | null;
  code: string | null;
  headers: Record<string, string | string[] | undefined>;
  sentAt: number;
  answeredAt: number;
}

export interface LoadOptions {
  secret: string;
  /** The JSON body of every request (POST /v1/chat/completions). */
  body: string;
  clients: number;
  /** No more requests once this many were sent, across every client. */
  total?: number;
  /** Every client stops once this holds (checked before each request). */
  stop?: () => boolean;
  /** A client stops after an attempt for which this holds. */
  clientDone?: (attempt: Attempt) => boolean;
  /** How long a client waits after an attempt before its next one (a paced or backing-off client). */
  pauseMs?: (attempt: Attempt) => number;
  onAttempt?: (attempt: Attempt) => void;
}

export interface LoadResult {
  attempts: Attempt[];
  /** Transport errors (no HTTP answer) by code: none are expected. */
  errors: Record<string, number>;
  firstSentAt: number;
  lastSentAt: number;
  firstAnsweredAt: number;
  lastAnsweredAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Clients spread round-robin over several proxies (client i talks to proxy i mod n), each a
 * keep-alive connection of its own, as load-balanced clients would be.
 */
export class Fleet {
  constructor(readonly urls: readonly string[]) {}

  async run(opts: LoadOptions): Promise<LoadResult> {
    const perProxy = Math.ceil(opts.clients / this.urls.length);
    const pools: Pool[] = this.urls.map((url) => keepAlivePool(url, perProxy));
    const result: LoadResult = { attempts: [], errors: {}, firstSentAt: Infinity, lastSentAt: 0, firstAnsweredAt: Infinity, lastAnsweredAt: 0 };
    let sent = 0;
    const client = async (index: number) => {
      const proxy = index % this.urls.length;
      for (;;) {
        if (opts.stop?.() || (opts.total !== undefined && sent >= opts.total)) return;
        sent += 1;
        const sentAt = performance.now();
        result.firstSentAt = Math.min(result.firstSentAt, sentAt);
        result.lastSentAt = Math.max(result.lastSentAt, sentAt);
        let attempt: Attempt;
        try {
          const res = await pools[proxy].request({
            method: 'POST',
            path: '/v1/chat/completions',
            headers: { authorization: `Bearer ${opts.secret}`, 'content-type': 'application/json' },
            body: opts.body,
            headersTimeout: REQUEST_TIMEOUT_MS,
            bodyTimeout: REQUEST_TIMEOUT_MS,
          });
          const text = await res.body.text();
          const error = res.statusCode === 200 ? undefined : (parseJson(text) as { error?: { type?: string; code?: string } } | undefined)?.error;
          attempt = {
            proxy,
            status: res.statusCode,
            type: error?.type ?? null,
            code: error?.code ?? null,
            headers: res.headers,
            sentAt,
            answeredAt: performance.now(),
          };
        } catch (err) {
          const code = (err as { code?: string }).code ?? (err as Error).message;
          result.errors[code] = (result.errors[code] ?? 0) + 1;
          return;
        }
        result.firstAnsweredAt = Math.min(result.firstAnsweredAt, attempt.answeredAt);
        result.lastAnsweredAt = Math.max(result.lastAnsweredAt, attempt.answeredAt);
        result.attempts.push(attempt);
        opts.onAttempt?.(attempt);
        if (opts.clientDone?.(attempt)) return;
        const pause = opts.pauseMs?.(attempt) ?? 0;
        if (pause > 0) await sleep(pause);
      }
    };
    try {
      await Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i)));
    } finally {
      await Promise.all(pools.map((pool) => pool.close()));
    }
    return result;
  }
}

/** Answers counted by "status type/code" ("200", "429 rate_limit_error/rate_limit_exceeded", …). */
export function tally(attempts: readonly Attempt[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of attempts) {
    const key = a.status === 200 ? '200' : `${a.status} ${a.type}/${a.code}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

export const successes = (attempts: readonly Attempt[]): number => attempts.filter((a) => a.status === 200).length;
