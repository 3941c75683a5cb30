import type { DayUsage, ModelUsage, StatusUsage, TokenUsage, UsageSummary } from '@lmarena-bridge/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { usdFromNano } from '../cost';
import { emptyHistogram, histogramPercentile, LatencyHistogram, roundMs } from './histogram';
import { num, SqlParams } from './sql';
import { isSuccessStatus } from '../recorder/usage-row';
import { DayRange, isoDate, UsageScope, usageWindow, windowParts } from './usage-scope';

interface Sums {
  requests: number;
  errors: number;
  responseTimeMsSum: number;
  promptTokens: number;
  completionTokens: number;
  /** Whole nano-dollars: exact integer sums (see cost.ts); USD only in the answer. */
  costNanoUsd: number;
}

const noSums = (): Sums => ({ requests: 0, errors: 0, responseTimeMsSum: 0, promptTokens: 0, completionTokens: 0, costNanoUsd: 0 });

interface SumRow {
  requests: number | string;
  rt: number | string | null;
  pt: number | string | null;
  ct: number | string | null;
  cost: number | string | null;
}

/** Adds a row of sums; `errors`: how many of its requests were errors. */
function add(into: Sums, row: SumRow, errors: number): void {
  into.requests += num(row.requests);
  into.errors += errors;
  into.responseTimeMsSum += num(row.rt);
  into.promptTokens += num(row.pt);
  into.completionTokens += num(row.ct);
  into.costNanoUsd += num(row.cost);
}

const SUMS = 'SUM(requests) AS requests, SUM(response_time_ms_sum) AS rt, SUM(prompt_tokens) AS pt, SUM(completion_tokens) AS ct, SUM(cost_nano_usd) AS cost';
const MODEL_COLUMNS = 'model, requests, errors, response_time_ms_sum, prompt_tokens, completion_tokens, cost_nano_usd';

const average = (s: Sums) => (s.requests === 0 ? 0 : roundMs(s.responseTimeMsSum / s.requests));

/**
 * The dashboard summary, read from the rollups keyed by user (AnalyticsRollups1764500000006),
 * so its cost grows with days x statuses and latency buckets, and with months x models and
 * tokens, never with the number of requests. Retention of raw rows does not change it.
 *
 * by_model and by_token read the whole months inside the window from the monthly rollups and
 * only the edge days (at most about 61) from the daily ones: a 365-day window reads some 12
 * rows per model and token instead of 365. Every statement filters on a key range of an index
 * (user_id first for one user, day or month first for everyone): see the query-plan spec.
 */
@Injectable()
export class UsageSummaryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async summary(days: number, scope: UsageScope, now: number = Date.now()): Promise<UsageSummary> {
    const { firstDay, lastDay } = usageWindow(days, now);
    const whole = { from: firstDay, to: lastDay + 1 };
    const parts = windowParts(firstDay, lastDay);
    // Each statement has its own parameter list (SQLite's `?` are positional).
    const statement = () => {
      const p = SqlParams.for(this.dataSource);
      const range = (column: 'day' | 'month', r: DayRange) =>
        `${scope === 'all' ? '' : `user_id = ${p.add(scope.userId)} AND `}${column} >= ${p.add(r.from)} AND ${column} < ${p.add(r.to)}`;
      return { p, range };
    };
    /** Sums per `key` of the edge days from `table`'s daily rollup and of the whole months from its monthly one. */
    const perKey = (table: 'model' | 'token', key: string, columns: string, sums: string) => {
      const { p, range } = statement();
      const selects = parts.days.map((r) => `SELECT ${columns} FROM usage_day_${table} WHERE ${range('day', r)}`);
      if (parts.months) selects.push(`SELECT ${columns} FROM usage_month_${table} WHERE ${range('month', parts.months)}`);
      return { sql: `SELECT ${key}, ${sums} FROM (${selects.join(' UNION ALL ')}) AS parts GROUP BY ${key}`, params: p.values };
    };

    // ORDER BY the index order: both engines sum along the index with no sort.
    const perDay = statement();
    const daySql = `SELECT day, status_code, ${SUMS} FROM usage_day_status WHERE ${perDay.range('day', whole)} GROUP BY day, status_code ORDER BY day, status_code`;
    const perBucket = statement();
    const bucketSql = `SELECT day, bucket, SUM(count) AS n FROM usage_day_latency WHERE ${perBucket.range('day', whole)} GROUP BY day, bucket ORDER BY day, bucket`;
    const models = perKey('model', 'model', MODEL_COLUMNS, `SUM(errors) AS errors, ${SUMS}`);
    const tokens = perKey('token', 'token_id', 'token_id, requests, cost_nano_usd', 'SUM(requests) AS requests, SUM(cost_nano_usd) AS cost');
    const [dayRows, bucketRows, modelRows, tokenRows, activeTokens] = await Promise.all([
      this.dataSource.query<Array<SumRow & { day: number | string; status_code: number | string }>>(daySql, perDay.p.values),
      this.dataSource.query<Array<{ day: number | string; bucket: number | string; n: number | string }>>(bucketSql, perBucket.p.values),
      this.dataSource.query<Array<SumRow & { model: string; errors: number | string }>>(models.sql, models.params),
      this.dataSource.query<Array<{ token_id: number | string; requests: number | string; cost: number | string | null }>>(tokens.sql, tokens.params),
      this.activeTokens(scope, now),
    ]);

    // Totals, by_day and by_status from the (day, status) sums.
    const total = noSums();
    const dayIndex = (day: number) => day - firstDay;
    const daySums = Array.from({ length: days }, noSums);
    const statusCounts = new Map<number, number>();
    for (const row of dayRows) {
      const status = num(row.status_code);
      const errors = isSuccessStatus(status) ? 0 : num(row.requests);
      add(total, row, errors);
      add(daySums[dayIndex(num(row.day))], row, errors);
      statusCounts.set(status, (statusCounts.get(status) ?? 0) + num(row.requests));
    }

    // Latency: one histogram per day, and their sum for the whole window.
    const dayHistograms: Array<LatencyHistogram | undefined> = new Array(days);
    const windowHistogram = emptyHistogram();
    for (const row of bucketRows) {
      const i = dayIndex(num(row.day));
      const bucket = num(row.bucket);
      const n = num(row.n);
      (dayHistograms[i] ??= emptyHistogram())[bucket] += n;
      windowHistogram[bucket] += n;
    }

    // by_model and by_token, summed over the edge days and whole months.
    const modelSums = new Map<string, Sums>();
    for (const row of modelRows) {
      const m = noSums();
      add(m, row, num(row.errors));
      modelSums.set(row.model, m);
    }
    const tokenSums = new Map<number, Sums>();
    for (const row of tokenRows) tokenSums.set(num(row.token_id), { ...noSums(), requests: num(row.requests), costNanoUsd: num(row.cost) });
    const tokenNames = await this.tokenNames([...tokenSums.keys()]);

    const byDay: DayUsage[] = daySums.map((s, i) => ({
      date: isoDate(firstDay + i),
      requests: s.requests,
      errors: s.errors,
      avg_response_time_ms: average(s),
      p95_response_time_ms: roundMs(histogramPercentile(dayHistograms[i] ?? [], 0.95)),
      cost_usd: usdFromNano(s.costNanoUsd),
    }));
    const byModel: ModelUsage[] = [...modelSums]
      .map(([model, s]) => ({
        model,
        requests: s.requests,
        errors: s.errors,
        avg_response_time_ms: average(s),
        prompt_tokens: s.promptTokens,
        completion_tokens: s.completionTokens,
        cost_usd: usdFromNano(s.costNanoUsd),
      }))
      .sort((a, b) => b.requests - a.requests || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
    const byToken: TokenUsage[] = [...tokenSums]
      .map(([tokenId, s]) => ({ token_id: tokenId, name: tokenNames.get(tokenId) ?? '', requests: s.requests, cost_usd: usdFromNano(s.costNanoUsd) }))
      .sort((a, b) => b.requests - a.requests || a.token_id - b.token_id);
    const byStatus: StatusUsage[] = [...statusCounts]
      .map(([statusCode, count]) => ({ status_code: statusCode, count }))
      .sort((a, b) => a.status_code - b.status_code);

    const success = total.requests - total.errors;
    return {
      days,
      total_requests: total.requests,
      success_requests: success,
      error_requests: total.errors,
      success_rate: total.requests === 0 ? 0 : Math.round((success / total.requests) * 10_000) / 10_000,
      avg_response_time_ms: average(total),
      p50_response_time_ms: roundMs(histogramPercentile(windowHistogram, 0.5)),
      p95_response_time_ms: roundMs(histogramPercentile(windowHistogram, 0.95)),
      prompt_tokens: total.promptTokens,
      completion_tokens: total.completionTokens,
      cost_usd: usdFromNano(total.costNanoUsd),
      active_tokens: activeTokens,
      by_day: byDay,
      by_model: byModel,
      by_token: byToken,
      by_status: byStatus,
    };
  }

  /**
   * Tokens of the scope the proxy would accept right now: not revoked, not expired (a token
   * expiring at T is refused at T) and owned by an account that is not disabled.
   */
  private async activeTokens(scope: UsageScope, now: number): Promise<number> {
    const p = SqlParams.for(this.dataSource);
    let sql = `SELECT COUNT(*) AS n FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ${p.add(now)}) AND u.disabled = FALSE`;
    if (scope !== 'all') sql += ` AND t.user_id = ${p.add(scope.userId)}`;
    const [row] = await this.dataSource.query<Array<{ n: number | string }>>(sql, p.values);
    return num(row?.n);
  }

  private async tokenNames(ids: number[]): Promise<Map<number, string>> {
    const names = new Map<number, string>();
    // A few hundred ids at most per statement keeps SQLite's parameter limit far away.
    for (let i = 0; i < ids.length; i += 500) {
      const p = SqlParams.for(this.dataSource);
      const marks = ids
        .slice(i, i + 500)
        .map((id) => p.add(id))
        .join(', ');
      const rows = await this.dataSource.query<Array<{ id: number | string; name: string }>>(
        `SELECT id, name FROM api_tokens WHERE id IN (${marks})`,
        p.values,
      );
      for (const row of rows) names.set(num(row.id), row.name);
    }
    return names;
  }
}
