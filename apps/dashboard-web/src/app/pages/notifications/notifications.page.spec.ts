import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { Webhook, WebhookDelivery } from '@lmarena-bridge/contracts';
import { SessionStore } from '../../core/session.store';
import { anAdmin, aUser } from '../../testing/builders';
import { button, choose, click, q, qa, settle, text, type } from '../../testing/dom';
import { NotificationsPage } from './notifications.page';

function aWebhook(overrides: Partial<Webhook> = {}): Webhook {
  return { id: 1, url: 'https://hooks.example.com/a', events: ['token.expiring'], description: null, created_at: '2026-11-20T10:00:00.000Z', ...overrides };
}

function aDelivery(overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id: 1,
    delivery_id: 'd-1',
    type: 'webhook.test',
    attempt: 1,
    status_code: 200,
    latency_ms: 42,
    error: null,
    response_body: 'ok',
    created_at: '2026-11-20T10:00:00.000Z',
    ...overrides,
  };
}

describe('NotificationsPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<NotificationsPage>;

  async function start(admin = false) {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] });
    http = TestBed.inject(HttpTestingController);
    TestBed.inject(SessionStore).signedInAs(admin ? anAdmin() : aUser());
    fixture = TestBed.createComponent(NotificationsPage);
    await fixture.whenStable();
  }
  async function load(hooks: Webhook[] = [aWebhook()], report = 'off') {
    http.expectOne('/api/webhooks').flush({ webhooks: hooks });
    http.expectOne('/api/notifications/preferences').flush({ report });
    await settle(fixture);
  }
  afterEach(() => http.verify());

  it('shows loading, then the webhooks and the report preference', async () => {
    await start();
    expect(text(fixture)).toContain('Loading webhooks…');
    await load([aWebhook({ description: 'alerts' })], 'weekly');
    expect(text(fixture, '[data-webhook="1"]')).toMatch(/https:\/\/hooks\.example\.com\/a\s*— alerts/);
    expect(q<HTMLSelectElement>(fixture, '[data-testid=report-select]').value).toBe('weekly');
    // Ordinary users are not offered system events.
    expect(qa(fixture, '[data-event]').map((e) => e.getAttribute('data-event'))).not.toContain('bridge.disconnected');
  });

  it('shows the empty state and an error with a retry', async () => {
    await start();
    http.expectOne('/api/webhooks').flush({ message: 'boom' }, { status: 500, statusText: 'Server Error' });
    http.expectOne('/api/notifications/preferences').flush({ report: 'off' });
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toContain('Your webhooks could not be loaded: Boom.');
    await click(fixture, button(fixture, 'Try again'));
    http.expectOne('/api/webhooks').flush({ webhooks: [] });
    await settle(fixture);
    expect(text(fixture)).toContain('No webhooks yet.');
  });

  it('creates a webhook with the chosen events and shows the secret once', async () => {
    await start(true);
    await load([]);
    expect(qa(fixture, '[data-event]').map((e) => e.getAttribute('data-event'))).toContain('bridge.disconnected');
    type(fixture, '#hook-url', 'https://hooks.example.com/new');
    q<HTMLInputElement>(fixture, '[data-event="token.created"]').click();
    q<HTMLInputElement>(fixture, '[data-event="token.expiring"]').click(); // off again
    await settle(fixture);
    await click(fixture, button(fixture, 'Add webhook'));
    const req = http.expectOne('/api/webhooks');
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({ url: 'https://hooks.example.com/new', events: ['quota.threshold', 'token.created'] });
    req.flush({ ...aWebhook({ id: 9, url: 'https://hooks.example.com/new' }), secret: 'whsec_shown_once' });
    await settle(fixture);
    http.expectOne('/api/webhooks').flush({ webhooks: [aWebhook({ id: 9 })] });
    await settle(fixture);
    expect(text(fixture, '[data-testid=webhook-secret]')).toContain('whsec_shown_once');
    await click(fixture, button(fixture, 'Done'));
    expect(text(fixture)).not.toContain('whsec_shown_once');
  });

  it("shows the API's 400 message when the URL is refused", async () => {
    await start();
    await load([]);
    type(fixture, '#hook-url', 'http://10.0.0.1/x');
    await click(fixture, button(fixture, 'Add webhook'));
    http
      .expectOne('/api/webhooks')
      .flush(
        { statusCode: 400, error: 'Bad Request', message: ['url: 10.0.0.1 resolves to 10.0.0.1, a private or loopback address'] },
        { status: 400, statusText: 'Bad Request' },
      );
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toContain('Url: 10.0.0.1 resolves to 10.0.0.1, a private or loopback address.');
  });

  it('sends a test, then lists the deliveries with status, latency and answer', async () => {
    await start();
    await load();
    await click(fixture, button(fixture, 'Send test'));
    http.expectOne((r) => r.url === '/api/webhooks/1/test' && r.method === 'POST').flush({ delivery_id: 'd-1' });
    await settle(fixture);
    http
      .expectOne('/api/webhooks/1/deliveries')
      .flush({ deliveries: [aDelivery(), aDelivery({ id: 2, status_code: null, error: 'ECONNREFUSED', attempt: 2 })] });
    await settle(fixture);
    expect(text(fixture, '[data-testid=deliveries]')).toContain('Test event queued (delivery d-1)');
    expect(text(fixture, '[data-delivery="1"]')).toMatch(/webhook\.test\s*1\s*200\s*42 ms\s*ok/);
    expect(text(fixture, '[data-delivery="2"]')).toMatch(/—.*ECONNREFUSED/);
  });

  it('deletes after confirmation', async () => {
    await start();
    await load();
    await click(fixture, button(fixture, 'Delete', '[data-webhook="1"]'));
    await click(fixture, button(fixture, 'Delete', 'lmb-confirm-dialog'));
    http.expectOne((r) => r.url === '/api/webhooks/1' && r.method === 'DELETE').flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    http.expectOne('/api/webhooks').flush({ webhooks: [] });
    await settle(fixture);
    expect(text(fixture)).toContain('No webhooks yet.');
  });

  it('saves the report preference with PATCH /api/auth/me', async () => {
    await start();
    await load();
    choose(fixture, '[data-testid=report-select]', 'daily');
    const req = http.expectOne('/api/auth/me');
    expect(req.request.method).toBe('PATCH');
    expect(req.request.body).toEqual({ report: 'daily' });
    req.flush({ ...aUser(), report: 'daily' });
    await settle(fixture);
    expect(text(fixture)).toContain('You will get a daily usage report by e-mail.');
  });
});
