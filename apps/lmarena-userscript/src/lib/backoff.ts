/** Reconnect delays: 1 s doubling to 30 s, each spread ±20 % so many tabs do not reconnect in step. */
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
export const BACKOFF_JITTER = 0.2;

/** After a refusal (wrong key 4401, foreign origin 4403) retrying soon cannot help. */
export const REFUSED_RETRY_MS = 60_000;

/**
 * The wait before reconnect attempt `attempt` (0 for the first after a drop).
 * `random` is a number in [0, 1), Math.random in the browser.
 */
export function backoffDelay(attempt: number, random: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  const spread = 1 + BACKOFF_JITTER * (2 * random - 1);
  return Math.round(Math.min(BACKOFF_MAX_MS, base * spread));
}
