import { MAX_ROW_COST_USD, nanoUsd, requestCostNanoUsd, requestCostUsd, roundUsd, storableCostUsd, usdFromNano } from './cost';

const MINI = { inputPerMtok: 0.15, outputPerMtok: 0.6 };

describe('request cost', () => {
  it('is (prompt x input + completion x output) / 1e6 USD, to the nano-dollar', () => {
    expect(requestCostUsd(MINI, 1_000_000, 0)).toBe(0.15);
    expect(requestCostUsd(MINI, 0, 1_000_000)).toBe(0.6);
    expect(requestCostUsd(MINI, 1_000_000, 1_000_000)).toBe(0.75);
    expect(requestCostNanoUsd(MINI, 7, 3)).toBe(7 * 150 + 3 * 600);
    expect(requestCostUsd({ inputPerMtok: 3, outputPerMtok: 15 }, 12_345, 678)).toBe(0.047205);
    expect(requestCostUsd(MINI, 0, 0)).toBe(0);
  });

  it('rounds a cost that falls on half a nano-dollar once, when the row is made', () => {
    // $0.0375 per million tokens: 37.5 nano-dollars a token. Which way a half goes depends on
    // the float product (3 x 0.0375 x 1000 is 112.49999999999999); what matters is that it is
    // decided here, once, and every later sum adds the integer.
    const half = { inputPerMtok: 0.0375, outputPerMtok: 0 };
    expect(requestCostNanoUsd(half, 1, 0)).toBe(38);
    expect(requestCostNanoUsd(half, 2, 0)).toBe(75);
    expect(requestCostNanoUsd(half, 3, 0)).toBe(112);
    // Fractions of a nano-dollar round to the nearest.
    expect(requestCostNanoUsd({ inputPerMtok: 0.0001, outputPerMtok: 0 }, 4, 0)).toBe(0);
    expect(requestCostNanoUsd({ inputPerMtok: 0.0001, outputPerMtok: 0 }, 6, 0)).toBe(1);
  });

  it('is null without a price or without any count; a missing count is no tokens', () => {
    expect(requestCostUsd(null, 100, 100)).toBeNull();
    expect(requestCostUsd(MINI, null, null)).toBeNull();
    expect(requestCostUsd(MINI, 1000, null)).toBe(0.00015);
    expect(requestCostUsd(MINI, null, 1000)).toBe(0.0006);
  });

  it('never goes negative or past MAX_ROW_COST_USD, and is null for counts that are not numbers', () => {
    expect(requestCostUsd(MINI, -5, 0)).toBe(0);
    expect(requestCostUsd({ inputPerMtok: 1_000_000, outputPerMtok: 1_000_000 }, 1e12, 1e12)).toBe(MAX_ROW_COST_USD);
    expect(requestCostUsd(MINI, Number.NaN, 1)).toBeNull();
    expect(requestCostUsd(MINI, Number.POSITIVE_INFINITY, 1)).toBeNull();
  });

  it('converts between USD and nano-dollars without drift: n / 1e9 gives n back', () => {
    for (const n of [0, 1, 37, 38, 150, 999_999_999, 123_456_789_012, 2 ** 50 + 1]) {
      expect(nanoUsd(usdFromNano(n))).toBe(n);
      expect(roundUsd(usdFromNano(n))).toBe(usdFromNano(n));
    }
  });

  it('stores a cost rounded to the nano-dollar and within bounds; not a number: null', () => {
    expect(storableCostUsd(undefined)).toBeNull();
    expect(storableCostUsd(null)).toBeNull();
    expect(storableCostUsd(Number.NaN)).toBeNull();
    expect(storableCostUsd(1.23456789012)).toBe(1.23456789);
    expect(storableCostUsd(-1)).toBe(0);
    expect(storableCostUsd(1e300)).toBe(MAX_ROW_COST_USD);
  });
});
