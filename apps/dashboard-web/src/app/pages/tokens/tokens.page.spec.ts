import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { PROXY_BASE_URL } from '../../core/proxy-url';
import { aCreatedToken, aToken } from '../../testing/builders';
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
