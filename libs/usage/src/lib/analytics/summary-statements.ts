import { SqlParams } from './sql';
import { DayRange, UsageScope, windowParts } from './usage-scope';

/** One hand-written statement and its parameters. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** The rollup statements of one summary (see UsageSummaryService), by what they answer. */
export interface SummaryStatements {
  /** Per day: requests, errors and the sums (totals and by_day). */
  byDay: Statement;
  /** Per status code: requests (by_status). */
  byStatus: Statement;
  /** Per day: that day's histogram as text, `bucket:count,…` (percentiles). */
  histograms: Statement;
  /** Per model: requests, errors and the sums (by_model). */
  byModel: Statement;
  /** Per token: requests and cost (by_token). */
  byToken: Statement;
}

const SUMS = 'SUM(response_time_ms_sum) AS rt, SUM(prompt_tokens) AS pt, SUM(completion_tokens) AS ct, SUM(cost_nano_usd) AS cost';
/** Requests of a usage_day_status row that are errors: anything but 2xx (isSuccessStatus). */
const ERRORS = 'SUM(CASE WHEN status_code >= 200 AND status_code < 300 THEN 0 ELSE requests END) AS errors';

/**
 * The statements for the window firstDay..lastDay (UTC day numbers) and the scope. Each reads
 * one key range of an index per table: (user_id, day or month, …), the primary key, for one
 * user; the covering index led by day or month for everyone.
 *
 * Each answers few rows: the engines sum far faster than they hand rows over (SQLite through
 * better-sqlite3 builds an object per row), so the sums are done in SQL, and each day's
 * latency histogram comes as one text value rather than a row per bucket (some 50 a day).
 */
export function summaryStatements(postgres: boolean, scope: UsageScope, firstDay: number, lastDay: number): SummaryStatements {
  const whole = { from: firstDay, to: lastDay + 1 };
  const parts = windowParts(firstDay, lastDay);
  // A parameter list per statement (SQLite's `?` are positional).
  const statement = (build: (range: (column: 'day' | 'month', r: DayRange) => string) => string): Statement => {
    const p = new SqlParams(postgres);
    const range = (column: 'day' | 'month', r: DayRange) =>
      `${scope === 'all' ? '' : `user_id = ${p.add(scope.userId)} AND `}${column} >= ${p.add(r.from)} AND ${column} < ${p.add(r.to)}`;
    const sql = build(range);
    return { sql, params: p.values };
  };
  /** The edge days from the daily rollup and the whole months from the monthly one, summed per key. */
  const perKey = (table: 'model' | 'token', key: string, columns: string, sums: string) =>
    statement((range) => {
      const selects = parts.days.map((r) => `SELECT ${key}, ${columns} FROM usage_day_${table} WHERE ${range('day', r)}`);
      if (parts.months) selects.push(`SELECT ${key}, ${columns} FROM usage_month_${table} WHERE ${range('month', parts.months)}`);
      return `SELECT ${key}, ${sums} FROM (${selects.join(' UNION ALL ')}) AS parts GROUP BY ${key}`;
    });
  // For everyone, one day's pairs come from several users: the reader adds them up.
  const pairs = postgres ? `string_agg(bucket || ':' || count, ',')` : `group_concat(bucket || ':' || count)`;
  return {
    // In the index's order (day after user_id, or first): summed along it, no sort.
    byDay: statement(
      (range) => `SELECT day, SUM(requests) AS requests, ${ERRORS}, ${SUMS} FROM usage_day_status WHERE ${range('day', whole)} GROUP BY day ORDER BY day`,
    ),
    byStatus: statement((range) => `SELECT status_code, SUM(requests) AS requests FROM usage_day_status WHERE ${range('day', whole)} GROUP BY status_code`),
    histograms: statement((range) => `SELECT day, ${pairs} AS pairs FROM usage_day_latency WHERE ${range('day', whole)} GROUP BY day ORDER BY day`),
    byModel: perKey(
      'model',
      'model',
      'requests, errors, response_time_ms_sum, prompt_tokens, completion_tokens, cost_nano_usd',
      `SUM(requests) AS requests, SUM(errors) AS errors, ${SUMS}`,
    ),
    byToken: perKey('token', 'token_id', 'requests, cost_nano_usd', 'SUM(requests) AS requests, SUM(cost_nano_usd) AS cost'),
  };
}
