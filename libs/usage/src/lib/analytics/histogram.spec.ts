import { bucketValue, latencyBucket } from '../latency-buckets';
import { emptyHistogram, histogramPercentile, roundMs } from './histogram';

const histogramOf = (values: number[]) => {
  const h = emptyHistogram();
  for (const v of values) h[latencyBucket(v)] += 1;
  return h;
};

describe('histogramPercentile', () => {
  it('is 0 for an empty histogram', () => {
    expect(histogramPercentile(emptyHistogram(), 0.5)).toBe(0);
    expect(histogramPercentile([], 0.95)).toBe(0);
  });

  it("takes the nearest rank: the ceil(q * n)-th smallest value's bucket", () => {
    // 20 values: the p95 rank is 19, the p50 rank 10.
    const values = [...Array.from({ length: 18 }, () => 10), 1000, 100_000];
    expect(histogramPercentile(histogramOf(values), 0.95)).toBe(bucketValue(latencyBucket(1000)));
    expect(histogramPercentile(histogramOf(values), 1)).toBe(bucketValue(latencyBucket(100_000)));
    expect(histogramPercentile(histogramOf(values), 0.5)).toBe(bucketValue(latencyBucket(10)));
    // One value: every percentile is its bucket.
    expect(histogramPercentile(histogramOf([250]), 0.01)).toBe(bucketValue(latencyBucket(250)));
  });

  it('reads sub-millisecond times as 0.5 ms', () => {
    expect(histogramPercentile(histogramOf([0.2, 0.4]), 0.5)).toBe(0.5);
  });
});

describe('roundMs', () => {
  it('rounds to 0.1 ms', () => {
    expect([roundMs(1.04), roundMs(1.05), roundMs(1234.5678), roundMs(0)]).toEqual([1, 1.1, 1234.6, 0]);
  });
});
