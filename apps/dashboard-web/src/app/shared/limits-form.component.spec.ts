import { Component, inject, signal } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { NonNullableFormBuilder } from '@angular/forms';
import { NO_LIMITS } from '@lmarena-bridge/contracts';
import { q, qa, text, type } from '../testing/dom';
import { limitsForm, limitsToForm } from './limits-form';
import { LimitsFormComponent } from './limits-form.component';

@Component({
  imports: [LimitsFormComponent],
  template: `
    <lmb-limits-form [group]="a" idPrefix="a" [submitted]="submitted()" note="Caps apply on top." />
    <lmb-limits-form [group]="b" idPrefix="b" legend="Caps" />
  `,
})
class HostComponent {
  private readonly fb = inject(NonNullableFormBuilder);
  readonly a = limitsForm(this.fb);
  readonly b = limitsForm(this.fb, { ...NO_LIMITS, rpm: 60, allowed_ips: ['10.0.0.0/8', '192.0.2.1'] });
  readonly submitted = signal(false);
}

describe('LimitsFormComponent', () => {
  let fixture: ComponentFixture<HostComponent>;
  let host: HostComponent;

  beforeEach(async () => {
    fixture = TestBed.createComponent(HostComponent);
    host = fixture.componentInstance;
    await fixture.whenStable();
  });

  it('labels every field, with ids unique to each form on the page', () => {
    const labels = qa<HTMLLabelElement>(fixture, 'lmb-limits-form:first-of-type label').map((l) => [l.textContent?.trim(), l.htmlFor]);
    expect(labels).toEqual([
      ['Requests per minute', 'a-rpm'],
      ['Tokens per minute', 'a-tpm'],
      ['Max parallel requests', 'a-max-parallel'],
      ['Requests per day', 'a-daily-requests'],
      ['Tokens per month', 'a-monthly-tokens'],
      ['Monthly budget (USD)', 'a-monthly-budget-usd'],
      ['Allowed models', 'a-allowed-models'],
      ['Allowed IPs', 'a-allowed-ips'],
      ['Denied IPs', 'a-denied-ips'],
    ]);
    const ids = qa(fixture, '[id]').map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(text(fixture, 'lmb-limits-form:first-of-type legend')).toBe('Limits');
    expect(text(fixture, 'lmb-limits-form:last-of-type legend')).toBe('Caps');
    expect(text(fixture, 'lmb-limits-form:first-of-type fieldset > .field-help')).toContain('Caps apply on top. Leave a field empty for no limit');
  });

  it('shows the group’s values: numbers as typed, IP ranges one per line', () => {
    expect(q<HTMLInputElement>(fixture, '#b-rpm').value).toBe('60');
    expect(q<HTMLTextAreaElement>(fixture, '#b-allowed-ips').value).toBe('10.0.0.0/8\n192.0.2.1');
    expect(q<HTMLInputElement>(fixture, '#b-tpm').value).toBe('');
  });

  it('shows a field’s error in place of its help once it is left', async () => {
    type(fixture, '#a-rpm', '1.5');
    await fixture.whenStable();
    expect(q(fixture, '#a-rpm').getAttribute('aria-invalid')).toBe('true');
    expect(text(fixture, '#a-rpm-help')).toBe('Enter a whole number (0 or more), or leave it empty for no limit.');
    expect(host.a.controls.rpm.value).toBe('1.5');

    type(fixture, '#a-rpm', '15');
    await fixture.whenStable();
    expect(q(fixture, '#a-rpm').getAttribute('aria-invalid')).toBe('false');
    expect(text(fixture, '#a-rpm-help')).toContain('rpm;');
  });

  it('shows untouched errors after a submit', async () => {
    host.a.controls.denied_ips.setValue('192.0.2.1\nnot-an-ip');
    await fixture.whenStable();
    expect(text(fixture, '#a-denied-ips-help')).toContain('one per line');
    host.submitted.set(true);
    await fixture.whenStable();
    expect(text(fixture, '#a-denied-ips-help')).toBe('“not-an-ip” is not an IPv4 or IPv6 address or CIDR range.');
  });

  it('follows changes the dialog makes to its group while nothing else happens on screen', async () => {
    host.b.controls.tpm.setValue('lots');
    host.b.controls.tpm.markAsTouched();
    await fixture.whenStable();
    expect(text(fixture, '#b-tpm-help')).toBe('Enter a whole number (0 or more), or leave it empty for no limit.');
    host.b.reset(limitsToForm(NO_LIMITS));
    await fixture.whenStable();
    expect(q(fixture, '#b-tpm').getAttribute('aria-invalid')).toBe('false');
    expect(q<HTMLInputElement>(fixture, '#b-rpm').value).toBe('');
  });
});
