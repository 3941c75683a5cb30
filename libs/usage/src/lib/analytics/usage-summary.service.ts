import type { DayUsage, ModelUsage, StatusUsage, TokenUsage, UsageSummary } from '@lmarena-bridge/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { usdFromNano } from '../cost';
import { emptyHistogram, histogramPercentile, LatencyHistogram, roundMs } from './histogram';
import { num, SqlParams } from './sql';
import { isoDate, UsageScope, usageWindow } from './usage-scope';

/** 2xx is a success; everything else (4xx, 5xx, 499 client gone, …) an error. */
export function isSuccessStatus(statusCode: number): boolean {
  return statusCode >= 200 && statusCode < 300;
}

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

interface RollupRow {
  status_code: number | string;
  requests: number | string;
  rt: number | string | null;
  pt: number | string | null;
  ct: number | string | null;
  cost: number | string | null;
}

function add(into: Sums, row: RollupRow): void {
  const requests = num(row.requests);
  into.requests += requests;
  if (!isSuccessStatus(num(row.status_code))) into.errors += requests;
  into.responseTimeMsSum += num(row.rt);
  into.promptTokens += num(row.pt);
  into.completionTokens += num(row.ct);
  into.costNanoUsd += num(row.cost);
}

const average = (s: Sums) => (s.requests === 0 ? 0 : roundMs(s.responseTimeMsSum / s.requests));

/**
 * The dashboard summary, read from the per-day rollups only (usage_daily and
 * usage_daily_latency), so its cost grows with days x tokens x models x statuses, never
 * with the number of requests. Retention of raw rows does not change it.
 */
@Injectable()
export class UsageSummaryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async summary(days: number, scope: UsageScope, now: number = Date.now()): Promise<UsageSummary> {
    const { firstDay, lastDay } = usageWindow(days, now);
    // The rollup filter, built fresh for each statement (each has its own parameter list).
    const where = () => {
      const p = SqlParams.for(this.dataSource);
      let sql = `day >= ${p.add(firstDay)} AND day <= ${p.add(lastDay)}`;
      if (scope !== 'all') sql += ` AND user_id = ${p.add(scope.userId)}`;
      return { sql, params: p.values };
    };
    const sums =
      'SUM(requests) AS requests, SUM(response_time_ms_sum) AS rt, SUM(prompt_tokens) AS pt, SUM(completion_tokens) AS ct, SUM(cost_nano_usd) AS cost';

    // ORDER BY the covering indexes' order (see the UsageSummaryIndexes migration): SQLite
    // sums along the index with no sort either way, and PostgreSQL may then pick an
    // index-only scan with a streaming aggregate (it did at 1 M requests: 40 -> 18 ms).
    const perDay = where();
    const perKey = where();
    const perBucket = where();
    const [dayRows, keyRows, bucketRows, activeTokens] = await Promise.all([
      this.dataSource.query<Array<RollupRow & { day: number | string }>>(
        `SELECT day, status_code, ${sums} FROM usage_daily WHERE ${perDay.sql} GROUP BY day, status_code ORDER BY day, status_code`,
        perDay.params,
      ),
      this.dataSource.query<Array<RollupRow & { model: string; token_id: number | string }>>(
        `SELECT model, token_id, status_code, ${sums} FROM usage_daily WHERE ${perKey.sql} GROUP BY model, token_id, status_code`,
        perKey.params,
      ),
      this.dataSource.query<Array<{ day: number | string; bucket: number | string; n: number | string }>>(
        `SELECT day, bucket, SUM(count) AS n FROM usage_daily_latency WHERE ${perBucket.sql} GROUP BY day, bucket ORDER BY day, bucket`,
        perBucket.params,
      ),
      this.activeTokens(scope, now),
    ]);

    // Totals, by_day and by_status from the (day, status) sums.
    const total = noSums();
    const dayIndex = (day: number) => day - firstDay;
    const daySums = Array.from({ length: days }, noSums);
    const statusCounts = new Map<number, number>();
    for (const row of dayRows) {
      add(total, row);
      add(daySums[dayIndex(num(row.day))], row);
      const status = num(row.status_code);
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

    // by_model and by_token from the (model, token, status) sums.
    const modelSums = new Map<string, Sums>();
    const tokenSums = new Map<number, Sums>();
    for (const row of keyRows) {
      let m = modelSums.get(row.model);
      if (!m) modelSums.set(row.model, (m = noSums()));
      add(m, row);
      const tokenId = num(row.token_id);
      let t = tokenSums.get(tokenId);
      if (!t) tokenSums.set(tokenId, (t = noSums()));
      add(t, row);
    }
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
