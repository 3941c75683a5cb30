import { ApiTokenEntity, decodeLimits, UserEntity } from '@lmarena-bridge/auth';
import { runInTransaction } from '@lmarena-bridge/database';
import { effectiveLimits } from '@lmarena-bridge/limits';
import { usdFromNano } from '@lmarena-bridge/usage';
import { Logger } from '@nestjs/common';
import { DataSource, EntityManager, IsNull, MoreThan } from 'typeorm';
import { NotificationMarkEntity, NotificationPrefsEntity, WebhookEntity } from './entities';
import { Mail, Mailer, tokenExpiringMail, usageReportMail } from './mailer';
import { claimGrowth, claimOnce } from './marks';
import { eventsOf, OutboxEvent } from './outbox';
import { loadUsageReport, placeholders } from './usage-report';

const DAY_MS = 86_400_000;
const RATE_LIMIT_GAP_MS = 10 * 60_000;
const THRESHOLDS = [100, 80] as const;

export type Enqueue = (manager: EntityManager, event: OutboxEvent, at: Date) => Promise<number>;

/**
 * The notices no request writes: run every minute by one dashboard (the `notification-jobs`
 * lease). Each reads what is already in the database — token expiry dates, the daily usage
 * rollups the proxies write anyway (requests, tokens, cost, `refused_requests`) — and claims a
 * mark in the same transaction as the outbox rows, so a notice goes out once however often the
 * job runs and whichever instance runs it. Nothing is added to the proxy's request path.
 */
export class NotificationJobs {
  private readonly logger = new Logger(NotificationJobs.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly enqueue: Enqueue,
    private readonly mailer: Mailer,
    private readonly dashboardUrl: string,
  ) {}

  /** Runs every job once; answers what each produced (for tests and logs). */
  async run(now: Date): Promise<{ expiring: number; quota: number; rateLimited: number; reports: number; bridge: number }> {
    return {
      bridge: await this.bridgeDisconnected(now),
      expiring: await this.tokensExpiring(now),
      quota: await this.quotaThresholds(now),
      rateLimited: await this.rateLimited(now),
      reports: await this.usageReports(now),
    };
  }

  /**
   * bridge.disconnected (to admins' webhooks): the proxies keep a row per connected browser,
   * refreshed while its socket lives; when the count of live rows falls from some to none, the
   * bridge is down. Seen within a minute and a half (a row goes stale after 30 s, the job runs
   * every minute); the count last seen is kept in a mark.
   */
  async bridgeDisconnected(now: Date, staleMs = 30_000): Promise<number> {
    const p = placeholders(this.dataSource);
    const [row] = await this.dataSource.query<Array<{ n: unknown }>>(`SELECT COUNT(*) AS n FROM bridge_browsers WHERE seen_at >= ${p(1)}`, [
      now.getTime() - staleMs,
    ]);
    const live = Number(row?.n ?? 0);
    return runInTransaction(this.dataSource, async (m) => {
      const repo = m.getRepository(NotificationMarkEntity);
      const mark = await repo.findOneBy({ key: 'bridge.live' });
      if (!mark) {
        await repo.insert({ key: 'bridge.live', at: now, value: live, period: 0 });
        return 0;
      }
      if (mark.value === live) return 0;
      await repo.update({ key: 'bridge.live' }, { at: now, value: live });
      if (!(mark.value > 0 && live === 0)) return 0;
      await this.enqueue(m, { type: 'bridge.disconnected', userId: null, data: { browsers_before: mark.value, last_change_at: mark.at.toISOString() } }, now);
      return 1;
    });
  }

  /** token.expiring 7 days and 1 day before expiry, once each (a token made with 20 h left gets only the 1-day one). */
  async tokensExpiring(now: Date): Promise<number> {
    const tokens = await this.dataSource.getRepository(ApiTokenEntity).find({ where: { revokedAt: IsNull(), expiresAt: MoreThan(now) } });
    const mails: Mail[] = [];
    let n = 0;
    for (const t of tokens) {
      const left = (t.expiresAt as Date).getTime() - now.getTime();
      if (left > 7 * DAY_MS) continue;
      const days = left <= DAY_MS ? 1 : 7;
      const token = { id: t.id, name: t.name, hint: t.hint, expires_at: (t.expiresAt as Date).toISOString() };
      const claimed = await runInTransaction(this.dataSource, async (m) => {
        // The 1-day notice also stands for the 7-day one, which it makes pointless.
        if (!(await claimOnce(m, `token.expiring:${days}d:${t.id}:${token.expires_at}`, now))) return false;
        if (days === 1) await claimOnce(m, `token.expiring:7d:${t.id}:${token.expires_at}`, now);
        await this.enqueue(m, { type: 'token.expiring', userId: t.userId, data: { token, days_left: days } }, now);
        return true;
      });
      if (!claimed) continue;
      n++;
      const user = await this.dataSource.getRepository(UserEntity).findOneBy({ id: t.userId });
      if (user && !user.disabled) mails.push(tokenExpiringMail(user.email, user.username, token, this.dashboardUrl));
    }
    for (const mail of mails) await this.mailer.send(mail);
    return n;
  }

  /** quota.threshold at 80 % and 100 % of daily_requests, monthly_tokens and monthly_budget_usd, once per token, limit and period. */
  async quotaThresholds(now: Date): Promise<number> {
    const today = Math.floor(now.getTime() / DAY_MS);
    const monthFirst = Math.floor(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) / DAY_MS);
    const tokens = await this.dataSource.getRepository(ApiTokenEntity).find({ where: { revokedAt: IsNull() } });
    const users = new Map((await this.dataSource.getRepository(UserEntity).find()).map((u) => [u.id, u]));
    const limited = tokens
      .filter((t) => !t.expiresAt || t.expiresAt.getTime() > now.getTime())
      .map((t) => ({
        t,
        limits: effectiveLimits(decodeLimits(t.limits, `api_tokens ${t.id}`), decodeLimits(users.get(t.userId)?.limits ?? null, `users ${t.userId}`)).numeric,
      }))
      .filter(({ limits }) => limits.dailyRequests !== null || limits.monthlyTokens !== null || limits.monthlyBudgetUsd !== null);
    if (limited.length === 0) return 0;
    const p = placeholders(this.dataSource);
    const rows = await this.dataSource.query<Array<{ token_id: unknown; day_requests: unknown; month_tokens: unknown; month_cost: unknown }>>(
      `SELECT token_id, SUM(CASE WHEN day = ${p(1)} THEN requests - refused_requests ELSE 0 END) AS day_requests,
         SUM(prompt_tokens + completion_tokens) AS month_tokens, SUM(cost_nano_usd) AS month_cost
       FROM usage_daily WHERE day >= ${p(2)} AND day <= ${p(3)} GROUP BY token_id`,
      [today, monthFirst, today],
    );
    const used = new Map(rows.map((r) => [Number(r.token_id), r]));
    let n = 0;
    for (const { t, limits } of limited) {
      const u = used.get(t.id);
      const checks = [
        { limit: 'daily_requests', max: limits.dailyRequests, value: Number(u?.day_requests ?? 0), period: `day:${today}` },
        { limit: 'monthly_tokens', max: limits.monthlyTokens, value: Number(u?.month_tokens ?? 0), period: `month:${monthFirst}` },
        { limit: 'monthly_budget_usd', max: limits.monthlyBudgetUsd, value: usdFromNano(Number(u?.month_cost ?? 0)), period: `month:${monthFirst}` },
      ];
      for (const c of checks) {
        if (c.max === null || c.max <= 0) continue;
        const pct = THRESHOLDS.find((th) => c.value >= (c.max as number) * (th / 100));
        if (!pct) continue;
        const sent = await runInTransaction(this.dataSource, async (m) => {
          const key = (th: number) => `quota.threshold:${t.id}:${c.limit}:${c.period}:${th}`;
          if (!(await claimOnce(m, key(pct), now))) return false;
          // Reaching 100 % at once also settles the 80 % notice.
          for (const lower of THRESHOLDS.filter((th) => th < pct)) await claimOnce(m, key(lower), now);
          await this.enqueue(
            m,
            {
              type: 'quota.threshold',
              userId: t.userId,
              data: {
                token: { id: t.id, name: t.name, hint: t.hint },
                limit: c.limit,
                threshold_percent: pct,
                used: c.value,
                max: c.max,
                period: c.period.split(':')[0],
              },
            },
            now,
          );
          return true;
        });
        if (sent) n++;
      }
    }
    return n;
  }

  /**
   * rate_limit.exceeded: a token whose 429 refusals of today (usage_daily.refused_requests, the
   * proxy's policy refusals as the recorder rolls them up) grew since the last notice, at most
   * once per token per 10 minutes.
   */
  async rateLimited(now: Date): Promise<number> {
    const today = Math.floor(now.getTime() / DAY_MS);
    const p = placeholders(this.dataSource);
    const rows = await this.dataSource.query<Array<{ token_id: unknown; user_id: unknown; refused: unknown }>>(
      `SELECT token_id, user_id, SUM(refused_requests) AS refused FROM usage_daily
       WHERE day = ${p(1)} AND status_code = 429 AND token_id > 0 GROUP BY token_id, user_id HAVING SUM(refused_requests) > 0`,
      [today],
    );
    let n = 0;
    for (const r of rows) {
      const tokenId = Number(r.token_id);
      const refused = Number(r.refused);
      const sent = await runInTransaction(this.dataSource, async (m) => {
        if (!(await claimGrowth(m, `rate_limit.exceeded:${tokenId}`, now, today, refused, RATE_LIMIT_GAP_MS))) return false;
        const token = await m.getRepository(ApiTokenEntity).findOneBy({ id: tokenId });
        await this.enqueue(
          m,
          {
            type: 'rate_limit.exceeded',
            userId: Number(r.user_id),
            data: { token: { id: tokenId, name: token?.name ?? null, hint: token?.hint ?? null }, refused_today: refused },
          },
          now,
        );
        return true;
      });
      if (sent) n++;
    }
    return n;
  }

  /**
   * Usage reports after each UTC day (daily) or each Monday for the week before (weekly): an
   * e-mail to users who chose one, and a `usage.report` event to webhooks subscribed to it (daily
   * when the user chose no e-mail). Once per user and period.
   */
  async usageReports(now: Date): Promise<number> {
    const today = Math.floor(now.getTime() / DAY_MS);
    const monday = now.getUTCDay() === 1;
    const prefs = new Map((await this.dataSource.getRepository(NotificationPrefsEntity).find()).map((p) => [p.userId, p.report]));
    const subscribed = new Set(
      (await this.dataSource.getRepository(WebhookEntity).find()).filter((w) => eventsOf(w).includes('usage.report')).map((w) => w.userId),
    );
    let n = 0;
    for (const user of await this.dataSource.getRepository(UserEntity).find({ where: { disabled: false } })) {
      const pref = prefs.get(user.id) ?? 'off';
      const period = pref === 'weekly' ? (monday ? 'weekly' : null) : pref === 'daily' || subscribed.has(user.id) ? 'daily' : null;
      if (!period) continue;
      const fromDay = period === 'weekly' ? today - 7 : today - 1;
      const report = await loadUsageReport(this.dataSource, user.id, period, fromDay, today);
      const claimed = await runInTransaction(this.dataSource, async (m) => {
        if (!(await claimOnce(m, `report:${user.id}:${period}:${fromDay}`, now))) return false;
        await this.enqueue(m, { type: 'usage.report', userId: user.id, data: { report } }, now);
        return true;
      });
      if (!claimed) continue;
      n++;
      if (pref !== 'off') await this.mailer.send(usageReportMail(user.email, user.username, report, this.dashboardUrl));
    }
    if (n) this.logger.log(`usage reports: ${n}`);
    return n;
  }
}
