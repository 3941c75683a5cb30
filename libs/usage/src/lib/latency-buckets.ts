/**
 * Fixed response-time histogram buckets for the daily rollups. Bucket 0 holds [0, 1) ms;
 * bucket i >= 1 holds [R^(i-1), R^i) ms with R = 2^(1/4) (four buckets per doubling); the
 * last bucket also holds everything above its lower bound, 2^20 ms (about 17.5 minutes).
 *
 * A percentile read from the histogram is the geometric middle of its bucket, so it is
 * within a factor sqrt(R) = 2^(1/8) of a value in that bucket: at most 9.05 % off for any
 * response time from 1 ms to the last bucket (and at most 1 ms below 1 ms).
 */
export const LATENCY_RATIO = 2 ** 0.25;
export const LATENCY_BUCKETS = 82;
export const LATENCY_MAX_RELATIVE_ERROR = Math.sqrt(LATENCY_RATIO) - 1;

const LOG_RATIO = Math.log(LATENCY_RATIO);

export function latencyBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  let bucket = Math.floor(Math.log(ms) / LOG_RATIO) + 1;
  // The logarithm's rounding can put a value lying on a bucket edge one bucket off; settle
  // it against the very bounds bucketBounds() reports.
  if (bucket > 1 && ms < LATENCY_RATIO ** (bucket - 1)) bucket -= 1;
  else if (ms >= LATENCY_RATIO ** bucket) bucket += 1;
  return Math.min(bucket, LATENCY_BUCKETS - 1);
}

/** Lower and upper bound (ms) of a bucket. */
export function bucketBounds(bucket: number): [number, number] {
  if (bucket <= 0) return [0, 1];
  return [LATENCY_RATIO ** (bucket - 1), LATENCY_RATIO ** bucket];
}

/** The value a percentile falling in this bucket reads as. */
export function bucketValue(bucket: number): number {
  if (bucket <= 0) return 0.5;
  const [low, high] = bucketBounds(bucket);
  return Math.sqrt(low * high);
}
