import { nanoUsd } from '../lib/cost';
import { latencyBucket } from '../lib/latency-buckets';
import { ROLLUP_TABLES } from '../lib/recorder/rollup-tables';
import { isSuccessStatus, UsageRow, utcDay } from '../lib/recorder/usage-row';

/** The summary's rollup tables (see AnalyticsRollups1764500000006). */
export type RollupTableName = 'usage_day_status' | 'usage_day_latency' | 'usage_day_model' | 'usage_month_model' | 'usage_day_token' | 'usage_month_token';
export const ROLLUP_TABLE_NAMES: readonly RollupTableName[] = [
  'usage_day_status',
  'usage_day_latency',
  'usage_day_model',
  'usage_month_model',
  'usage_day_token',
  'usage_month_token',
];

/** A rollup row as the tests compare it: column name to value, numbers as numbers. */
export type RollupRecord = Record<string, number | string>;

function keyOf(table: string): readonly string[] {
  const t = ROLLUP_TABLES.find((r) => r.table === table);
  if (!t) throw new Error(`no rollup table ${table}`);
  return t.key;
}

/** Rows in key order, strings by code units (the databases' collations may differ). */
export function inKeyOrder(table: string, rows: RollupRecord[]): RollupRecord[] {
  const key = keyOf(table);
  return [...rows].sort((a, b) => {
    for (const k of key) {
      const x = a[k];
      const y = b[k];
      if (x !== y) return typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
    }
    return 0;
  });
}

/** A database row with bigint text (PostgreSQL) turned into numbers; `model` stays text. */
export function rollupRecord(row: Record<string, unknown>): RollupRecord {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k === 'model' ? String(v) : Number(v)]));
}

/** The month key computed the plain way, from the calendar date. */
function monthOf(day: number): number {
  const d = new Date(day * 86_400_000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 86_400_000;
}

/**
 * Every rollup of AnalyticsRollups1764500000006 computed straight from raw rows, one sum
 * at a time (no shared code with rollUp beyond the bucket and nano-dollar functions).
 */
export function bruteForceRollups(rows: readonly UsageRow[]): Record<RollupTableName, RollupRecord[]> {
  const tables = new Map<RollupTableName, Map<string, RollupRecord>>(ROLLUP_TABLE_NAMES.map((t) => [t, new Map()]));
  const bump = (table: RollupTableName, key: RollupRecord, sums: Record<string, number>) => {
    const rowsOf = tables.get(table) as Map<string, RollupRecord>;
    const id = JSON.stringify(key);
    const row = rowsOf.get(id) ?? { ...key, ...Object.fromEntries(Object.keys(sums).map((k) => [k, 0])) };
    for (const [k, v] of Object.entries(sums)) row[k] = (row[k] as number) + v;
    rowsOf.set(id, row);
  };
  for (const r of rows) {
    const day = utcDay(r.createdAt);
    const month = monthOf(day);
    const cost = r.costUsd == null ? 0 : nanoUsd(r.costUsd);
    const sums = {
      requests: 1,
      response_time_ms_sum: r.responseTimeMs,
      prompt_tokens: r.promptTokens ?? 0,
      completion_tokens: r.completionTokens ?? 0,
      cost_nano_usd: cost,
    };
    const modelSums = { ...sums, errors: isSuccessStatus(r.statusCode) ? 0 : 1 };
    bump('usage_day_status', { user_id: r.userId, day, status_code: r.statusCode }, sums);
    bump('usage_day_latency', { user_id: r.userId, day, bucket: latencyBucket(r.responseTimeMs) }, { count: 1 });
    bump('usage_day_model', { user_id: r.userId, day, model: r.model }, modelSums);
    bump('usage_month_model', { user_id: r.userId, month, model: r.model }, modelSums);
    bump('usage_day_token', { user_id: r.userId, day, token_id: r.tokenId }, { requests: 1, cost_nano_usd: cost });
    bump('usage_month_token', { user_id: r.userId, month, token_id: r.tokenId }, { requests: 1, cost_nano_usd: cost });
  }
  return Object.fromEntries(ROLLUP_TABLE_NAMES.map((t) => [t, inKeyOrder(t, [...(tables.get(t) as Map<string, RollupRecord>).values()])])) as Record<
    RollupTableName,
    RollupRecord[]
  >;
}
