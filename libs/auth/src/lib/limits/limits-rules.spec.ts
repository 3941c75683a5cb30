import { NO_LIMITS } from '@lmarena-bridge/contracts';
import type { TokenLimits } from '@lmarena-bridge/contracts';
import { BadRequestException } from '@nestjs/common';
import {
  applyLimitsChange,
  decodeLimits,
  encodeLimits,
  LIMIT_FIELDS,
  limitProblem,
  MAX_LIMIT_COUNT,
  normalizeLimitsInput,
  normalizeRanges,
  setLimits,
} from './limits-rules';

const limits = (overrides: Partial<TokenLimits> = {}): TokenLimits => ({ ...NO_LIMITS, ...overrides });

/** The messages of the 400 that `fn` throws. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof BadRequestException) return (err.getResponse() as { message: string[] }).message;
    throw err;
  }
  throw new Error('expected a 400');
}

describe('limit rules', () => {
  it('know every field of the contract, in its order', () => {
    expect(LIMIT_FIELDS).toEqual([
      'rpm',
      'tpm',
      'max_parallel',
      'daily_requests',
      'monthly_tokens',
      'monthly_budget_usd',
      'allowed_models',
      'allowed_ips',
      'denied_ips',
    ]);
  });

  describe('limitProblem', () => {
    it.each(LIMIT_FIELDS)('accepts null and a left-out %s', (field) => {
      expect(limitProblem(field, null)).toBeNull();
      expect(limitProblem(field, undefined)).toBeNull();
    });

    it.each([
      ['rpm', 1],
      ['tpm', 250_000],
      ['max_parallel', MAX_LIMIT_COUNT],
      ['daily_requests', 0],
      ['monthly_tokens', 0],
      ['monthly_budget_usd', 0],
      ['monthly_budget_usd', 12.5],
      ['allowed_models', []],
      ['allowed_models', ['gpt-4o', 'claude 3']],
      ['allowed_ips', ['10.0.0.0/8', '::1']],
      ['denied_ips', []],
    ] as const)('accepts %s = %p', (field, value) => {
      expect(limitProblem(field, value)).toBeNull();
    });

    it.each([
      ['rpm', 0, ' must be null or a whole number from 1 to 1000000000000'],
      ['tpm', -5, ' must be null or a whole number from 1 to 1000000000000'],
      ['max_parallel', 1.5, ' must be null or a whole number from 1 to 1000000000000'],
      ['rpm', '60', ' must be null or a whole number from 1 to 1000000000000'],
      ['rpm', 10 ** 12 + 1, ' must be null or a whole number from 1 to 1000000000000'],
      ['daily_requests', -1, ' must be null or a whole number from 0 to 1000000000000'],
      ['monthly_tokens', true, ' must be null or a whole number from 0 to 1000000000000'],
      ['monthly_budget_usd', -0.01, ' must be null or a number of US dollars from 0 to 1000000'],
      ['monthly_budget_usd', Infinity, ' must be null or a number of US dollars from 0 to 1000000'],
      ['monthly_budget_usd', NaN, ' must be null or a number of US dollars from 0 to 1000000'],
      ['monthly_budget_usd', '5', ' must be null or a number of US dollars from 0 to 1000000'],
      ['allowed_models', 'gpt-4o', ' must be null or a list of model names'],
      ['allowed_models', ['ok', ''], '[1] must be a model name: a non-blank string of at most 200 characters'],
      ['allowed_models', ['  '], '[0] must be a model name: a non-blank string of at most 200 characters'],
      ['allowed_models', [7], '[0] must be a model name: a non-blank string of at most 200 characters'],
      ['allowed_models', ['m'.repeat(201)], '[0] must be a model name: a non-blank string of at most 200 characters'],
      ['allowed_models', Array(201).fill('m'), ' must hold at most 200 entries'],
      ['allowed_ips', { '0': '1.2.3.4' }, ' must be null or a list of IP addresses or CIDR ranges'],
      ['allowed_ips', ['1.2.3.4', '10.0.0.300'], '[1]: "10.0.0.300" is not an IPv4 or IPv6 address or CIDR range'],
      ['denied_ips', ['10.0.0.0/33'], '[0]: "10.0.0.0/33": the prefix length must be a whole number from 0 to 32'],
      ['denied_ips', [null], '[0] must be an IP address or CIDR range (a string)'],
    ] as const)('refuses %s = %p', (field, value, problem) => {
      expect(limitProblem(field, value)).toBe(problem);
    });
  });

  describe('normalizeLimitsInput', () => {
    it('keeps exactly the fields given, nulls included, and canonicalises lists', () => {
      expect(
        normalizeLimitsInput({
          rpm: 60,
          tpm: null,
          allowed_models: ['b', 'a', 'b'],
          allowed_ips: ['10.1.2.3/8', '10.0.0.0/8', '::FFFF:1.2.3.4', '2001:DB8::1'],
          denied_ips: [],
        }),
      ).toEqual({ rpm: 60, tpm: null, allowed_models: ['b', 'a'], allowed_ips: ['10.0.0.0/8', '1.2.3.4', '2001:db8::1'], denied_ips: [] });
    });

    it('answers an empty object with no change', () => {
      expect(normalizeLimitsInput({})).toEqual({});
    });

    it('reports every problem at once, each naming its field under the path', () => {
      expect(problemsOf(() => normalizeLimitsInput({ rpm: 0, monthly_budget_usd: -1, burst: 5, allowed_ips: ['x'] }, 'caps'))).toEqual([
        'caps.rpm must be null or a whole number from 1 to 1000000000000',
        'caps.monthly_budget_usd must be null or a number of US dollars from 0 to 1000000',
        'caps.burst is not a limit (rpm, tpm, max_parallel, daily_requests, monthly_tokens, monthly_budget_usd, allowed_models, allowed_ips, denied_ips)',
        'caps.allowed_ips[0]: "x" is not an IPv4 or IPv6 address or CIDR range',
      ]);
    });

    it.each([
      ['a string', 'rpm=5'],
      ['an array', [5]],
      ['null', null],
      ['a number', 5],
    ])('refuses %s', (_label, value) => {
      expect(problemsOf(() => normalizeLimitsInput(value))).toEqual(['limits must be an object']);
    });
  });

  describe('normalizeRanges', () => {
    it('canonicalises and deduplicates, keeping the first occurrence in place', () => {
      expect(normalizeRanges(['192.0.2.7/24', '2001:DB8::/32', '192.0.2.0/24', '::ffff:198.51.100.1'])).toEqual([
        '192.0.2.0/24',
        '2001:db8::/32',
        '198.51.100.1',
      ]);
    });

    it('names the bad entry', () => {
      expect(problemsOf(() => normalizeRanges(['10.0.0.0/8', 'nope']))).toEqual(['ranges[1]: "nope" is not an IPv4 or IPv6 address or CIDR range']);
      expect(problemsOf(() => normalizeRanges('10.0.0.0/8'))).toEqual(['ranges must be null or a list of IP addresses or CIDR ranges']);
    });
  });

  describe('applyLimitsChange', () => {
    const current = limits({ rpm: 60, daily_requests: 100, allowed_models: ['echo'] });

    it('keeps fields left out, replaces fields given, lifts fields given as null', () => {
      expect(applyLimitsChange(current, { rpm: 120, daily_requests: null })).toEqual(limits({ rpm: 120, allowed_models: ['echo'] }));
    });

    it('changes nothing for undefined and lifts everything for null', () => {
      expect(applyLimitsChange(current, undefined)).toBe(current);
      expect(applyLimitsChange(current, null)).toEqual(NO_LIMITS);
    });

    it('never changes its input', () => {
      applyLimitsChange(current, { rpm: 1 });
      expect(current.rpm).toBe(60);
    });
  });

  describe('stored form', () => {
    it('stores only the fields that are set, NULL when none is', () => {
      expect(encodeLimits(NO_LIMITS)).toBeNull();
      expect(encodeLimits(limits({ denied_ips: ['10.0.0.0/8'], rpm: 5 }))).toBe('{"rpm":5,"denied_ips":["10.0.0.0/8"]}');
      expect(setLimits(limits({ monthly_budget_usd: 0 }))).toEqual({ monthly_budget_usd: 0 });
    });

    it('reads back what it stored', () => {
      const all = limits({
        rpm: 1,
        tpm: 2,
        max_parallel: 3,
        daily_requests: 0,
        monthly_tokens: 5,
        monthly_budget_usd: 6.25,
        allowed_models: ['a'],
        allowed_ips: ['::1'],
        denied_ips: [],
      });
      expect(decodeLimits(encodeLimits(all))).toEqual(all);
      expect(decodeLimits(null)).toEqual(NO_LIMITS);
    });

    it('fails on a stored value it cannot read, rather than reading it as no limits', () => {
      expect(() => decodeLimits('{rpm', 'api_tokens 3')).toThrow('api_tokens 3: the stored limits are not JSON');
      expect(() => decodeLimits('[1]', 'api_tokens 3')).toThrow('api_tokens 3: the stored limits are not a JSON object');
      expect(() => decodeLimits('{"rpm":-1}', 'api_tokens 3')).toThrow('api_tokens 3: the stored rpm must be null or a whole number');
    });
  });
});
