import { nanoUsd } from '../cost';
import { latencyBucket } from '../latency-buckets';
import { UsageRow, utcDay } from './usage-row';

export interface DailyDelta {
  day: number;
  userId: number;
  tokenId: number;
  model: string;
  statusCode: number;
  requests: number;
  responseTimeMsSum: number;
  promptTokens: number;
  completionTokens: number;
  /** Whole nano-dollars: integer sums are exact whatever the order (see cost.ts). */
  costNanoUsd: number;
  /** Requests the limits refused (counted in `requests` too). */
  refusedRequests: number;
}

export interface LatencyDelta {
  day: number;
  userId: number;
  tokenId: number;
  model: string;
  bucket: number;
  count: number;
}

export interface BatchRollup {
  daily: DailyDelta[];
  latency: LatencyDelta[];
  /** Newest request time per token: one coalesced last_used_at update each. */
  lastUsed: Map<number, number>;
}

/** Orders by (day, user, token, model) and then `last`: the same order for every batch. */
function byKey<T extends { day: number; userId: number; tokenId: number; model: string }>(last: (t: T) => number): (a: T, b: T) => number {
  return (a, b) => a.day - b.day || a.userId - b.userId || a.tokenId - b.tokenId || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0) || last(a) - last(b);
}

/**
 * Pre-aggregates a batch so the database sees one upsert per key, not one per request. The
 * deltas come sorted by key (and last_used_at by token): an upsert locks its rows in the order
 * given, so writers of several proxies on PostgreSQL, whose batches hold the same keys in
 * different orders, would otherwise lock them crosswise and deadlock.
 */
export function rollUp(rows: readonly UsageRow[]): BatchRollup {
  const daily = new Map<string, DailyDelta>();
  const latency = new Map<string, LatencyDelta>();
  const lastUsed = new Map<number, number>();
  for (const row of rows) {
    const day = utcDay(row.createdAt);
    const base = `${day}\u0000${row.userId}\u0000${row.tokenId}\u0000${row.model}`;
    const dKey = `${base}\u0000${row.statusCode}`;
    let d = daily.get(dKey);
    if (!d) {
      d = {
        day,
        userId: row.userId,
        tokenId: row.tokenId,
        model: row.model,
        statusCode: row.statusCode,
        requests: 0,
        responseTimeMsSum: 0,
        promptTokens: 0,
        completionTokens: 0,
        costNanoUsd: 0,
        refusedRequests: 0,
      };
      daily.set(dKey, d);
    }
    d.requests += 1;
    d.responseTimeMsSum += row.responseTimeMs;
    d.promptTokens += row.promptTokens ?? 0;
    d.completionTokens += row.completionTokens ?? 0;
    // Rows before prices (and spool lines written before them) have no cost: nothing to add.
    if (row.costUsd !== null && row.costUsd !== undefined) d.costNanoUsd += nanoUsd(row.costUsd);
    if (row.refused === true) d.refusedRequests += 1;

    const bucket = latencyBucket(row.responseTimeMs);
    const lKey = `${base}\u0000${bucket}`;
    let l = latency.get(lKey);
    if (!l) {
      l = { day, userId: row.userId, tokenId: row.tokenId, model: row.model, bucket, count: 0 };
      latency.set(lKey, l);
    }
    l.count += 1;

    if ((lastUsed.get(row.tokenId) ?? 0) < row.createdAt) lastUsed.set(row.tokenId, row.createdAt);
  }
  return {
    daily: [...daily.values()].sort(byKey((d) => d.statusCode)),
    latency: [...latency.values()].sort(byKey((l) => l.bucket)),
    lastUsed: new Map([...lastUsed].sort(([a], [b]) => a - b)),
  };
}
