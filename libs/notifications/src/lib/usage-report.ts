import { usdFromNano } from '@lmarena-bridge/usage';
import { DataSource } from 'typeorm';

const DAY_MS = 86_400_000;

/** One user's usage over whole UTC days [fromDay, toDay). */
export interface UsageReport {
  period: 'daily' | 'weekly';
  /** First and last day, YYYY-MM-DD (UTC), both included. */
  from: string;
  to: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  top_models: Array<{ model: string; requests: number; cost_usd: number }>;
}

/** `?` on SQLite, `$n` on PostgreSQL. */
export function placeholders(dataSource: DataSource): (n: number) => string {
  return dataSource.options.type === 'postgres' ? (n) => `$${n}` : () => '?';
}

const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The figures of a report, from the daily rollups (what the analytics page shows, to the nano-dollar). */
export async function loadUsageReport(
  dataSource: DataSource,
  userId: number,
  period: 'daily' | 'weekly',
  fromDay: number,
  toDay: number,
): Promise<UsageReport> {
  const p = placeholders(dataSource);
  const rows = await dataSource.query<Array<{ model: string; requests: unknown; errors: unknown; prompt: unknown; completion: unknown; cost: unknown }>>(
    `SELECT model, SUM(requests) AS requests, SUM(CASE WHEN status_code >= 400 THEN requests ELSE 0 END) AS errors,
       SUM(prompt_tokens) AS prompt, SUM(completion_tokens) AS completion, SUM(cost_nano_usd) AS cost
     FROM usage_daily WHERE user_id = ${p(1)} AND day >= ${p(2)} AND day < ${p(3)} GROUP BY model`,
    [userId, fromDay, toDay],
  );
  const models = rows.map((r) => ({
    model: r.model,
    requests: Number(r.requests ?? 0),
    errors: Number(r.errors ?? 0),
    prompt: Number(r.prompt ?? 0),
    completion: Number(r.completion ?? 0),
    costNano: Number(r.cost ?? 0),
  }));
  const sum = (f: (m: (typeof models)[number]) => number) => models.reduce((acc, m) => acc + f(m), 0);
  return {
    period,
    from: isoDay(fromDay),
    to: isoDay(toDay - 1),
    requests: sum((m) => m.requests),
    errors: sum((m) => m.errors),
    prompt_tokens: sum((m) => m.prompt),
    completion_tokens: sum((m) => m.completion),
    cost_usd: usdFromNano(sum((m) => m.costNano)),
    top_models: models
      .sort((a, b) => b.requests - a.requests || a.model.localeCompare(b.model))
      .slice(0, 5)
      .map((m) => ({ model: m.model, requests: m.requests, cost_usd: usdFromNano(m.costNano) })),
  };
}
