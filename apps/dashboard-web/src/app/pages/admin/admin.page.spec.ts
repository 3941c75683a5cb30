import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { NO_LIMITS } from '@lmarena-bridge/contracts';
import { SessionStore } from '../../core/session.store';
import { anAdmin, anAdminToken, anAdminUser } from '../../testing/builders';
import { button, choose, click, q, qa, settle, text, type } from '../../testing/dom';
import { AdminPage } from './admin.page';

describe('AdminPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<AdminPage>;
  const me = anAdminUser({ id: 1, username: 'root', role: 'admin', token_count: 1 });
  const bob = anAdminUser({ id: 2, username: 'bob', role: 'user', token_count: 2 });

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    TestBed.inject(SessionStore).signedInAs(anAdmin({ id: 1, username: 'root' }));
    fixture = TestBed.createComponent(AdminPage);
    await fixture.whenStable();
  });
  afterEach(() => http.verify());

  async function load(users = [me, bob], tokens = [anAdminToken({ id: 9, name: 'bob-laptop', username: 'bob', user_id: 2 })]) {
    http.expectOne('/api/admin/users').flush({ users });
    http.expectOne('/api/admin/tokens').flush({ tokens });
    await settle(fixture);
  }
  const row = (username: string) => q(fixture, `[data-user="${username}"]`);
  const confirmOpen = () => q<HTMLDialogElement>(fixture, 'lmb-confirm-dialog dialog').open;

  it('lists users with role, status and token count, and every token with its owner', async () => {
    expect(text(fixture)).toContain('Loading users…');
    await load([me, { ...bob, disabled: true }]);
    expect(row('root').textContent).toContain('(you)');
    expect(row('bob').textContent).toMatch(/bob.*user.*disabled.*2/s);
    expect(qa(fixture, '[data-testid=all-tokens-table] tbody tr')[0].textContent).toMatch(/bob.*bob-laptop/s);
    expect(text(fixture)).toContain('(1 active)');
  });

  it('does not offer admins to disable or demote themselves', async () => {
    await load();
    expect(q<HTMLButtonElement>(fixture, 'button[aria-label="Disable root"]').disabled).toBe(true);
    expect(q<HTMLButtonElement>(fixture, 'button[aria-label="Demote root"]').disabled).toBe(true);
    expect(q<HTMLButtonElement>(fixture, 'button[aria-label="Disable bob"]').disabled).toBe(false);
  });

  it('disables a user after confirmation and reloads', async () => {
    await load();
    await click(fixture, q(fixture, 'button[aria-label="Disable bob"]'));
    expect(confirmOpen()).toBe(true);
    expect(text(fixture, 'lmb-confirm-dialog .dialog-message')).toContain('signed out everywhere');
    await click(fixture, button(fixture, 'Disable account'));
    const req = http.expectOne({ method: 'PATCH', url: '/api/admin/users/2' });
    expect(req.request.body).toEqual({ disabled: true });
    req.flush({ ...bob, disabled: true });
    await settle(fixture);
    await load([me, { ...bob, disabled: true }]);
    expect(confirmOpen()).toBe(false);
    expect(text(fixture, '.alert-info')).toBe('bob updated.');
    expect(q(fixture, 'button[aria-label="Enable bob"]')).toBeTruthy();
  });

  it('promotes and demotes, showing the API refusing to demote the last admin', async () => {
    await load();
    await click(fixture, q(fixture, 'button[aria-label="Promote bob"]'));
    await click(fixture, button(fixture, 'Promote to admin'));
    http.expectOne({ method: 'PATCH', url: '/api/admin/users/2' }).flush({ ...bob, role: 'admin' });
    await settle(fixture);
    await load([me, { ...bob, role: 'admin' }]);

    await click(fixture, q(fixture, 'button[aria-label="Demote bob"]'));
    await click(fixture, button(fixture, 'Demote to user'));
    const req = http.expectOne({ method: 'PATCH', url: '/api/admin/users/2' });
    expect(req.request.body).toEqual({ role: 'user' });
    req.flush({ statusCode: 409, error: 'Conflict', message: 'At least one active admin must remain.' }, { status: 409, statusText: 'Conflict' });
    await settle(fixture);
    expect(confirmOpen()).toBe(true);
    expect(text(fixture, 'lmb-confirm-dialog [role=alert]')).toBe('At least one active admin must remain.');
    await click(fixture, button(fixture, 'Cancel', 'lmb-confirm-dialog'));
    expect(confirmOpen()).toBe(false);
  });

  it("revokes any user's token", async () => {
    await load();
    await click(fixture, q(fixture, 'button[aria-label="Revoke bob-laptop of bob"]'));
    await click(fixture, button(fixture, 'Revoke token'));
    http.expectOne({ method: 'DELETE', url: '/api/tokens/9' }).flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    await load([me, bob], [anAdminToken({ id: 9, name: 'bob-laptop', username: 'bob', status: 'revoked' })]);
    expect(text(fixture, '.alert-info')).toContain('revoked');
    expect(qa(fixture, '[data-testid=all-tokens-table] button')).toHaveLength(0);
  });

  it('shows error states', async () => {
    http.expectOne('/api/admin/users').flush({ statusCode: 403, message: 'Forbidden resource' }, { status: 403, statusText: 'Forbidden' });
    http.expectOne('/api/admin/tokens').flush(null, { status: 500, statusText: 'Server Error' });
    await settle(fixture);
    const alerts = qa(fixture, '[role=alert]').map((a) => a.textContent ?? '');
    expect(alerts[0]).toContain('Forbidden resource');
    expect(alerts[1]).toContain('HTTP 500');
  });

  it('creates a user with a role from the dialog, checking the form first, and reloads', async () => {
    await load();
    await click(fixture, button(fixture, 'Create user'));
    expect(q<HTMLDialogElement>(fixture, '[data-testid=create-user-form]').closest('dialog')?.open).toBe(true);
    type(fixture, '#new-username', 'x');
    await click(fixture, button(fixture, 'Create user', '[data-testid=create-user-form]'));
    http.expectNone('/api/admin/users');
    expect(q(fixture, '#new-username').getAttribute('aria-invalid')).toBe('true');

    type(fixture, '#new-username', 'dora');
    type(fixture, '#new-email', 'dora@example.com');
    type(fixture, '#new-user-password', 'long-enough-1');
    choose(fixture, '#new-role', 'admin');
    await click(fixture, button(fixture, 'Create user', '[data-testid=create-user-form]'));
    const req = http.expectOne({ method: 'POST', url: '/api/admin/users' });
    expect(req.request.body).toEqual({ username: 'dora', email: 'dora@example.com', password: 'long-enough-1', role: 'admin' });
    req.flush({ user: anAdminUser({ id: 3, username: 'dora', role: 'admin' }) }, { status: 201, statusText: 'Created' });
    await settle(fixture);
    await load([me, bob, anAdminUser({ id: 3, username: 'dora', role: 'admin' })]);
    expect(text(fixture, '.alert-info')).toBe('dora created (admin).');
    expect(row('dora')).toBeTruthy();
  });

  it("shows the API's refusal in the create dialog", async () => {
    await load();
    await click(fixture, button(fixture, 'Create user'));
    type(fixture, '#new-username', 'bob');
    type(fixture, '#new-email', 'bob2@example.com');
    type(fixture, '#new-user-password', 'long-enough-1');
    await click(fixture, button(fixture, 'Create user', '[data-testid=create-user-form]'));
    http
      .expectOne('/api/admin/users')
      .flush({ statusCode: 409, error: 'Conflict', message: 'That username is already taken.' }, { status: 409, statusText: 'Conflict' });
    await settle(fixture);
    expect(text(fixture, '[data-testid=create-user-form] [role=alert]')).toBe('That username is already taken.');
  });

  it("sets a user's password after the two entries agree", async () => {
    await load();
    await click(fixture, q(fixture, 'button[aria-label="Set password of bob"]'));
    expect(text(fixture, '[data-testid=set-password-form]')).toContain('Every session of bob ends');
    type(fixture, '#reset-password', 'long-enough-1');
    type(fixture, '#reset-repeat', 'long-enough-2');
    await click(fixture, button(fixture, 'Set password', '[data-testid=set-password-form]'));
    http.expectNone('/api/admin/users/2/password');
    expect(text(fixture, '[data-testid=set-password-form]')).toContain('The two passwords differ.');
    type(fixture, '#reset-repeat', 'long-enough-1');
    await click(fixture, button(fixture, 'Set password', '[data-testid=set-password-form]'));
    const req = http.expectOne({ method: 'POST', url: '/api/admin/users/2/password' });
    expect(req.request.body).toEqual({ new_password: 'long-enough-1' });
    req.flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    expect(text(fixture, '.alert-info')).toBe('Password of bob set; their sessions have ended.');
  });

  describe('caps', () => {
    const capped = { ...bob, limits: { ...NO_LIMITS, rpm: 60, monthly_budget_usd: 20, allowed_models: ['echo'] } };
    const capsDialog = () => q<HTMLDialogElement>(fixture, 'lmb-user-caps-dialog dialog');

    it('lists each user’s caps', async () => {
      await load([me, capped]);
      expect([...row('bob').querySelectorAll('[data-caps] div')].map((d) => d.textContent?.trim())).toEqual(['60 rpm', '$20.00 per month', 'Models: echo']);
      expect(row('root').querySelector('[data-caps]')?.textContent?.trim()).toBe('None');
    });

    it('edits a user’s caps in the shared limits form, sending only the changed caps', async () => {
      await load([me, capped]);
      await click(fixture, q(fixture, 'button[aria-label="Caps of bob"]'));
      expect(capsDialog().open).toBe(true);
      expect(text(fixture, 'lmb-user-caps-dialog h2')).toBe('Caps of bob');
      expect(q<HTMLInputElement>(fixture, '#caps-rpm').value).toBe('60');
      expect(q<HTMLInputElement>(fixture, '#caps-allowed-models').value).toBe('echo');

      type(fixture, '#caps-rpm', '');
      type(fixture, '#caps-daily-requests', '1000');
      await click(fixture, button(fixture, 'Save caps'));
      const req = http.expectOne({ method: 'PATCH', url: '/api/admin/users/2' });
      expect(req.request.body).toEqual({ limits: { rpm: null, daily_requests: 1000 } });
      const saved = { ...capped, limits: { ...capped.limits, rpm: null, daily_requests: 1000 } };
      req.flush(saved);
      await settle(fixture);
      await load([me, saved]);
      expect(capsDialog().open).toBe(false);
      expect(text(fixture, '.alert-info')).toBe('Caps of bob saved; every proxy applies them within a second.');
      expect(row('bob').querySelector('[data-caps]')?.textContent).toContain('1,000 requests per day');
    });

    it('checks the caps before sending and shows the server’s refusal in the dialog', async () => {
      await load([me, capped]);
      await click(fixture, q(fixture, 'button[aria-label="Caps of bob"]'));
      type(fixture, '#caps-monthly-budget-usd', '-5');
      await click(fixture, button(fixture, 'Save caps'));
      http.expectNone({ method: 'PATCH' });
      expect(text(fixture, '#caps-monthly-budget-usd-help')).toBe('Enter an amount in USD such as 5 or 12.50, or leave it empty for no budget.');

      type(fixture, '#caps-monthly-budget-usd', '5');
      await click(fixture, button(fixture, 'Save caps'));
      http
        .expectOne({ method: 'PATCH', url: '/api/admin/users/2' })
        .flush(
          { statusCode: 400, error: 'Bad Request', message: ['limits.monthly_budget_usd: expected a number'] },
          { status: 400, statusText: 'Bad Request' },
        );
      await settle(fixture);
      expect(capsDialog().open).toBe(true);
      expect(text(fixture, '[data-testid=user-caps-form] [role=alert]')).toBe('Limits.monthly_budget_usd: expected a number.');

      await click(fixture, button(fixture, 'Cancel', 'lmb-user-caps-dialog'));
      expect(capsDialog().open).toBe(false);
    });
  });

  it('switches to the IP deny list tab, which loads the list', async () => {
    await load();
    await click(fixture, button(fixture, 'IP deny list'));
    expect(q(fixture, '#admin-tab-denylist').getAttribute('aria-selected')).toBe('true');
    http.expectOne({ method: 'GET', url: '/api/admin/ip-denylist' }).flush({ ranges: ['203.0.113.0/24'] });
    await settle(fixture);
    expect(q<HTMLTextAreaElement>(fixture, '#denylist-ranges').value).toBe('203.0.113.0/24');
  });

  it('switches to the audit tab, which loads the log', async () => {
    await load();
    await click(fixture, button(fixture, 'Audit log'));
    expect(q(fixture, '#admin-tab-audit').getAttribute('aria-selected')).toBe('true');
    http.expectOne((r) => r.url === '/api/admin/audit').flush({ events: [], next_cursor: null });
    await settle(fixture);
    expect(text(fixture)).toContain('No events match.');
  });
});
