import { BatchRollup, ModelDelta, TokenDelta } from './rollup';

/**
 * One rollup table the writer upserts each batch into: the key columns (its primary key) and
 * the counters a batch adds to, with the batch's values in that column order.
 */
export interface RollupTable {
  table: string;
  key: readonly string[];
  sums: readonly string[];
  rows(rollup: BatchRollup): unknown[][];
}

const SUMS = ['requests', 'response_time_ms_sum', 'prompt_tokens', 'completion_tokens', 'cost_nano_usd'];
const MODEL_SUMS = ['requests', 'errors', 'response_time_ms_sum', 'prompt_tokens', 'completion_tokens', 'cost_nano_usd'];
const TOKEN_SUMS = ['requests', 'cost_nano_usd'];

const modelValues = (m: ModelDelta): unknown[] => [
  m.userId,
  m.period,
  m.model,
  m.requests,
  m.errors,
  m.responseTimeMsSum,
  m.promptTokens,
  m.completionTokens,
  m.costNanoUsd,
];
const tokenValues = (t: TokenDelta): unknown[] => [t.userId, t.period, t.tokenId, t.requests, t.costNanoUsd];

/**
 * Every rollup, in the order the writer upserts them (the same in every writer, like the
 * order of the rows inside each: see rollUp). usage_daily feeds the limits' counters,
 * usage_now and the notifications; the others, keyed user first, feed the summary
 * (see the AnalyticsRollups1764500000006 migration).
 */
export const ROLLUP_TABLES: readonly RollupTable[] = [
  {
    table: 'usage_daily',
    key: ['day', 'user_id', 'token_id', 'model', 'status_code'],
    sums: [...SUMS, 'refused_requests'],
    rows: (r) =>
      r.daily.map((d) => [
        d.day,
        d.userId,
        d.tokenId,
        d.model,
        d.statusCode,
        d.requests,
        d.responseTimeMsSum,
        d.promptTokens,
        d.completionTokens,
        d.costNanoUsd,
        d.refusedRequests,
      ]),
  },
  {
    table: 'usage_day_status',
    key: ['user_id', 'day', 'status_code'],
    sums: SUMS,
    rows: (r) => r.status.map((s) => [s.userId, s.day, s.statusCode, s.requests, s.responseTimeMsSum, s.promptTokens, s.completionTokens, s.costNanoUsd]),
  },
  { table: 'usage_day_latency', key: ['user_id', 'day', 'bucket'], sums: ['count'], rows: (r) => r.latency.map((l) => [l.userId, l.day, l.bucket, l.count]) },
  { table: 'usage_day_model', key: ['user_id', 'day', 'model'], sums: MODEL_SUMS, rows: (r) => r.dayModel.map(modelValues) },
  { table: 'usage_month_model', key: ['user_id', 'month', 'model'], sums: MODEL_SUMS, rows: (r) => r.monthModel.map(modelValues) },
  { table: 'usage_day_token', key: ['user_id', 'day', 'token_id'], sums: TOKEN_SUMS, rows: (r) => r.dayToken.map(tokenValues) },
  { table: 'usage_month_token', key: ['user_id', 'month', 'token_id'], sums: TOKEN_SUMS, rows: (r) => r.monthToken.map(tokenValues) },
];

/** `INSERT INTO table (columns) VALUES` without the tuples. */
export function rollupInsert(t: RollupTable): string {
  return `INSERT INTO ${t.table} (${[...t.key, ...t.sums].join(', ')}) VALUES`;
}

/** The upsert clause: a key already stored gets the batch's counters added. */
export function rollupUpsert(t: RollupTable): string {
  return `ON CONFLICT (${t.key.join(', ')}) DO UPDATE SET ${t.sums.map((c) => `${c} = ${t.table}.${c} + excluded.${c}`).join(', ')}`;
}
