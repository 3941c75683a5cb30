import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { SessionStore } from '../../core/session.store';
import { anAdmin, anAdminToken, anAdminUser } from '../../testing/builders';
import { button, click, q, qa, settle, text } from '../../testing/dom';
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

  it("does not offer admins to disable or demote themselves", async () => {
    await load();
    expect(q<HTMLButtonElement>(fixture, 'button[aria-label="Disable root"]').disabled).toBe(true);
    expect(q<HTMLButtonElement>(fixture, 'button[aria-label="Demote root"]').disabled).toBe(true);
    expect(q<HTMLButtonElement>(fixture, 'button[aria-label="Disable bob"]').disabled).toBe(false);
  });

  it('disables a user after confirmation and reloads', async () => {
    await load();
    await click(fixture, q(fixture, 'button[aria-label="Disable bob"]'));
    expect(confirmOpen()).toBe(true);
    expect(text(fixture, '.dialog-message')).toContain('signed out everywhere');
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
    await click(fixture, button(fixture, 'Cancel'));
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
});
