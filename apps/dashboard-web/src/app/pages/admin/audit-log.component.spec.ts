import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import type { AuditEvent } from '@lmarena-bridge/contracts';
import { button, choose, click, qa, settle, text, type } from '../../testing/dom';
import { withParams } from '../../testing/http';
import { AUDIT_PAGE_SIZE, AuditLogComponent } from './audit-log.component';

function anEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: 1,
    at: '2026-11-20T10:00:00.000Z',
    actor_id: 1,
    actor: 'root',
    action: 'auth.login',
    target: 'user:1 root',
    ip: '127.0.0.1',
    detail: null,
    ...overrides,
  };
}

describe('AuditLogComponent', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<AuditLogComponent>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(AuditLogComponent);
    await fixture.whenStable();
  });
  afterEach(() => http.verify());

  const rows = () => qa(fixture, '[data-testid=audit-table] tbody tr');

  it('loads the newest page, shows each event, and pages on with next_cursor', async () => {
    expect(text(fixture)).toContain('Loading the audit log…');
    http.expectOne(withParams('/api/admin/audit', { limit: AUDIT_PAGE_SIZE })).flush({
      events: [
        anEvent({ id: 9, action: 'user.password_reset', target: 'user:2 bob', detail: { sessions_ended: 2 } }),
        anEvent({ id: 8, action: 'auth.login_failed', actor_id: null, actor: 'mallory', ip: '192.0.2.1', target: null }),
      ],
      next_cursor: '8',
    });
    await settle(fixture);
    expect(rows()).toHaveLength(2);
    expect(rows()[0].textContent).toMatch(/root.*user\.password_reset.*user:2 bob.*127\.0\.0\.1.*sessions_ended: 2/s);
    expect(rows()[1].textContent).toMatch(/mallory.*auth\.login_failed.*—.*192\.0\.2\.1/s);

    await click(fixture, button(fixture, 'Show older events'));
    http.expectOne(withParams('/api/admin/audit', { limit: AUDIT_PAGE_SIZE, cursor: '8' })).flush({ events: [anEvent({ id: 3 })], next_cursor: null });
    await settle(fixture);
    expect(rows()).toHaveLength(3);
    expect(() => button(fixture, 'Show older events')).toThrow();
  });

  it('filters by action and actor', async () => {
    http.expectOne('/api/admin/audit?limit=50').flush({ events: [anEvent()], next_cursor: null });
    await settle(fixture);
    choose(fixture, '#audit-action', 'auth.password_changed');
    type(fixture, '#audit-actor', ' bob ');
    await click(fixture, button(fixture, 'Apply filters'));
    http
      .expectOne(withParams('/api/admin/audit', { limit: AUDIT_PAGE_SIZE, action: 'auth.password_changed', actor: 'bob' }))
      .flush({ events: [], next_cursor: null });
    await settle(fixture);
    expect(text(fixture)).toContain('No events match.');
  });

  it('shows an error with a retry', async () => {
    http
      .expectOne('/api/admin/audit?limit=50')
      .flush({ statusCode: 403, error: 'Forbidden', message: 'This needs an admin account.' }, { status: 403, statusText: 'Forbidden' });
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toContain('The audit log could not be loaded: This needs an admin account.');
    await click(fixture, button(fixture, 'Try again'));
    http.expectOne('/api/admin/audit?limit=50').flush({ events: [anEvent()], next_cursor: null });
    await settle(fixture);
    expect(rows()).toHaveLength(1);
  });
});
