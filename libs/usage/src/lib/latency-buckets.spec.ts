import { bucketBounds, bucketValue, LATENCY_BUCKETS, LATENCY_MAX_RELATIVE_ERROR, LATENCY_RATIO, latencyBucket } from './latency-buckets';

const LAST = LATENCY_BUCKETS - 1;
/**
 * At an exact bucket edge the read-back is off by exactly sqrt(R) - 1, which floating point
 * may compute a few units in the last place above the constant: allow that, nothing more.
 */
const MAX_ERROR = LATENCY_MAX_RELATIVE_ERROR * (1 + 1e-12);

const relativeError = (v: number) => Math.abs(bucketValue(latencyBucket(v)) - v) / v;

/** Every whole millisecond up to 1e6, every bucket edge (and its neighbours) and a fine geometric sweep. */
function sampleValues(): number[] {
  const values: number[] = [];
  for (let v = 1; v <= 1e6; v++) values.push(v);
  for (let b = 1; b < LATENCY_BUCKETS; b++) {
    const [low, high] = bucketBounds(b);
    values.push(low, high, low * (1 + Number.EPSILON), high * (1 - Number.EPSILON), (low + high) / 2);
  }
  for (let v = 1; v <= 1e6; v *= 1.0007) values.push(v);
  return values.filter((v) => v >= 1 && v <= 1e6);
}

describe('latency buckets', () => {
  const values = sampleValues();

  it('has contiguous buckets: each starts where the previous one ends, growing by R', () => {
    expect(bucketBounds(0)).toEqual([0, 1]);
    for (let b = 1; b < LATENCY_BUCKETS; b++) {
      const [low, high] = bucketBounds(b);
      expect(low).toBe(bucketBounds(b - 1)[1]);
      expect(high / low).toBeCloseTo(LATENCY_RATIO, 12);
    }
  });

  it('puts every value in a bucket whose bounds contain it', () => {
    const outside = values.filter((v) => {
      const b = latencyBucket(v);
      const [low, high] = bucketBounds(b);
      return !(Number.isInteger(b) && b >= 1 && b <= LAST && low <= v && (v < high || b === LAST));
    });
    expect(outside).toEqual([]);
  });

  it('puts an exact lower edge in its own bucket and the value just below it in the previous one', () => {
    for (let b = 2; b < LATENCY_BUCKETS; b++) {
      const [low] = bucketBounds(b);
      expect([b, latencyBucket(low)]).toEqual([b, b]);
      const below = low * (1 - Number.EPSILON);
      if (below < low) expect([b, latencyBucket(below)]).toEqual([b, b - 1]);
    }
  });

  it(`reads every value from 1 ms to 1e6 ms back within ${(LATENCY_MAX_RELATIVE_ERROR * 100).toFixed(2)} %`, () => {
    expect(values.length).toBeGreaterThan(1_000_000);
    const tooFar = values.filter((v) => !(relativeError(v) <= MAX_ERROR));
    expect(tooFar).toEqual([]);
    // The bound is tight: a value on a lower edge is off by the full sqrt(R) - 1.
    expect(relativeError(bucketBounds(40)[0])).toBeCloseTo(LATENCY_MAX_RELATIVE_ERROR, 12);
  });

  it('maps 1 ms to bucket 1 and reads it back as 2^(1/8) ms', () => {
    expect(latencyBucket(1)).toBe(1);
    expect(bucketValue(1)).toBeCloseTo(2 ** 0.125, 12);
  });

  it.each([0, 0.001, 0.5, 0.999, -5, Number.NaN])('puts %p ms in bucket 0, read back as 0.5 ms', (v) => {
    expect(latencyBucket(v)).toBe(0);
    expect(bucketValue(latencyBucket(v))).toBe(0.5);
  });

  it.each([2 ** 20, 2 ** 21, 3_600_000, 1e9, Number.MAX_VALUE, Infinity])('puts a huge value (%p ms) in the last bucket', (v) => {
    expect(latencyBucket(v)).toBe(LAST);
  });

  it('starts the last bucket at 2^20 ms', () => {
    expect(bucketBounds(LAST)[0]).toBeCloseTo(2 ** 20, 3);
    expect(latencyBucket(1e6)).toBe(LAST - 1);
  });
});
