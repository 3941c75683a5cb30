import type { TokenLimits, UsageNow } from '@lmarena-bridge/contracts';

/** A token whose usage is asked for, with its limits (a counter store may keep only the counters a limit needs). */
export interface UsageNowToken {
  id: number;
  limits: TokenLimits;
  /** The owner's caps: live counters are judged by the stricter of the two. */
  userLimits?: TokenLimits;
}

/** Nothing used yet. */
export const NO_USAGE_NOW: Readonly<UsageNow> = Object.freeze({
  minute_requests: 0,
  minute_tokens: 0,
  in_flight: 0,
  day_requests: 0,
  month_tokens: 0,
  month_cost_usd: 0,
});

/**
 * Where `usage_now` (what each token's limits compare against now) comes from. The dashboard
 * asks once per answer for every token it lists, so an implementation reads all of them in a
 * few statements, never one per token. Every id asked for is in the answer (zeros when the
 * token has no usage).
 *
 * DatabaseUsageNowSource reads the usage tables; the limits engine's counters (Redis or in
 * memory) can answer instead, exactly and with in_flight, by binding this class to them.
 */
export abstract class UsageNowSource {
  abstract forTokens(tokens: readonly UsageNowToken[], now?: number): Promise<Map<number, UsageNow>>;
}
