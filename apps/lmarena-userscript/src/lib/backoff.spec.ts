import { BACKOFF_BASE_MS, BACKOFF_JITTER, BACKOFF_MAX_MS, backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('starts at the base and doubles per attempt (random 0.5 = no jitter)', () => {
    const delays = [0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, 0.5));
    expect(delays).toEqual([1, 2, 4, 8, 16].map((n) => n * BACKOFF_BASE_MS));
  });

  it('never exceeds the cap, however many attempts', () => {
    for (const attempt of [5, 6, 10, 100, 10_000]) {
      for (const random of [0, 0.5, 0.999]) expect(backoffDelay(attempt, random)).toBeLessThanOrEqual(BACKOFF_MAX_MS);
    }
    expect(backoffDelay(100, 0.5)).toBe(BACKOFF_MAX_MS);
  });

  it('spreads each delay by the jitter fraction either way', () => {
    expect(backoffDelay(0, 0)).toBe(Math.round(BACKOFF_BASE_MS * (1 - BACKOFF_JITTER)));
    expect(backoffDelay(0, 0.999999)).toBe(Math.round(BACKOFF_BASE_MS * (1 + BACKOFF_JITTER * 0.999998)));
    expect(backoffDelay(100, 0)).toBe(Math.round(BACKOFF_MAX_MS * (1 - BACKOFF_JITTER)));
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, 0.5)).toBe(BACKOFF_BASE_MS);
  });
});
