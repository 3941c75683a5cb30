import type { ModelPrice } from '@lmarena-bridge/config';

/**
 * Money in usage is counted in whole nano-dollars (1e-9 USD).
 *
 * Each request's cost is rounded to the nano-dollar once, when its row is made; the row keeps
 * that value (`usage_logs.cost_usd`, a double that holds `nanos / 1e9` exactly enough to give
 * the same integer back) and the daily rollup adds the integers (`usage_daily.cost_nano_usd`,
 * a 64-bit integer). Integer sums are exact and do not depend on the order of the additions,
 * so SQLite and PostgreSQL, the summary and a brute-force sum of the raw rows, the limits'
 * counters and the database all agree to the nano-dollar. Summing the doubles instead would
 * not: float addition is not associative, each engine sums in its own order, and a price such
 * as $0.0375 per million tokens puts many costs exactly on a half nano-dollar, where a 1e-17
 * difference decides which way the rounding goes.
 *
 * A nano-dollar is far below anything a price list bills (a token of the cheapest models costs
 * tens of nano-dollars), and answers are exact up to 2^53 nano-dollars (about $9 million) per
 * figure, past which a JavaScript number can no longer hold every integer.
 */
export const NANO_USD_PER_USD = 1e9;

/** Largest cost one row may carry; a higher one (absurd token counts) is stored as this. Keeps every rollup sum far inside 64 bits. */
export const MAX_ROW_COST_USD = 1_000_000;

/** USD as a whole number of nano-dollars. */
export function nanoUsd(usd: number): number {
  return Math.round(usd * NANO_USD_PER_USD);
}

/** Whole nano-dollars as USD: the double nearest to the exact decimal value. */
export function usdFromNano(nano: number): number {
  return nano / NANO_USD_PER_USD;
}

/** A cost rounded to the nano-dollar, as every answer carries it. */
export function roundUsd(usd: number): number {
  return usdFromNano(nanoUsd(usd));
}

/**
 * What a request costs at `price` (USD per million tokens), in whole nano-dollars; null when
 * the model has no price, or the request has no token counts at all (refused, or failed
 * before the upstream reported usage). One count missing counts as 0 tokens.
 */
export function requestCostNanoUsd(price: ModelPrice | null, promptTokens: number | null, completionTokens: number | null): number | null {
  if (!price || (promptTokens === null && completionTokens === null)) return null;
  // tokens x USD per million tokens = micro-dollars; x 1,000 = nano-dollars.
  const micro = (promptTokens ?? 0) * price.inputPerMtok + (completionTokens ?? 0) * price.outputPerMtok;
  const nano = Math.round(micro * 1000);
  return Number.isFinite(nano) ? Math.min(Math.max(0, nano), nanoUsd(MAX_ROW_COST_USD)) : null;
}

/** The same cost in USD (nano-dollar precision): `(prompt x input + completion x output) / 1e6`. */
export function requestCostUsd(price: ModelPrice | null, promptTokens: number | null, completionTokens: number | null): number | null {
  const nano = requestCostNanoUsd(price, promptTokens, completionTokens);
  return nano === null ? null : usdFromNano(nano);
}

/** A row's cost as stored: rounded to the nano-dollar, within [0, MAX_ROW_COST_USD]; null when absent or not a number. */
export function storableCostUsd(cost: number | null | undefined): number | null {
  if (cost === null || cost === undefined || !Number.isFinite(cost)) return null;
  return roundUsd(Math.min(MAX_ROW_COST_USD, Math.max(0, cost)));
}
