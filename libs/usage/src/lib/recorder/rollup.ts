import { nanoUsd } from '../cost';
import { latencyBucket } from '../latency-buckets';
import { isSuccessStatus, UsageRow, utcDay, utcMonth } from './usage-row';

/** The counters most rollups add up per key. */
export interface RequestSums {
  requests: number;
  responseTimeMsSum: number;
  promptTokens: number;
  completionTokens: number;
  /** Whole nano-dollars: integer sums are exact whatever the order (see cost.ts). */
  costNanoUsd: number;
}

/** usage_daily: per (day, user, token, model, status); the limits' counters and usage_now read it. */
export interface DailyDelta extends RequestSums {
  day: number;
  userId: number;
  tokenId: number;
  model: string;
  statusCode: number;
  /** Requests the limits refused (counted in `requests` too). */
  refusedRequests: number;
}

/** usage_day_status: per (user, day, status), the summary's totals, by_day and by_status. */
export interface StatusDelta extends RequestSums {
  userId: number;
  day: number;
  statusCode: number;
}

/** usage_day_latency: requests per (user, day, latency bucket), the summary's percentiles. */
export interface LatencyDelta {
  userId: number;
  day: number;
  bucket: number;
  count: number;
}

/**
 * usage_day_model and usage_month_model: per (user, period, model), the summary's by_model.
 * `period` is a day number; for the month rollup, that of the month's first day (utcMonth).
 */
export interface ModelDelta extends RequestSums {
  userId: number;
  period: number;
  model: string;
  /** Requests answered with anything but 2xx. */
  errors: number;
}

/** usage_day_token and usage_month_token: per (user, period, token), the summary's by_token. */
export interface TokenDelta {
  userId: number;
  period: number;
  tokenId: number;
  requests: number;
  costNanoUsd: number;
}

export interface BatchRollup {
  daily: DailyDelta[];
  status: StatusDelta[];
  latency: LatencyDelta[];
  dayModel: ModelDelta[];
  monthModel: ModelDelta[];
  dayToken: TokenDelta[];
  monthToken: TokenDelta[];
  /** Newest request time per token: one coalesced last_used_at update each. */
  lastUsed: Map<number, number>;
}

type Part = number | string;

/**
 * Orders by the parts in turn: numbers numerically, strings by UTF-16 code units (the same
 * total order in every process, unlike a locale comparison).
 */
function byParts<T>(...parts: Array<(t: T) => Part>): (a: T, b: T) => number {
  return (a, b) => {
    for (const part of parts) {
      const x = part(a);
      const y = part(b);
      if (x !== y) return typeof x === 'number' && typeof y === 'number' ? x - y : x < y ? -1 : 1;
    }
    return 0;
  };
}

/** The entry of `key`, created by `create` the first time. */
function entry<T>(map: Map<string, T>, parts: Part[], create: () => T): T {
  const key = parts.join('\u0000');
  let found = map.get(key);
  if (!found) map.set(key, (found = create()));
  return found;
}

const noModelSums = (userId: number, period: number, model: string): ModelDelta => ({
  userId,
  period,
  model,
  requests: 0,
  errors: 0,
  responseTimeMsSum: 0,
  promptTokens: 0,
  completionTokens: 0,
  costNanoUsd: 0,
});

/**
 * Pre-aggregates a batch so the database sees one upsert per key and rollup, not one per
 * request. The deltas come sorted by key (and last_used_at by token): an upsert locks its
 * rows in the order given, so writers of several proxies on PostgreSQL, whose batches hold
 * the same keys in different orders, would otherwise lock them crosswise and deadlock.
 */
export function rollUp(rows: readonly UsageRow[]): BatchRollup {
  const daily = new Map<string, DailyDelta>();
  const status = new Map<string, StatusDelta>();
  const latency = new Map<string, LatencyDelta>();
  const dayModel = new Map<string, ModelDelta>();
  const monthModel = new Map<string, ModelDelta>();
  const dayToken = new Map<string, TokenDelta>();
  const monthToken = new Map<string, TokenDelta>();
  const lastUsed = new Map<number, number>();
  // utcMonth per day, once per batch rather than once per row.
  const months = new Map<number, number>();
  for (const row of rows) {
    const { userId, tokenId, model, statusCode } = row;
    const day = utcDay(row.createdAt);
    let month = months.get(day);
    if (month === undefined) months.set(day, (month = utcMonth(day)));
    const promptTokens = row.promptTokens ?? 0;
    const completionTokens = row.completionTokens ?? 0;
    // Rows before prices (and spool lines written before them) have no cost: nothing to add.
    const costNanoUsd = row.costUsd === null || row.costUsd === undefined ? 0 : nanoUsd(row.costUsd);
    const error = isSuccessStatus(statusCode) ? 0 : 1;

    const d = entry(daily, [day, userId, tokenId, model, statusCode], () => ({
      day,
      userId,
      tokenId,
      model,
      statusCode,
      requests: 0,
      responseTimeMsSum: 0,
      promptTokens: 0,
      completionTokens: 0,
      costNanoUsd: 0,
      refusedRequests: 0,
    }));
    const s = entry(status, [userId, day, statusCode], () => ({
      userId,
      day,
      statusCode,
      requests: 0,
      responseTimeMsSum: 0,
      promptTokens: 0,
      completionTokens: 0,
      costNanoUsd: 0,
    }));
    for (const sums of [d, s]) {
      sums.requests += 1;
      sums.responseTimeMsSum += row.responseTimeMs;
      sums.promptTokens += promptTokens;
      sums.completionTokens += completionTokens;
      sums.costNanoUsd += costNanoUsd;
    }
    if (row.refused === true) d.refusedRequests += 1;

    const bucket = latencyBucket(row.responseTimeMs);
    entry(latency, [userId, day, bucket], () => ({ userId, day, bucket, count: 0 })).count += 1;

    for (const m of [
      entry(dayModel, [userId, day, model], () => noModelSums(userId, day, model)),
      entry(monthModel, [userId, month, model], () => noModelSums(userId, month, model)),
    ]) {
      m.requests += 1;
      m.errors += error;
      m.responseTimeMsSum += row.responseTimeMs;
      m.promptTokens += promptTokens;
      m.completionTokens += completionTokens;
      m.costNanoUsd += costNanoUsd;
    }
    for (const t of [
      entry(dayToken, [userId, day, tokenId], () => ({ userId, period: day, tokenId, requests: 0, costNanoUsd: 0 })),
      entry(monthToken, [userId, month, tokenId], () => ({ userId, period: month, tokenId, requests: 0, costNanoUsd: 0 })),
    ]) {
      t.requests += 1;
      t.costNanoUsd += costNanoUsd;
    }

    if ((lastUsed.get(tokenId) ?? 0) < row.createdAt) lastUsed.set(tokenId, row.createdAt);
  }
  const modelOrder = byParts<ModelDelta>(
    (m) => m.userId,
    (m) => m.period,
    (m) => m.model,
  );
  const tokenOrder = byParts<TokenDelta>(
    (t) => t.userId,
    (t) => t.period,
    (t) => t.tokenId,
  );
  return {
    daily: [...daily.values()].sort(
      byParts(
        (d) => d.day,
        (d) => d.userId,
        (d) => d.tokenId,
        (d) => d.model,
        (d) => d.statusCode,
      ),
    ),
    status: [...status.values()].sort(
      byParts(
        (s) => s.userId,
        (s) => s.day,
        (s) => s.statusCode,
      ),
    ),
    latency: [...latency.values()].sort(
      byParts(
        (l) => l.userId,
        (l) => l.day,
        (l) => l.bucket,
      ),
    ),
    dayModel: [...dayModel.values()].sort(modelOrder),
    monthModel: [...monthModel.values()].sort(modelOrder),
    dayToken: [...dayToken.values()].sort(tokenOrder),
    monthToken: [...monthToken.values()].sort(tokenOrder),
    lastUsed: new Map([...lastUsed].sort(([a], [b]) => a - b)),
  };
}
