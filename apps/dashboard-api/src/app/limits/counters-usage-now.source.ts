import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import type { UsageNow } from '@lmarena-bridge/contracts';
import { effectiveLimits, RedisLimitStore, type NumericLimits, type UsageNowNumbers } from '@lmarena-bridge/limits';
import { DatabaseUsageNowSource, UsageCounters, UsageNowSource, type UsageNowToken } from '@lmarena-bridge/usage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LIMITS_REDIS } from './limits.module';

const contract = (n: UsageNowNumbers): UsageNow => ({
  minute_requests: n.minuteRequests,
  minute_tokens: n.minuteTokens,
  in_flight: n.inFlight,
  day_requests: n.dayRequests,
  month_tokens: n.monthTokens,
  month_cost_usd: n.monthCostUsd,
});

const counted = (limits: NumericLimits): boolean => Object.values(limits).some((v) => v !== null);

/**
 * `usage_now` as the proxies count it: with Redis, the live counters of every token that has
 * counted limits (the same numbers the next request is judged by, in_flight included); the
 * database's figures for the others, and for everyone while Redis does not answer (one warning
 * per outage). Without Redis the proxies count in their own memory, out of the dashboard's
 * sight: the database's figures are the best there is (trailing by one usage flush).
 */
@Injectable()
export class CountersUsageNowSource extends UsageNowSource {
  private readonly logger = new Logger('Limits');
  private readonly store: RedisLimitStore | null;
  private warned = false;

  constructor(
    @Inject(LIMITS_REDIS) redis: Redis | null,
    @InjectConfig() config: AppConfig,
    private readonly database: DatabaseUsageNowSource,
    counters: UsageCounters,
  ) {
    super();
    this.store = redis ? new RedisLimitStore({ redis, keyPrefix: config.redis.key_prefix, seed: counters }) : null;
  }

  async forTokens(tokens: readonly UsageNowToken[], now: number = Date.now()): Promise<Map<number, UsageNow>> {
    const out = await this.database.forTokens(tokens, now);
    if (!this.store) return out;
    const live = tokens.map((t) => ({ id: t.id, limits: effectiveLimits(t.limits, t.userLimits).numeric })).filter((t) => counted(t.limits));
    if (live.length === 0) return out;
    try {
      const figures = await Promise.all(live.map((t) => this.store?.usageNow(t.id, t.limits)));
      live.forEach((t, i) => {
        const f = figures[i];
        if (f) out.set(t.id, contract(f));
      });
      this.warned = false;
    } catch (err) {
      if (!this.warned)
        this.logger.warn(
          `reading the live limit counters from Redis failed, showing the database's figures: ${err instanceof Error ? err.message : String(err)}`,
        );
      this.warned = true;
    }
    return out;
  }
}
