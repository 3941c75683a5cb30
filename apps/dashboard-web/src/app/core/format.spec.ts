import { HttpErrorResponse } from '@angular/common/http';
import { formatCount, formatDateTime, formatDay, formatMs, formatNumber, formatPercent, formatUsd, latencyWhenAny, modelLabel, successRatio } from './format';
import { describeHttpError } from './http-error';

describe('formatting (Intl, pinned to en-US here)', () => {
  it('formats numbers, durations and percentages', () => {
    expect(formatNumber(1234567, 'en-US')).toBe('1,234,567');
    expect(formatNumber(1234567, 'de-DE')).toBe('1.234.567');
    expect(formatNumber(null)).toBe('—');
    expect(formatMs(840.4, 'en-US')).toBe('840 ms');
    expect(formatMs(1234, 'en-US')).toBe('1.2 sec');
    expect(formatPercent(0.9876, 'en-US')).toBe('98.8%');
    expect(formatPercent(null)).toBe('—');
  });

  it('formats USD: cents from a dollar up, three significant digits below, down to the nano-dollar', () => {
    expect([0, 0.0123, 0.012345, 0.5, 0.1, 0.999, 1, 12.345, 1234.5, 0.000000038, 0.000045, 1e-9].map((n) => formatUsd(n, 'en-US'))).toEqual([
      '$0.00',
      '$0.0123',
      '$0.0123',
      '$0.50',
      '$0.10',
      '$0.999',
      '$1.00',
      '$12.35',
      '$1,234.50',
      '$0.000000038',
      '$0.000045',
      '$0.000000001',
    ]);
    expect(formatUsd(null)).toBe('—');
    expect(formatUsd(undefined)).toBe('—');
    expect(formatUsd(0.0123, 'de-DE')).toMatch(/^0,0123\s\$$/);
  });

  it('formats timestamps in the local time zone and API days as UTC days', () => {
    expect(formatDateTime('2026-11-24T17:36:46.000Z', 'en-US')).toMatch(/Nov 2[45], 2026/);
    expect(formatDateTime(null)).toBe('—');
    expect(formatDay('2026-11-24', 'en-US')).toBe('Nov 24');
  });

  it('counts with the right plural', () => {
    expect(formatCount(1, 'error', 'errors', 'en-US')).toBe('1 error');
    expect(formatCount(0, 'error', 'errors', 'en-US')).toBe('0 errors');
    expect(formatCount(1234, 'request', 'requests', 'en-US')).toBe('1,234 requests');
  });

  it('labels a missing model and hides response times of empty ranges', () => {
    expect(modelLabel('')).toBe('(no model)');
    expect(modelLabel('gpt-4o')).toBe('gpt-4o');
    expect(formatMs(latencyWhenAny(0, 0))).toBe('—');
    expect(formatMs(latencyWhenAny(840, 3), 'en-US')).toBe('840 ms');
  });

  it('computes a success ratio only when there were requests', () => {
    expect(successRatio(3, 4)).toBe(0.75);
    expect(successRatio(0, 0)).toBeNull();
  });
});

describe('describeHttpError', () => {
  const error = (status: number, body: unknown, url = '/api/x') => new HttpErrorResponse({ status, error: body, url });

  it("shows the API's validation messages", () => {
    expect(
      describeHttpError(error(400, { statusCode: 400, error: 'Bad Request', message: ['name must be shorter', 'expires_at must be in the future'] })),
    ).toBe('Name must be shorter. Expires_at must be in the future.');
    expect(describeHttpError(error(409, { statusCode: 409, message: 'The first user already exists; sign in instead.' }))).toBe(
      'The first user already exists; sign in instead.',
    );
  });

  it('explains network failures, missing usage API and server errors', () => {
    expect(describeHttpError(error(0, null))).toContain('could not be reached');
    expect(describeHttpError(error(404, null, '/api/usage/summary?days=30'))).toContain('does not offer usage analytics');
    expect(describeHttpError(error(502, 'Bad gateway'))).toContain('HTTP 502');
  });
});
