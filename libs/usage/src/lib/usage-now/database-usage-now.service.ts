import type { UsageNow } from '@lmarena-bridge/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { num, SqlParams } from '../analytics/sql';
import { usdFromNano } from '../cost';
import { utcDay } from '../recorder/usage-row';
import { NO_USAGE_NOW, UsageNowSource, UsageNowToken } from './usage-now-source';

/**
 * Statuses the proxy answers for a request its limits refused (429 rate_limit_exceeded /
 * quota_exceeded, 403 ip_not_allowed / model_not_allowed). Such a request is recorded but used
 * no quota, so it is not counted as one of the token's requests here; counting it would show a
 * token past its daily limit because it was refused. An upstream's own 403 or 429, passed
 * through, is left out too: the status alone cannot tell the two apart.
 */
export const REFUSAL_STATUSES = [403, 429] as const;

/** The window of minute_requests / minute_tokens. */
export const USAGE_MINUTE_MS = 60_000;

/** Token ids per statement: far below either engine's parameter limit. */
const CHUNK = 500;

const refusal = `status_code IN (${REFUSAL_STATUSES.join(', ')})`;

/**
 * `usage_now` from the database, for the dashboard while no live counters are bound:
 * - day_requests: today's (UTC) requests from the usage_daily rollup, the limits' refusals left out
 *   (refused_requests, as the limits count them);
 * - month_tokens / month_cost_usd: prompt + completion tokens and their cost over the UTC calendar
 *   month, from the rollups (cost summed as whole nano-dollars, exact);
 * - minute_requests / minute_tokens: usage_logs rows of the 60 s up to now (by the token/time index),
 *   403/429 left out (the raw rows do not say which refusals were the limits');
 * - in_flight: 0 (only the proxies know; the live counters answer it with Redis).
 * The proxy writes usage in batches (usage.flush_interval_ms), so these trail the proxy's own
 * counters by up to one flush. Two statements per 500 tokens, whatever their number of rows.
 */
@Injectable()
export class DatabaseUsageNowSource extends UsageNowSource {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async forTokens(tokens: readonly UsageNowToken[], now: number = Date.now()): Promise<Map<number, UsageNow>> {
    const out = new Map<number, UsageNow>();
    for (const t of tokens) out.set(t.id, { ...NO_USAGE_NOW });
    const ids = [...out.keys()];
    const today = utcDay(now);
    const date = new Date(now);
    const monthStart = utcDay(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const [rollups, recent] = await Promise.all([this.fromRollups(chunk, monthStart, today), this.fromLastMinute(chunk, now)]);
      for (const row of rollups) {
        const usage = out.get(num(row.token_id));
        if (!usage) continue;
        usage.day_requests = num(row.day_requests);
        usage.month_tokens = num(row.month_tokens);
        usage.month_cost_usd = usdFromNano(num(row.month_cost));
      }
      for (const row of recent) {
        const usage = out.get(num(row.token_id));
        if (!usage) continue;
        usage.minute_requests = num(row.minute_requests);
        usage.minute_tokens = num(row.minute_tokens);
      }
    }
    return out;
  }

  private fromRollups(ids: number[], monthStart: number, today: number) {
    const p = SqlParams.for(this.dataSource);
    const todayMark = p.add(today);
    const sql = `SELECT token_id,
        SUM(CASE WHEN day = ${todayMark} THEN requests - refused_requests ELSE 0 END) AS day_requests,
        SUM(prompt_tokens + completion_tokens) AS month_tokens,
        SUM(cost_nano_usd) AS month_cost
      FROM usage_daily
      WHERE day >= ${p.add(monthStart)} AND day <= ${p.add(today)} AND token_id IN (${ids.map((id) => p.add(id)).join(', ')})
      GROUP BY token_id`;
    return this.dataSource.query<
      Array<{ token_id: number | string; day_requests: number | string | null; month_tokens: number | string | null; month_cost: number | string | null }>
    >(sql, p.values);
  }

  private fromLastMinute(ids: number[], now: number) {
    const p = SqlParams.for(this.dataSource);
    const sql = `SELECT token_id,
        SUM(CASE WHEN ${refusal} THEN 0 ELSE 1 END) AS minute_requests,
        SUM(COALESCE(prompt_tokens, 0) + COALESCE(completion_tokens, 0)) AS minute_tokens
      FROM usage_logs
      WHERE token_id IN (${ids.map((id) => p.add(id)).join(', ')}) AND created_at > ${p.add(now - USAGE_MINUTE_MS)} AND created_at <= ${p.add(now)}
      GROUP BY token_id`;
    return this.dataSource.query<Array<{ token_id: number | string; minute_requests: number | string | null; minute_tokens: number | string | null }>>(
      sql,
      p.values,
    );
  }
}
