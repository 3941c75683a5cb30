import { bucketValue, LATENCY_BUCKETS } from '../latency-buckets';

/** Request counts per latency bucket (index = bucket), summed over rollup rows. */
export type LatencyHistogram = number[];

export function emptyHistogram(): LatencyHistogram {
  return new Array<number>(LATENCY_BUCKETS).fill(0);
}

/**
 * The nearest-rank `q`-quantile (0 < q <= 1) of the histogram: the bucket holding the
 * ceil(q * n)-th smallest response time, read as that bucket's geometric middle
 * (bucketValue), so within LATENCY_MAX_RELATIVE_ERROR of the exact value. 0 when empty.
 */
export function histogramPercentile(histogram: readonly number[], q: number): number {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let bucket = 0; bucket < histogram.length; bucket++) {
    seen += histogram[bucket];
    if (seen >= rank) return bucketValue(bucket);
  }
  return bucketValue(histogram.length - 1);
}

/** Milliseconds to one decimal, the precision every response time in the API has. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}
