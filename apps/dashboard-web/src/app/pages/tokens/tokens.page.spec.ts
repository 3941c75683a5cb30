import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { PROXY_BASE_URL } from '../../core/proxy-url';
import { NO_LIMITS } from '@lmarena-bridge/contracts';
import { aCreatedToken, aToken, aUsageNow } from '../../testing/builders';
import { button, click, q, qa, settle, text, type } from '../../testing/dom';
import { endOfLocalDay, localToday, TokensPage } from './tokens.page';

describe('TokensPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<TokensPage>;
  const BASE = 'http://proxy.test:5102/v1';

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: PROXY_BASE_URL, useValue: BASE }],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(TokensPage);
    await fixture.whenStable();
  });
  afterEach(() => http.verify());

  async function load(tokens = [aToken()]) {
    http.expectOne('/api/tokens').flush({ tokens });
    await settle(fixture);
  }
  const dialogOpen = (heading: string) =>
    qa<HTMLDialogElement>(fixture, 'dialog').find((d) => d.querySelector('h2')?.textContent?.trim() === heading)?.open ?? false;

  it('lists tokens with hint, dates, expiry and a status badge', async () => {
    expect(text(fixture)).toContain('Loading tokens…');
    await load([
      aToken({ name: 'laptop', hint: 'sk-lmarena-…wxyz', last_used_at: '2026-11-20T10:00:00.000Z', expires_at: '2027-01-01T00:00:00.000Z' }),
      aToken({ name: 'old', status: 'revoked', revoked_at: '2026-11-10T00:00:00.000Z' }),
      aToken({ name: 'ci', status: 'expired' }),
    ]);
    const rows = qa(fixture, '[data-testid=tokens-table] tbody tr');
    expect(rows.map((r) => r.querySelector('td')?.textContent?.trim())).toEqual(['laptop', 'old', 'ci']);
    expect(rows[0].textContent).toContain('sk-lmarena-…wxyz');
    expect(rows[0].textContent).toMatch(/2026/);
    expect(rows[0].querySelector('.badge')?.className).toContain('badge-ok');
    expect(rows[1].querySelector('.badge')?.className).toContain('badge-muted');
    expect(rows[2].querySelector('.badge')?.className).toContain('badge-warn');
    expect(rows[1].textContent).not.toContain('Revoke');
    expect(text(fixture, '[data-snippet]')).toContain(BASE);
  });

  it('has an empty state that offers to create the first token', async () => {
    await load([]);
    expect(text(fixture)).toContain('You have no tokens yet.');
    button(fixture, 'Create your first token').click();
    await fixture.whenStable();
    expect(dialogOpen('Create a new token')).toBe(true);
  });

  it('shows an error with a retry', async () => {
    http.expectOne('/api/tokens').flush(null, { status: 500, statusText: 'Server Error' });
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toContain('could not be loaded');
    await click(fixture, button(fixture, 'Try again'));
    await load();
    expect(qa(fixture, '[data-testid=tokens-table] tbody tr')).toHaveLength(1);
  });

  it('creates a token with an expiry date and shows its secret once, with snippets and a copy button', async () => {
    await load([]);
    const writeText = jest.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText } });

    await click(fixture, button(fixture, 'Create New Token'));
    expect(dialogOpen('Create a new token')).toBe(true);
    await click(fixture, button(fixture, 'Create token'));
    expect(q(fixture, '#token-name').getAttribute('aria-invalid')).toBe('true');
    http.expectNone('/api/tokens');

    type(fixture, '#token-name', '  laptop  ');
    type(fixture, '#token-expires', '2099-12-31');
    await click(fixture, button(fixture, 'Create token'));
    const req = http.expectOne({ method: 'POST', url: '/api/tokens' });
    expect(req.request.body).toEqual({ name: 'laptop', expires_at: endOfLocalDay('2099-12-31') });
    const created = aCreatedToken({ name: 'laptop', token: 'sk-lmarena-abcdefghijklmnopqrstuvwxyz012345' });
    req.flush(created, { status: 201, statusText: 'Created' });
    await settle(fixture);
    await load([created]);

    expect(dialogOpen('Create a new token')).toBe(false);
    expect(dialogOpen('Your new token')).toBe(true);
    expect(q<HTMLTextAreaElement>(fixture, '[data-testid=new-token-secret]').value).toBe(created.token);
    expect(text(fixture, '.alert-warn')).toContain('shown only this once');
    const snippets = qa(fixture, 'dialog [data-snippet]').map((e) => e.textContent ?? '');
    expect(snippets[0]).toContain(`curl ${BASE}/chat/completions`);
    expect(snippets[0]).toContain(`Bearer ${created.token}`);

    await click(fixture, q(fixture, 'button[aria-label="Copy the token"]'));
    await settle(fixture);
    expect(writeText).toHaveBeenCalledWith(created.token);
    expect(text(fixture, 'button[aria-label="Copy the token"]')).toBe('Copied');

    // Python and JavaScript tabs carry the token too.
    await click(fixture, button(fixture, 'Python', '[data-testid=secret-dialog]'));
    expect(text(fixture, 'dialog [data-snippet=python]')).toContain(`api_key="${created.token}"`);
    await click(fixture, button(fixture, 'JavaScript', '[data-testid=secret-dialog]'));
    expect(text(fixture, 'dialog [data-snippet=js]')).toContain(`baseURL: '${BASE}'`);

    await click(fixture, button(fixture, 'I have copied it — close'));
    expect(dialogOpen('Your new token')).toBe(false);
    expect((fixture.nativeElement as HTMLElement).innerHTML).not.toContain(created.token);
  });

  it("shows the API's validation message when creation is refused", async () => {
    await load([]);
    await click(fixture, button(fixture, 'Create New Token'));
    type(fixture, '#token-name', 'laptop');
    await click(fixture, button(fixture, 'Create token'));
    http
      .expectOne({ method: 'POST', url: '/api/tokens' })
      .flush({ statusCode: 400, error: 'Bad Request', message: ['expires_at must be in the future'] }, { status: 400, statusText: 'Bad Request' });
    await settle(fixture);
    expect(text(fixture, 'dialog [role=alert]')).toBe('Expires_at must be in the future.');
    expect(dialogOpen('Create a new token')).toBe(true);
  });

  it('refuses a past expiry date before sending', async () => {
    await load([]);
    await click(fixture, button(fixture, 'Create New Token'));
    type(fixture, '#token-name', 'laptop');
    type(fixture, '#token-expires', '2001-01-01');
    await click(fixture, button(fixture, 'Create token'));
    expect(text(fixture, '#token-expires-help')).toBe('Pick a date in the future.');
    http.expectNone({ method: 'POST', url: '/api/tokens' });
    expect(q<HTMLInputElement>(fixture, '#token-expires').min).toBe(localToday());
  });

  it('shows each token’s usage against the limits it has, and “Unlimited” without any', async () => {
    await load([
      aToken({ name: 'limited', limits: { ...NO_LIMITS, rpm: 5, monthly_budget_usd: 10 }, usage_now: aUsageNow({ minute_requests: 4, month_cost_usd: 10 }) }),
      aToken({ name: 'free' }),
    ]);
    const [limited, free] = qa(fixture, '[data-testid=tokens-table] tbody tr');
    const bars = [...limited.querySelectorAll('[role=progressbar]')];
    expect(bars.map((b) => b.getAttribute('aria-valuetext'))).toEqual(['4 / 5 rpm', '$10.00 / $10.00 this month']);
    expect([...limited.querySelectorAll('.meter')].map((m) => m.getAttribute('data-level'))).toEqual(['warn', 'danger']);
    expect(free.querySelector('lmb-usage-bars')?.textContent?.trim()).toBe('Unlimited');
  });

  it('creates a token with limits, sending only the fields that are set', async () => {
    await load([]);
    await click(fixture, button(fixture, 'Create New Token'));
    type(fixture, '#token-name', 'ci');
    type(fixture, '#create-limits-rpm', '5');
    type(fixture, '#create-limits-monthly-budget-usd', '2.50');
    type(fixture, '#create-limits-allowed-models', 'echo, gpt-x');
    type(fixture, '#create-limits-denied-ips', '192.0.2.1\n2001:db8::/32');
    await click(fixture, button(fixture, 'Create token'));
    const req = http.expectOne({ method: 'POST', url: '/api/tokens' });
    expect(req.request.body).toEqual({
      name: 'ci',
      limits: { rpm: 5, monthly_budget_usd: 2.5, allowed_models: ['echo', 'gpt-x'], denied_ips: ['192.0.2.1', '2001:db8::/32'] },
    });
    req.flush(aCreatedToken({ name: 'ci' }), { status: 201, statusText: 'Created' });
    await settle(fixture);
    await load([aToken({ name: 'ci' })]);
    expect(dialogOpen('Your new token')).toBe(true);
  });

  it('does not send limits that break the server’s rules, and says why beside the field', async () => {
    await load([]);
    await click(fixture, button(fixture, 'Create New Token'));
    type(fixture, '#token-name', 'ci');
    type(fixture, '#create-limits-tpm', '-3');
    type(fixture, '#create-limits-allowed-ips', '10.0.0.0/33');
    await click(fixture, button(fixture, 'Create token'));
    http.expectNone({ method: 'POST', url: '/api/tokens' });
    expect(text(fixture, '#create-limits-tpm-help')).toBe('Enter a whole number (0 or more), or leave it empty for no limit.');
    expect(text(fixture, '#create-limits-allowed-ips-help')).toBe('“10.0.0.0/33”: the prefix length must be a whole number from 0 to 32.');

    // Reopening starts from an empty form.
    await click(fixture, button(fixture, 'Cancel'));
    await click(fixture, button(fixture, 'Create your first token'));
    expect(q<HTMLInputElement>(fixture, '#create-limits-tpm').value).toBe('');
    expect(q(fixture, '#create-limits-tpm').getAttribute('aria-invalid')).toBe('false');
  });

  describe('editing a token', () => {
    const laptop = aToken({ id: 7, name: 'laptop', limits: { ...NO_LIMITS, rpm: 60, tpm: 1000, allowed_ips: ['10.0.0.0/8'] } });
    const openEdit = async () => {
      await load([laptop]);
      await click(fixture, q(fixture, 'button[aria-label="Edit laptop"]'));
      expect(dialogOpen('Edit “laptop”')).toBe(true);
    };

    it('starts from the token as listed', async () => {
      await openEdit();
      expect(q<HTMLInputElement>(fixture, '#edit-token-name').value).toBe('laptop');
      expect(q<HTMLInputElement>(fixture, '#edit-limits-rpm').value).toBe('60');
      expect(q<HTMLInputElement>(fixture, '#edit-limits-tpm').value).toBe('1000');
      expect(q<HTMLTextAreaElement>(fixture, '#edit-limits-allowed-ips').value).toBe('10.0.0.0/8');
      expect(q<HTMLInputElement>(fixture, '#edit-limits-daily-requests').value).toBe('');
    });

    it('sends PATCH with only the changed fields and null for a cleared limit, then reloads', async () => {
      await openEdit();
      type(fixture, '#edit-token-name', ' work laptop ');
      type(fixture, '#edit-limits-rpm', '120');
      type(fixture, '#edit-limits-tpm', '');
      await click(fixture, button(fixture, 'Save changes'));
      const req = http.expectOne({ method: 'PATCH', url: '/api/tokens/7' });
      expect(req.request.body).toEqual({ name: 'work laptop', limits: { rpm: 120, tpm: null } });
      const saved = { ...laptop, name: 'work laptop', limits: { ...laptop.limits, rpm: 120, tpm: null } };
      req.flush(saved);
      await settle(fixture);
      await load([saved]);
      expect(qa(fixture, 'dialog').some((d) => (d as HTMLDialogElement).open)).toBe(false);
      expect(qa(fixture, '[data-testid=tokens-table] [role=progressbar]').map((b) => b.getAttribute('aria-valuetext'))).toEqual(['0 / 120 rpm']);
    });

    it('sends only the limits when the name is unchanged', async () => {
      await openEdit();
      type(fixture, '#edit-limits-allowed-ips', '');
      type(fixture, '#edit-limits-max-parallel', '4');
      await click(fixture, button(fixture, 'Save changes'));
      const req = http.expectOne({ method: 'PATCH', url: '/api/tokens/7' });
      expect(req.request.body).toEqual({ limits: { max_parallel: 4, allowed_ips: null } });
      req.flush(laptop);
      await settle(fixture);
      await load([laptop]);
    });

    it('closes without a request when nothing changed', async () => {
      await openEdit();
      await click(fixture, button(fixture, 'Save changes'));
      http.expectNone({ method: 'PATCH' });
      expect(dialogOpen('Edit “laptop”')).toBe(false);
    });

    it('keeps the dialog open with the server’s message when the change is refused', async () => {
      await openEdit();
      type(fixture, '#edit-limits-allowed-ips', '10.0.0.1');
      await click(fixture, button(fixture, 'Save changes'));
      http
        .expectOne({ method: 'PATCH', url: '/api/tokens/7' })
        .flush(
          { statusCode: 400, error: 'Bad Request', message: ['limits.allowed_ips: not allowed by your caps'] },
          { status: 400, statusText: 'Bad Request' },
        );
      await settle(fixture);
      expect(dialogOpen('Edit “laptop”')).toBe(true);
      expect(text(fixture, '[data-testid=edit-token-form] [role=alert]')).toBe('Limits.allowed_ips: not allowed by your caps.');
      expect(q<HTMLButtonElement>(fixture, '[data-testid=edit-token-form] button[type=submit]').disabled).toBe(false);
    });

    it('validates before sending', async () => {
      await openEdit();
      type(fixture, '#edit-token-name', '   ');
      type(fixture, '#edit-limits-daily-requests', 'many');
      await click(fixture, button(fixture, 'Save changes'));
      http.expectNone({ method: 'PATCH' });
      expect(q(fixture, '#edit-token-name').getAttribute('aria-invalid')).toBe('true');
      expect(text(fixture, '#edit-limits-daily-requests-help')).toBe('Enter a whole number (0 or more), or leave it empty for no limit.');
    });

    it('is not offered for a revoked token', async () => {
      await load([{ ...laptop, status: 'revoked', revoked_at: '2026-11-28T00:00:00.000Z' }]);
      expect(qa(fixture, 'button[aria-label="Edit laptop"]')).toHaveLength(0);
    });
  });

  it('revokes a token after confirmation', async () => {
    const token = aToken({ id: 42, name: 'laptop' });
    await load([token]);
    await click(fixture, q(fixture, 'button[aria-label="Revoke laptop"]'));
    expect(dialogOpen('Revoke this token?')).toBe(true);
    expect(text(fixture, '.dialog-message')).toContain('“laptop”');

    await click(fixture, button(fixture, 'Cancel', 'lmb-confirm-dialog'));
    expect(dialogOpen('Revoke this token?')).toBe(false);
    http.expectNone({ method: 'DELETE' });

    await click(fixture, q(fixture, 'button[aria-label="Revoke laptop"]'));
    await click(fixture, button(fixture, 'Revoke token'));
    http.expectOne({ method: 'DELETE', url: '/api/tokens/42' }).flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    await load([{ ...token, status: 'revoked', revoked_at: '2026-11-28T00:00:00.000Z' }]);
    expect(dialogOpen('Revoke this token?')).toBe(false);
    expect(qa(fixture, '[data-testid=tokens-table] tbody tr')[0].textContent).toContain('revoked');
  });
});

describe('token expiry dates', () => {
  it('converts a date to the end of that local day', () => {
    const d = new Date(endOfLocalDay('2027-03-04') ?? NaN);
    expect([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes()]).toEqual([2027, 2, 4, 23, 59]);
    expect(endOfLocalDay('nope')).toBeNull();
    expect(localToday(new Date(2026, 0, 5))).toBe('2026-01-05');
  });
});
