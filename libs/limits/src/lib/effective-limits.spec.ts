import { NO_LIMITS, type TokenLimits } from '@lmarena-bridge/contracts';
import { effectiveLimits, modelAllowed } from './effective-limits';
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
