import type { DayUsage, ModelUsage, StatusUsage, TokenUsage, UsageSummary } from '@lmarena-bridge/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { usdFromNano } from '../cost';
import { emptyHistogram, histogramPercentile, LatencyHistogram, roundMs } from './histogram';
import { isPostgres, num, SqlParams } from './sql';
import { Statement, summaryStatements } from './summary-statements';
import { isoDate, UsageScope, usageWindow } from './usage-scope';

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

/** PostgreSQL answers SUM() as text, SQLite as numbers. */
type Value = number | string | null;

interface SumRow {
  requests: Value;
  errors: Value;
  rt: Value;
  pt: Value;
  ct: Value;
  cost: Value;
}

const sumsOf = (row: SumRow): Sums => ({
  requests: num(row.requests),
  errors: num(row.errors),
  responseTimeMsSum: num(row.rt),
  promptTokens: num(row.pt),
  completionTokens: num(row.ct),
  costNanoUsd: num(row.cost),
});

function addTo(into: Sums, s: Sums): void {
  into.requests += s.requests;
  into.errors += s.errors;
  into.responseTimeMsSum += s.responseTimeMsSum;
  into.promptTokens += s.promptTokens;
  into.completionTokens += s.completionTokens;
  into.costNanoUsd += s.costNanoUsd;
}

/** Adds `bucket:count,…` pairs (summaryStatements' histograms) to a histogram. */
function addPairs(into: LatencyHistogram, pairs: string | null): void {
  if (!pairs) return;
  for (const pair of pairs.split(',')) {
    const colon = pair.indexOf(':');
    into[Number(pair.slice(0, colon))] += Number(pair.slice(colon + 1));
  }
}

const average = (s: Sums) => (s.requests === 0 ? 0 : roundMs(s.responseTimeMsSum / s.requests));
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The dashboard summary, read from the rollups keyed by user (AnalyticsRollups1764500000006),
 * so its cost grows with days x (statuses + latency buckets) and with months x (models +
 * tokens), never with the number of requests. Retention of raw rows does not change it.
 *
 * by_model and by_token read the whole months inside the window from the monthly rollups and
 * only the edge days (at most 60) from the daily ones: a 365-day window reads about 12
 * rows per model and token instead of 365. See summaryStatements for the statements, and
 * its spec for their query plans.
 */
@Injectable()
export class UsageSummaryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async summary(days: number, scope: UsageScope, now: number = Date.now()): Promise<UsageSummary> {
    const { firstDay, lastDay } = usageWindow(days, now);
    const statements = summaryStatements(isPostgres(this.dataSource), scope, firstDay, lastDay);
    const run = <T>(s: Statement) => this.dataSource.query<T[]>(s.sql, s.params);
    const [dayRows, statusRows, histogramRows, modelRows, tokenRows, activeTokens] = await Promise.all([
      run<SumRow & { day: Value }>(statements.byDay),
      run<{ status_code: Value; requests: Value }>(statements.byStatus),
      run<{ day: Value; pairs: string | null }>(statements.histograms),
      run<SumRow & { model: string }>(statements.byModel),
      run<{ token_id: Value; requests: Value; cost: Value }>(statements.byToken),
      this.activeTokens(scope, now),
    ]);

    // Totals and by_day.
    const total = noSums();
    const daySums = Array.from({ length: days }, noSums);
    for (const row of dayRows) {
      const s = sumsOf(row);
      addTo(total, s);
      addTo(daySums[num(row.day) - firstDay], s);
    }

    // Latency: one histogram per day, and their sum for the whole window.
    const dayHistograms: Array<LatencyHistogram | undefined> = new Array(days);
    for (const row of histogramRows) addPairs((dayHistograms[num(row.day) - firstDay] ??= emptyHistogram()), row.pairs);
    const windowHistogram = emptyHistogram();
    for (const h of dayHistograms) h?.forEach((n, bucket) => (windowHistogram[bucket] += n));

    const tokenNames = await this.tokenNames(tokenRows.map((row) => num(row.token_id)));

    const byDay: DayUsage[] = daySums.map((s, i) => ({
      date: isoDate(firstDay + i),
      requests: s.requests,
      errors: s.errors,
      avg_response_time_ms: average(s),
      p95_response_time_ms: roundMs(histogramPercentile(dayHistograms[i] ?? [], 0.95)),
      cost_usd: usdFromNano(s.costNanoUsd),
    }));
    const byModel: ModelUsage[] = modelRows
      .map((row) => {
        const s = sumsOf(row);
        return {
          model: row.model,
          requests: s.requests,
          errors: s.errors,
          avg_response_time_ms: average(s),
          prompt_tokens: s.promptTokens,
          completion_tokens: s.completionTokens,
          cost_usd: usdFromNano(s.costNanoUsd),
        };
      })
      .sort((a, b) => b.requests - a.requests || byName(a.model, b.model));
    const byToken: TokenUsage[] = tokenRows
      .map((row) => {
        const tokenId = num(row.token_id);
        return { token_id: tokenId, name: tokenNames.get(tokenId) ?? '', requests: num(row.requests), cost_usd: usdFromNano(num(row.cost)) };
      })
      .sort((a, b) => b.requests - a.requests || a.token_id - b.token_id);
    const byStatus: StatusUsage[] = statusRows
      .map((row) => ({ status_code: num(row.status_code), count: num(row.requests) }))
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
