// Public surface of the limits library.

// IP ranges: parse/normalise what the dashboard stores, and decide per client address.
export { InvalidIpRangeError, IpRules, parseIpRange, parseIpRangeDetailed } from './lib/ip-ranges';
export type { IpRange, IpRulesInput, IpVerdict, Parsed } from './lib/ip-ranges';

// A token's limits combined with its owner's caps; the dashboard's validation of limits.
export {
  effectiveLimits,
  MAX_BUDGET_USD,
  MAX_LIMIT_COUNT,
  MAX_LIST_ENTRIES,
  MAX_MODEL_NAME_LENGTH,
  modelAllowed,
  NO_NUMERIC_LIMITS,
  validateIpRanges,
  validateLimits,
} from './lib/effective-limits';
export type { EffectiveLimits, NumericLimits } from './lib/effective-limits';
