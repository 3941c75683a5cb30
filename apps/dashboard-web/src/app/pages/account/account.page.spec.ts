import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import type { SessionInfo } from '@lmarena-bridge/contracts';
import { SessionStore } from '../../core/session.store';
import { aUser } from '../../testing/builders';
import { button, click, q, qa, settle, text, type } from '../../testing/dom';
import { AccountPage } from './account.page';

function aSession(overrides: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: 1,
    created_at: '2026-11-20T10:00:00.000Z',
    last_seen_at: '2026-11-20T11:00:00.000Z',
    ip: '127.0.0.1',
    user_agent: 'Firefox/140',
    current: false,
    ...overrides,
  };
}

describe('AccountPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<AccountPage>;
  let store: SessionStore;
  const here = aSession({ id: 7, current: true, user_agent: 'Chromium/140' });
  const phone = aSession({ id: 3, ip: '192.0.2.8', user_agent: 'Phone/1' });

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] });
    http = TestBed.inject(HttpTestingController);
    store = TestBed.inject(SessionStore);
    store.signedInAs(aUser({ id: 5, username: 'carol', email: 'carol@example.com' }));
    fixture = TestBed.createComponent(AccountPage);
    await fixture.whenStable();
  });
  afterEach(() => http.verify());

  async function load(sessions: SessionInfo[] = [here, phone]) {
    http.expectOne('/api/auth/sessions').flush({ sessions });
    await settle(fixture);
  }
  const row = (id: number) => q(fixture, `[data-session="${id}"]`);

  it('shows loading, then the sessions with the current one marked and no button to end it', async () => {
    expect(text(fixture)).toContain('Loading sessions…');
    await load();
    expect(text(fixture)).toContain('Signed in as carol (carol@example.com)');
    expect(row(7).textContent).toMatch(/Chromium\/140.*this session/s);
    expect(row(7).querySelector('button')).toBeNull();
    expect(row(3).textContent).toMatch(/Phone\/1.*192\.0\.2\.8/s);
  });

  it('shows the error with a retry, and an empty state', async () => {
    http.expectOne('/api/auth/sessions').flush({ statusCode: 500, error: 'x', message: 'boom' }, { status: 500, statusText: 'Server Error' });
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toContain('Your sessions could not be loaded: Boom.');
    await click(fixture, button(fixture, 'Try again'));
    await load([]);
    expect(text(fixture)).toContain('No live sessions.');
  });

  it('changes the password, then reloads the sessions', async () => {
    await load();
    type(fixture, '#current-password', 'old-password');
    type(fixture, '#new-password', 'new-password-1');
    type(fixture, '#repeat-password', 'new-password-1');
    await click(fixture, button(fixture, 'Change password'));
    const req = http.expectOne({ method: 'POST', url: '/api/auth/password' });
    expect(req.request.body).toEqual({ current_password: 'old-password', new_password: 'new-password-1' });
    req.flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    expect(text(fixture, '.alert-info')).toBe('Password changed. Your other sessions have been signed out.');
    await load([here]);
    expect(qa(fixture, '[data-testid=sessions-table] tbody tr')).toHaveLength(1);
    expect(q<HTMLInputElement>(fixture, '#current-password').value).toBe('');
  });

  it('checks the form before sending and shows the API refusing a wrong current password', async () => {
    await load();
    type(fixture, '#current-password', 'old-password');
    type(fixture, '#new-password', 'short');
    type(fixture, '#repeat-password', 'other');
    await click(fixture, button(fixture, 'Change password'));
    http.expectNone('/api/auth/password');
    expect(text(fixture)).toContain('The two new passwords differ.');
    expect(q(fixture, '#new-password').getAttribute('aria-invalid')).toBe('true');

    type(fixture, '#new-password', 'new-password-1');
    type(fixture, '#repeat-password', 'new-password-1');
    await click(fixture, button(fixture, 'Change password'));
    http
      .expectOne('/api/auth/password')
      .flush({ statusCode: 400, error: 'Bad Request', message: ['The current password is not right.'] }, { status: 400, statusText: 'Bad Request' });
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toBe('The current password is not right.');
    expect(store.signedIn()).toBe(true);
  });

  it('ends another session after confirmation', async () => {
    await load();
    await click(fixture, q(fixture, 'button[aria-label="Sign out session 3"]'));
    expect(text(fixture, '.dialog-message')).toContain('192.0.2.8');
    await click(fixture, button(fixture, 'Sign out session'));
    http.expectOne({ method: 'DELETE', url: '/api/auth/sessions/3' }).flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    await load([here]);
    expect(() => row(3)).toThrow();
  });

  it('signs out everywhere: the store forgets the user and the app goes to the sign-in page', async () => {
    const router = TestBed.inject(Router);
    const navigate = jest.spyOn(router, 'navigateByUrl').mockResolvedValue(true);
    await load();
    await click(fixture, button(fixture, 'Sign out everywhere'));
    await click(fixture, button(fixture, 'Sign out everywhere', 'lmb-confirm-dialog'));
    http.expectOne({ method: 'POST', url: '/api/auth/logout-all' }).flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    expect(store.signedIn()).toBe(false);
    expect(store.notice()).toBe('You have been signed out everywhere.');
    expect(navigate).toHaveBeenCalledWith('/');
  });
});
