import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { usdFromNano } from './cost';
import { num, SqlParams } from './analytics/sql';
import { utcDay } from './recorder/usage-row';

/** What a token has used of its day and month quotas, as the rollups have it. */
export interface TokenUsageCounters {
  /** Requests of the token on that UTC day, without those the limits refused. */
  dayRequests: number;
  /** Prompt plus completion tokens over the month. */
  monthTokens: number;
  /** USD over the month, to the nano-dollar. */
  monthCostUsd: number;
  /** The same in whole nano-dollars, the exact integer (for counters kept as integers). */
  monthCostNanoUsd: number;
}

/**
 * A token's day and month usage from the daily rollups (usage_daily), for the limits to seed
 * their counters with (at start, and when Redis comes back). One statement on the
 * (token_id, day) index, reading at most the month's days x models x statuses rows of that
 * token. Rows still waiting in the recorder (at most flush_interval_ms old, or spooled while
 * the database was down) are not counted yet.
 */
@Injectable()
export class UsageCounters {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * `dayStartMs`: any instant of the UTC day whose requests count (normally its 00:00);
   * `monthStartMs`: any instant of the first UTC day of the month, which runs from that day
   * to the last day of its calendar month.
   */
  async load(tokenId: number, dayStartMs: number, monthStartMs: number): Promise<TokenUsageCounters> {
    const day = utcDay(dayStartMs);
    const monthFirst = utcDay(monthStartMs);
    const start = new Date(monthStartMs);
    const monthEnd = utcDay(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    // One range that holds the day and the month (the day is normally inside the month).
    const from = Math.min(day, monthFirst);
    const to = Math.max(day + 1, monthEnd);
    const p = SqlParams.for(this.dataSource);
    const inMonth = () => `day >= ${p.add(monthFirst)} AND day < ${p.add(monthEnd)}`;
    const sql = `SELECT
        SUM(CASE WHEN day = ${p.add(day)} THEN requests - refused_requests ELSE 0 END) AS day_requests,
        SUM(CASE WHEN ${inMonth()} THEN prompt_tokens + completion_tokens ELSE 0 END) AS month_tokens,
        SUM(CASE WHEN ${inMonth()} THEN cost_nano_usd ELSE 0 END) AS month_cost
      FROM usage_daily WHERE token_id = ${p.add(tokenId)} AND day >= ${p.add(from)} AND day < ${p.add(to)}`;
    const [row] = await this.dataSource.query<Array<{ day_requests: unknown; month_tokens: unknown; month_cost: unknown }>>(sql, p.values);
    const monthCostNanoUsd = num(row?.month_cost);
    return {
      dayRequests: num(row?.day_requests),
      monthTokens: num(row?.month_tokens),
      monthCostUsd: usdFromNano(monthCostNanoUsd),
      monthCostNanoUsd,
    };
  }
}
