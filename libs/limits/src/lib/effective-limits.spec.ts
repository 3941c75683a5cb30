import { NO_LIMITS, type TokenLimits } from '@lmarena-bridge/contracts';
import { effectiveLimits, MAX_BUDGET_USD, MAX_LIMIT_COUNT, modelAllowed, validateIpRanges, validateLimits } from './effective-limits';
import { InvalidIpRangeError } from './ip-ranges';

const limits = (l: Partial<TokenLimits>): TokenLimits => ({ ...NO_LIMITS, ...l });

describe('effectiveLimits', () => {
  it('without limits or caps: nothing counted, every model, every address', () => {
    const e = effectiveLimits(NO_LIMITS, NO_LIMITS);
    expect(e.counted).toBe(false);
    expect(e.numeric).toEqual({ rpm: null, tpm: null, maxParallel: null, dailyRequests: null, monthlyTokens: null, monthlyBudgetUsd: null });
    expect(e.allowedModels).toBeNull();
    expect(e.ipRules.unrestricted).toBe(true);
    expect(effectiveLimits(null, undefined).counted).toBe(false);
  });

  it('takes the smaller number per field, and a number over null', () => {
    const e = effectiveLimits(
      limits({ rpm: 60, tpm: null, max_parallel: 4, daily_requests: 100, monthly_tokens: null, monthly_budget_usd: 5 }),
      limits({ rpm: 30, tpm: 1000, max_parallel: 8, daily_requests: null, monthly_tokens: 0, monthly_budget_usd: 2.5 }),
    );
    expect(e.numeric).toEqual({ rpm: 30, tpm: 1000, maxParallel: 4, dailyRequests: 100, monthlyTokens: 0, monthlyBudgetUsd: 2.5 });
    expect(e.counted).toBe(true);
  });

  it('intersects the model lists; one list alone is kept', () => {
    expect([...(effectiveLimits(limits({ allowed_models: ['a', 'b', 'c'] }), limits({ allowed_models: ['c', 'b', 'z'] })).allowedModels ?? [])]).toEqual([
      'b',
      'c',
    ]);
    const tokenOnly = effectiveLimits(limits({ allowed_models: ['a'] }), NO_LIMITS);
    expect(modelAllowed(tokenOnly, 'a')).toBe(true);
    expect(modelAllowed(tokenOnly, 'b')).toBe(false);
    const capOnly = effectiveLimits(NO_LIMITS, limits({ allowed_models: ['b'] }));
    expect(modelAllowed(capOnly, 'b')).toBe(true);
    expect(modelAllowed(capOnly, 'a')).toBe(false);
    const disjoint = effectiveLimits(limits({ allowed_models: ['a'] }), limits({ allowed_models: ['b'] }));
    expect(modelAllowed(disjoint, 'a')).toBe(false);
    expect(modelAllowed(disjoint, 'b')).toBe(false);
    expect(modelAllowed(effectiveLimits(NO_LIMITS), 'anything')).toBe(true);
  });

  it('an address must be in both allow lists and in no deny list (token, owner, proxy-wide)', () => {
    const e = effectiveLimits(
      limits({ allowed_ips: ['10.0.0.0/8'], denied_ips: ['10.0.0.1'] }),
      limits({ allowed_ips: ['10.1.0.0/16', '2001:db8::/32'], denied_ips: ['10.1.0.2'] }),
      ['10.1.0.3'],
    );
    expect(e.ipRules.check('10.1.0.9')).toBe('ok');
    expect(e.ipRules.check('10.2.0.9')).toBe('not_allowed');
    expect(e.ipRules.check('2001:db8::1')).toBe('not_allowed');
    expect(e.ipRules.check('10.0.0.1')).toBe('denied');
    expect(e.ipRules.check('10.1.0.2')).toBe('denied');
    expect(e.ipRules.check('10.1.0.3')).toBe('denied');
    // Only IP rules: nothing counted.
    expect(e.counted).toBe(false);
  });

  it('throws on a stored range that does not parse', () => {
    expect(() => effectiveLimits(limits({ denied_ips: ['bad'] }))).toThrow(InvalidIpRangeError);
  });
});

describe('validateLimits', () => {
  it('accepts a full, valid set and normalises lists', () => {
    expect(
      validateLimits({
        rpm: 60,
        tpm: 0,
        max_parallel: null,
        daily_requests: 250,
        monthly_tokens: MAX_LIMIT_COUNT,
        monthly_budget_usd: 12.5,
        allowed_models: [' gpt-4o ', 'gpt-4o', 'claude'],
        allowed_ips: ['10.1.2.3/8', '::ffff:1.2.3.4', '10.0.0.0/8'],
        denied_ips: [],
      }),
    ).toEqual({
      ok: true,
      value: {
        rpm: 60,
        tpm: 0,
        max_parallel: null,
        daily_requests: 250,
        monthly_tokens: MAX_LIMIT_COUNT,
        monthly_budget_usd: 12.5,
        allowed_models: ['gpt-4o', 'claude'],
        allowed_ips: ['10.0.0.0/8', '1.2.3.4'],
        denied_ips: [],
      },
    });
  });

  it('leaves out what is left out', () => {
    expect(validateLimits({})).toEqual({ ok: true, value: {} });
    expect(validateLimits({ rpm: null })).toEqual({ ok: true, value: { rpm: null } });
  });

  it.each([
    [null, /^expected an object$/],
    [[], /^expected an object$/],
    ['rpm=5', /^expected an object$/],
    [{ rpm: 5, burst: 2 }, /^burst: unknown key/],
    [{ rpm: -1 }, /^rpm: expected a whole number/],
    [{ rpm: 1.5 }, /^rpm: expected a whole number/],
    [{ rpm: '60' }, /^rpm: expected a whole number/],
    [{ tpm: Number.NaN }, /^tpm: expected a whole number/],
    [{ max_parallel: Infinity }, /^max_parallel: expected a whole number/],
    [{ daily_requests: MAX_LIMIT_COUNT + 1 }, /^daily_requests: expected a whole number/],
    [{ monthly_tokens: true }, /^monthly_tokens: expected a whole number/],
    [{ monthly_budget_usd: -0.01 }, /^monthly_budget_usd: expected a number of USD/],
    [{ monthly_budget_usd: Infinity }, /^monthly_budget_usd: expected a number of USD/],
    [{ monthly_budget_usd: MAX_BUDGET_USD + 1 }, /^monthly_budget_usd: expected a number of USD/],
    [{ monthly_budget_usd: '5' }, /^monthly_budget_usd: expected a number of USD/],
    [{ allowed_models: 'gpt-4o' }, /^allowed_models: expected an array/],
    [{ allowed_models: [] }, /^allowed_models: an empty list would allow nothing/],
    [{ allowed_ips: [] }, /^allowed_ips: an empty list would allow nothing/],
    [{ allowed_models: ['a', ''] }, /^allowed_models\[1\]: expected a non-empty string/],
    [{ allowed_models: ['  '] }, /^allowed_models\[0\]: expected a non-empty string/],
    [{ allowed_models: [5] }, /^allowed_models\[0\]: expected a non-empty string/],
    [{ allowed_models: ['x'.repeat(201)] }, /^allowed_models\[0\]: longer than 200/],
    [{ allowed_models: Array.from({ length: 201 }, (_, i) => `m${i}`) }, /^allowed_models: at most 200 entries/],
    [{ allowed_ips: ['10.0.0.0/8', '10.0.0.0/33'] }, /^allowed_ips\[1\]: "10.0.0.0\/33": the prefix length/],
    [{ denied_ips: ['example.com'] }, /^denied_ips\[0\]: "example.com" is not an IPv4 or IPv6/],
  ])('refuses %j', (input, message) => {
    const result = validateLimits(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('accepts exactly 200 entries and the largest budget', () => {
    const models = Array.from({ length: 200 }, (_, i) => `m${i}`);
    expect(validateLimits({ allowed_models: models, monthly_budget_usd: MAX_BUDGET_USD })).toEqual({
      ok: true,
      value: { allowed_models: models, monthly_budget_usd: MAX_BUDGET_USD },
    });
  });
});

describe('validateIpRanges', () => {
  it('normalises and deduplicates', () => {
    expect(validateIpRanges(['1.2.3.4/32', '1.2.3.4', '2001:DB8::/32', ' 10.9.9.9/8 '])).toEqual({
      ok: true,
      value: ['1.2.3.4', '2001:db8::/32', '10.0.0.0/8'],
    });
    expect(validateIpRanges([])).toEqual({ ok: true, value: [] });
  });

  it('refuses what is not a list of ranges', () => {
    expect(validateIpRanges('1.2.3.4')).toEqual({ ok: false, message: 'ranges: expected an array of strings' });
    expect(validateIpRanges([1])).toEqual({ ok: false, message: 'ranges[0]: expected a string' });
    expect(validateIpRanges(['1.2.3.4', 'x'])).toMatchObject({ ok: false, message: expect.stringMatching(/^ranges\[1\]: "x" is not/) });
    expect(validateIpRanges(['1.1.1.1', '2.2.2.2'], 1)).toEqual({ ok: false, message: 'ranges: at most 1 entries' });
  });
});
