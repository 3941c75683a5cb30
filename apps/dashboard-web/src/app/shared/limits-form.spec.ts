import { TestBed } from '@angular/core/testing';
import { NonNullableFormBuilder } from '@angular/forms';
import type { TokenLimits } from '@lmarena-bridge/contracts';
import { NO_LIMITS } from '@lmarena-bridge/contracts';
import {
  ipList,
  ipRangeProblem,
  limitErrorMessage,
  limitsChanges,
  limitsForCreate,
  limitsForm,
  limitsFromForm,
  LimitsFormValue,
  limitsToForm,
  splitList,
} from './limits-form';

const limits = (overrides: Partial<TokenLimits> = {}): TokenLimits => ({ ...NO_LIMITS, ...overrides });
const emptyForm = (): LimitsFormValue => limitsToForm(NO_LIMITS);

describe('limits form', () => {
  let fb: NonNullableFormBuilder;
  beforeEach(() => (fb = TestBed.inject(NonNullableFormBuilder)));

  it('shows stored limits in the fields and reads them back unchanged', () => {
    const stored = limits({
      rpm: 600,
      monthly_budget_usd: 12.5,
      allowed_models: ['echo', 'gpt-x'],
      allowed_ips: ['10.0.0.0/8', '2001:db8::/32'],
      denied_ips: [],
    });
    const form = limitsToForm(stored);
    expect(form).toMatchObject({ rpm: '600', tpm: '', monthly_budget_usd: '12.5', allowed_models: 'echo, gpt-x', allowed_ips: '10.0.0.0/8\n2001:db8::/32' });
    // An empty denied list and null both mean "none": the form cannot tell them apart.
    expect(limitsFromForm(form)).toEqual({ ...stored, denied_ips: null });
    expect(limitsChanges(stored, form)).toEqual({ denied_ips: null });
    expect(limitsChanges({ ...stored, denied_ips: null }, form)).toBeUndefined();
  });

  it('splits lists on lines and commas, trims them and drops blanks', () => {
    expect(splitList(' a, b\n\n c ,\n')).toEqual(['a', 'b', 'c']);
    expect(limitsFromForm({ ...emptyForm(), allowed_models: ' , ', allowed_ips: '\n \n' })).toEqual(NO_LIMITS);
  });

  describe('a new token', () => {
    it('sends only the limits that are set, numbers as numbers', () => {
      expect(limitsForCreate(emptyForm())).toBeUndefined();
      expect(
        limitsForCreate({
          ...emptyForm(),
          rpm: ' 5 ',
          max_parallel: '0',
          monthly_budget_usd: '2.50',
          allowed_models: 'echo',
          denied_ips: '192.0.2.1\n2001:db8::/48',
        }),
      ).toEqual({ rpm: 5, max_parallel: 0, monthly_budget_usd: 2.5, allowed_models: ['echo'], denied_ips: ['192.0.2.1', '2001:db8::/48'] });
    });
  });

  describe('an edit', () => {
    const before = limits({ rpm: 60, tpm: 1000, allowed_models: ['echo'], allowed_ips: ['10.0.0.0/8'] });

    it('sends nothing when nothing changed', () => {
      expect(limitsChanges(before, limitsToForm(before))).toBeUndefined();
      // Spelling of an equal number does not count as a change.
      expect(limitsChanges(before, { ...limitsToForm(before), rpm: ' 60 ' })).toBeUndefined();
    });

    it('sends only the changed fields, and null for a cleared one', () => {
      const form = { ...limitsToForm(before), rpm: '120', tpm: '', daily_requests: '250', allowed_models: 'echo, gpt-x', allowed_ips: '' };
      expect(limitsChanges(before, form)).toEqual({ rpm: 120, tpm: null, daily_requests: 250, allowed_models: ['echo', 'gpt-x'], allowed_ips: null });
    });

    it('treats a reordered list as a change (the server keeps the order given)', () => {
      const two = limits({ allowed_models: ['a', 'b'] });
      expect(limitsChanges(two, { ...limitsToForm(two), allowed_models: 'b, a' })).toEqual({ allowed_models: ['b', 'a'] });
    });
  });

  describe('validation, as the server checks', () => {
    const errorOf = (key: keyof LimitsFormValue, value: string) => {
      const form = limitsForm(fb);
      form.controls[key].setValue(value);
      return limitErrorMessage(form.controls[key].errors);
    };

    it.each(['0', '5', '1000000000000', ''])('takes %p as a count', (v) => {
      expect(errorOf('daily_requests', v)).toBeNull();
    });

    it('refuses 0 for rpm, tpm and max_parallel, as the server does', () => {
      for (const key of ['rpm', 'tpm', 'max_parallel'] as const) {
        expect(errorOf(key, '0')).toBe('At least 1 (to stop a token altogether, revoke it).');
        expect(errorOf(key, '1')).toBeNull();
      }
    });

    it.each(['-1', '1.5', '5k', '1e3', '0x10'])('refuses %p as a count', (v) => {
      expect(errorOf('tpm', v)).toBe('Enter a whole number (0 or more), or leave it empty for no limit.');
    });

    it('refuses counts above the server bound', () => {
      expect(errorOf('daily_requests', '1000000000001')).toBe('At most 1,000,000,000,000.');
    });

    it.each(['0', '5', '12.50', '.5', '1000000'])('takes %p as a budget', (v) => {
      expect(errorOf('monthly_budget_usd', v)).toBeNull();
    });

    it.each(['-1', '$5', '1,5', 'ten'])('refuses %p as a budget', (v) => {
      expect(errorOf('monthly_budget_usd', v)).toBe('Enter an amount in USD such as 5 or 12.50, or leave it empty for no budget.');
    });

    it('refuses a budget above the server bound', () => {
      expect(errorOf('monthly_budget_usd', '1000000.01')).toBe('At most 1,000,000.');
    });

    it('bounds the model list and each name', () => {
      expect(errorOf('allowed_models', Array.from({ length: 201 }, (_, i) => `m${i}`).join(','))).toBe('At most 200 entries.');
      expect(errorOf('allowed_models', `echo, ${'x'.repeat(201)}`)).toBe('A model name has at most 200 characters.');
      expect(errorOf('allowed_models', `echo, ${'x'.repeat(200)}`)).toBeNull();
    });

    it('names the first entry of an IP list that is not an address or range', () => {
      expect(errorOf('allowed_ips', '10.0.0.0/8\n10.0.0.300')).toBe('“10.0.0.300” is not an IPv4 or IPv6 address or CIDR range.');
      expect(errorOf('denied_ips', '192.0.2.0/33')).toBe('“192.0.2.0/33”: the prefix length must be a whole number from 0 to 32.');
      expect(errorOf('denied_ips', '192.0.2.0/24\n2001:db8::/48')).toBeNull();
    });
  });

  describe('IP ranges', () => {
    // The server's parser (libs/limits parseIpRange) answers the same for each of these.
    it.each([
      '192.0.2.1',
      '10.0.0.0/8',
      '0.0.0.0/0',
      '::1',
      '2001:db8::/32',
      '::/0',
      '::ffff:192.0.2.1',
      'fe80::1:2:3:4/128',
      'FE80::1',
      '1:2:3:4:5:6:1.2.3.4',
    ])('takes %p', (entry) => {
      expect(ipRangeProblem(entry)).toBeNull();
    });

    it.each([
      'localhost',
      '1.2.3',
      '256.1.1.1',
      '10.0.0.0/',
      '10.0.0.0/x',
      '2001:db8::/129',
      '2001:db8:::1',
      '[::1]',
      'fe80::1%eth0',
      '1.2.3.4:80',
      '010.0.0.1',
      '10.0.0.1/08',
    ])('refuses %p', (entry) => {
      expect(ipRangeProblem(entry)).not.toBeNull();
    });

    it('bounds the number of entries', () => {
      const control = fb.control(['192.0.2.1', '192.0.2.2', '192.0.2.3'].join('\n'), ipList(2));
      expect(control.errors).toEqual({ tooMany: { max: 2 } });
    });
  });
});
