// Public surface of the limits library.

// IP ranges: parse/normalise what the dashboard stores, and decide per client address.
export { InvalidIpRangeError, IpRules, parseIpRange, parseIpRangeDetailed } from './lib/ip-ranges';
export type { IpRange, IpRulesInput, IpVerdict, Parsed } from './lib/ip-ranges';
