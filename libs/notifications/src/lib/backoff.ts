/**
 * The retry schedule. After failed attempt n (1, 2, …) the next one waits
 * `min(base · 2^(n-1), max)`: with the defaults 30 s, 1, 2, 4, 8, 16, 32, 64, 128 min, then every
 * 3 h. An event still undelivered 24 h after it was written is given up (state `failed`):
 * 16 attempts in all (the last at +22.3 h).
 */
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 30_000, maxDelayMs: 3 * 3_600_000, giveUpAfterMs: 24 * 3_600_000 };

/** When attempt `failedAttempts + 1` is due, or null when the event is given up. */
export function nextAttemptAt(policy: RetryPolicy, createdAt: Date, failedAttempts: number, now: Date): Date | null {
  const delay = Math.min(policy.baseDelayMs * 2 ** Math.min(failedAttempts - 1, 40), policy.maxDelayMs);
  const next = now.getTime() + delay;
  return next > createdAt.getTime() + policy.giveUpAfterMs ? null : new Date(next);
}

/** The whole schedule as offsets from the first attempt (for the documentation and its test). */
export function retrySchedule(policy: RetryPolicy = DEFAULT_RETRY_POLICY): number[] {
  const created = new Date(0);
  const offsets = [0];
  let now = created;
  for (let failed = 1; ; failed++) {
    const next = nextAttemptAt(policy, created, failed, now);
    if (!next) return offsets;
    offsets.push(next.getTime());
    now = next;
  }
}
