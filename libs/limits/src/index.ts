// Public surface of the limits library: see README.md for the pieces and how the proxy wires them.

// IP ranges: parse/normalise what the dashboard stores, and decide per client address.
export { InvalidIpRangeError, IpRules, parseIpRange, parseIpRangeDetailed } from './lib/ip-ranges';
export type { IpRange, IpRulesInput, IpVerdict, Parsed } from './lib/ip-ranges';

// A token's limits combined with its owner's caps.
// (Limits are validated where they are stored: libs/auth's limits-rules.)
export { effectiveLimits, modelAllowed, NO_NUMERIC_LIMITS } from './lib/effective-limits';
export type { EffectiveLimits, NumericLimits } from './lib/effective-limits';

// The counters: one semantics (LimitStore), in memory, on Redis, and Redis with a memory fallback.
export { CounterSeedError, DAY_MS, EMPTY_SEED, NANO_PER_USD, openAiDuration, RATE_REFUSALS, rateLimitHeaders } from './lib/limit-store';
export type {
  ActualUsage,
  Admission,
  AdmitInput,
  CounterSeed,
  Lease,
  LimitsLogger,
  LimitStore,
  RateLimitState,
  RateLimitWindow,
  Refusal,
  SeedCounters,
  UsageNowNumbers,
} from './lib/limit-store';
export { MemoryLimitStore } from './lib/memory-limit-store';
export type { MemoryLimitStoreOptions } from './lib/memory-limit-store';
export { createLimitsRedis, RedisLimitStore, RedisTimeoutError } from './lib/redis-limit-store';
export type { CounterDelta, RedisLimitStoreOptions } from './lib/redis-limit-store';
export { ResilientLimitStore } from './lib/resilient-limit-store';
export type { ResilientLimitStoreOptions } from './lib/resilient-limit-store';

// "Tokens, users, limits or the deny list changed", to every proxy instance.
export { NoAuthEvents, RedisAuthEvents } from './lib/auth-events';
export type { AuthEvents, RedisAuthEventsOptions } from './lib/auth-events';
