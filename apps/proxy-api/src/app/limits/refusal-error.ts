import type { NumericLimits, Refusal } from '@lmarena-bridge/limits';
import { ProxyError } from '../errors/proxy-error';

const usd = (n: number): string => `$${n.toFixed(n < 1 ? 4 : 2)}`;

/** The contract's answer to a limit refusal, with a message that names the limit and when it frees up. */
export function refusalError(refusal: Refusal, limits: NumericLimits, retryAfterSeconds: number): ProxyError {
  const retry = `Retry after ${retryAfterSeconds} s.`;
  switch (refusal) {
    case 'rpm':
      return ProxyError.rateLimited(`Rate limit reached for this API key: ${limits.rpm} requests per minute. ${retry}`, retryAfterSeconds);
    case 'tpm':
      return ProxyError.rateLimited(`Rate limit reached for this API key: ${limits.tpm} tokens per minute. ${retry}`, retryAfterSeconds);
    case 'max_parallel':
      return ProxyError.rateLimited(`This API key already has ${limits.maxParallel} requests in flight, its limit. ${retry}`, retryAfterSeconds);
    case 'daily_requests':
      return ProxyError.quotaExceeded(
        `This API key has used its ${limits.dailyRequests} requests for today; the quota resets at 00:00 UTC.`,
        retryAfterSeconds,
      );
    case 'monthly_tokens':
      return ProxyError.quotaExceeded(
        `This API key has used its ${limits.monthlyTokens} tokens for this month; the quota resets on the 1st (UTC).`,
        retryAfterSeconds,
      );
    case 'monthly_budget_usd':
      return ProxyError.quotaExceeded(
        `This API key has spent its monthly budget of ${usd(limits.monthlyBudgetUsd ?? 0)}; it resets on the 1st (UTC).`,
        retryAfterSeconds,
      );
  }
}
