import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { TokenLimits, UsageNow } from '@lmarena-bridge/contracts';
import { NO_LIMITS } from '@lmarena-bridge/contracts';
import { aUsageNow } from '../testing/builders';
import { qa, text } from '../testing/dom';
import { barLevel, limitLines, usageBars } from './usage-bars';
import { UsageBarsComponent } from './usage-bars.component';

const limits = (overrides: Partial<TokenLimits> = {}): TokenLimits => ({ ...NO_LIMITS, ...overrides });

describe('usage bars', () => {
  it('has a bar only for the counted limits that are set, each against its own counter', () => {
    const bars = usageBars(
      limits({ rpm: 600, max_parallel: 4, monthly_tokens: 1_000_000, monthly_budget_usd: 5, allowed_models: ['echo'] }),
      aUsageNow({ minute_requests: 412, minute_tokens: 99, in_flight: 1, day_requests: 7, month_tokens: 250_000, month_cost_usd: 1.234 }),
      'en-US',
    );
    expect(bars.map((b) => [b.key, b.value, b.max, b.text])).toEqual([
      ['rpm', 412, 600, '412 / 600 rpm'],
      ['max_parallel', 1, 4, '1 / 4 in flight'],
      ['monthly_tokens', 250_000, 1_000_000, '250,000 / 1,000,000 tokens this month'],
      ['monthly_budget_usd', 1.234, 5, '$1.23 / $5.00 this month'],
    ]);
    expect(usageBars(NO_LIMITS, aUsageNow({ minute_requests: 5 }))).toEqual([]);
  });

  it('turns warning from 80 % and danger at 100 %', () => {
    expect([barLevel(0, 10), barLevel(7, 10), barLevel(8, 10), barLevel(9, 10), barLevel(10, 10), barLevel(12, 10)]).toEqual([
      'ok',
      'ok',
      'warn',
      'warn',
      'danger',
      'danger',
    ]);
    expect([barLevel(479, 600), barLevel(480, 600), barLevel(599, 600), barLevel(600, 600)]).toEqual(['ok', 'warn', 'warn', 'danger']);
    // A limit of 0 refuses everything: it is always reached.
    expect(barLevel(0, 0)).toBe('danger');
  });

  it('keeps the width and aria value within the limit when a counter passed it', () => {
    const [tokens] = usageBars(limits({ monthly_tokens: 1000 }), aUsageNow({ month_tokens: 1500 }), 'en-US');
    expect(tokens).toMatchObject({ value: 1500, ariaValue: 1000, percent: 100, level: 'danger', text: '1,500 / 1,000 tokens this month' });
    const [zero] = usageBars(limits({ rpm: 0 }), aUsageNow(), 'en-US');
    expect(zero).toMatchObject({ percent: 100, ariaValue: 0, level: 'danger' });
  });

  it('sums up a user’s caps as short lines', () => {
    expect(limitLines(limits({ rpm: 60, daily_requests: 1000, monthly_budget_usd: 20, allowed_ips: ['10.0.0.0/8'], denied_ips: [] }), 'en-US')).toEqual([
      '60 rpm',
      '1,000 requests per day',
      '$20.00 per month',
      'Allowed IPs: 10.0.0.0/8',
    ]);
    expect(limitLines(NO_LIMITS)).toEqual([]);
  });
});

@Component({
  imports: [UsageBarsComponent],
  template: `<lmb-usage-bars [limits]="limits()" [usage]="usage()" />`,
})
class HostComponent {
  readonly limits = signal<TokenLimits>(NO_LIMITS);
  readonly usage = signal<UsageNow>(aUsageNow());
}

describe('UsageBarsComponent', () => {
  it('renders accessible progress bars that follow new figures', async () => {
    const fixture = TestBed.createComponent(HostComponent);
    await fixture.whenStable();
    expect(text(fixture)).toBe('Unlimited');

    fixture.componentInstance.limits.set(limits({ rpm: 600, daily_requests: 250, allowed_models: ['echo', 'gpt-x'] }));
    fixture.componentInstance.usage.set(aUsageNow({ minute_requests: 412, day_requests: 250 }));
    await fixture.whenStable();
    const bars = qa(fixture, '[role=progressbar]');
    expect(
      bars.map((b) => [
        b.getAttribute('aria-label'),
        b.getAttribute('aria-valuemin'),
        b.getAttribute('aria-valuenow'),
        b.getAttribute('aria-valuemax'),
        b.getAttribute('aria-valuetext'),
      ]),
    ).toEqual([
      ['Requests this minute', '0', '412', '600', '412 / 600 rpm'],
      ['Requests today (UTC)', '0', '250', '250', '250 / 250 requests today'],
    ]);
    expect(qa(fixture, '.meter').map((m) => m.className.replace(/\s+/g, ' ').trim())).toEqual(['meter', 'meter meter-danger']);
    expect(qa<HTMLElement>(fixture, '.meter-fill').map((f) => f.style.width)).toEqual([`${(412 / 600) * 100}%`, '100%']);
    expect(text(fixture, '.meter-text')).toBe('412 / 600 rpm');
    expect(text(fixture, '.meter-note')).toBe('Models: echo, gpt-x');

    fixture.componentInstance.usage.set(aUsageNow({ minute_requests: 480, day_requests: 10 }));
    await fixture.whenStable();
    expect(qa(fixture, '.meter').map((m) => m.getAttribute('data-level'))).toEqual(['warn', 'ok']);
  });
});
