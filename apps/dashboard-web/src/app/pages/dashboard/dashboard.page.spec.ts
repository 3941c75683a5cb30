import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { By } from '@angular/platform-browser';
import { provideRouter } from '@angular/router';
import { ChartComponent } from '../../charts/chart.component';
import { PROXY_BASE_URL } from '../../core/proxy-url';
import { SessionStore } from '../../core/session.store';
import { aLog, anAdmin, aStatus, aSummary, aUser } from '../../testing/builders';
import { q, qa, settle, text } from '../../testing/dom';
import { DASHBOARD_REFRESH_MS, DashboardPage } from './dashboard.page';

describe('DashboardPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<DashboardPage>;

  function setup(refreshMs = 60_000) {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        { provide: DASHBOARD_REFRESH_MS, useValue: refreshMs },
        { provide: PROXY_BASE_URL, useValue: 'http://proxy.test:5102/v1' },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(DashboardPage);
  }

  const pending = () => ({
    summary: http.expectOne('/api/usage/summary?days=30'),
    logs: http.expectOne('/api/usage/logs?limit=5'),
    status: http.expectOne('/api/status'),
  });
  const charts = () => fixture.debugElement.queryAll(By.directive(ChartComponent)).map((d) => d.componentInstance as ChartComponent);

  afterEach(() => {
    // Destroying the page stops its timer and cancels a refresh that may have started.
    fixture?.destroy();
    http.verify({ ignoreCancelled: true });
  });

  it('refreshes every 30 seconds by default', () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    expect(TestBed.inject(DASHBOARD_REFRESH_MS)).toBe(30_000);
    http = TestBed.inject(HttpTestingController);
  });

  it('shows a loading state, then the cards, charts and five most recent requests', async () => {
    setup();
    await fixture.whenStable();
    expect(text(fixture)).toContain('Loading usage…');
    expect(text(fixture)).toContain('Loading recent requests…');

    const summary = aSummary({
      total_requests: 12345,
      success_requests: 12000,
      error_requests: 345,
      active_tokens: 3,
      avg_response_time_ms: 812,
      p95_response_time_ms: 2400,
      cost_usd: 0.0123,
    });
    const r = pending();
    r.summary.flush(summary);
    r.logs.flush({ logs: [aLog({ model: 'echo', status_code: 200 }), aLog({ model: 'gpt-x', status_code: 429 })], next_cursor: null });
    r.status.flush(aStatus());
    await settle(fixture);

    const card = (name: string) => text(fixture, `[data-card=${name}]`);
    expect(card('requests')).toContain('12,345');
    expect(card('tokens')).toContain('3');
    expect(card('latency')).toMatch(/812 ms.*p95 2\.4 s/);
    expect(card('success')).toContain('97.2%');
    expect(card('cost')).toMatch(/^Cost \(30 days\)\s*\$0\.0123/);
    expect(card('status')).toContain('Online');
    expect(card('status')).toContain('Proxy online');
    expect(card('status')).toContain('http://proxy.test:5102/v1');

    const [perDay, models] = charts();
    expect(perDay.type()).toBe('bar');
    expect(perDay.data().datasets.map((d) => d.label)).toEqual(['Successful', 'Errors']);
    expect(models.data().labels).toEqual(['echo', 'gpt-x']);

    const rows = qa(fixture, '[data-testid=recent-requests] tbody tr');
    expect(rows).toHaveLength(2);
    expect(rows[1].textContent).toContain('gpt-x');
    expect(rows[1].querySelector('.badge')?.classList).toContain('badge-error');
  });

  it('refreshes in place: old figures stay on screen and the charts are updated, not rebuilt', async () => {
    setup(30);
    await fixture.whenStable();
    let r = pending();
    r.summary.flush(aSummary({ total_requests: 6 }));
    r.logs.flush({ logs: [aLog()], next_cursor: null });
    r.status.flush(aStatus());
    await settle(fixture);
    const chartBefore = charts()[0].instance;
    expect(chartBefore).toBeTruthy();

    // The next tick: requests in flight, the page still shows the previous figures.
    r = await nextRefresh();
    await fixture.whenStable();
    expect(text(fixture, '[data-card=requests]')).toContain('6');
    expect(text(fixture)).not.toContain('Loading usage…');
    expect(text(fixture)).toContain('Refreshing…');

    r.summary.flush(aSummary({ total_requests: 9 }));
    r.logs.flush({ logs: [aLog(), aLog()], next_cursor: null });
    r.status.flush(aStatus());
    await settle(fixture);
    expect(text(fixture, '[data-card=requests]')).toContain('9');
    expect(qa(fixture, '[data-testid=recent-requests] tbody tr')).toHaveLength(2);
    expect(charts()[0].instance).toBe(chartBefore);
  });

  it('keeps the figures and warns when a refresh fails', async () => {
    setup(30);
    await fixture.whenStable();
    let r = pending();
    r.summary.flush(aSummary({ total_requests: 6 }));
    r.logs.flush({ logs: [], next_cursor: null });
    r.status.flush(aStatus());
    await settle(fixture);
    r = await nextRefresh();
    r.summary.flush({ statusCode: 500 }, { status: 500, statusText: 'Server Error' });
    await settle(fixture);
    expect(text(fixture, '[data-card=requests]')).toContain('6');
    expect(text(fixture)).toContain('Refresh failed');
  });

  it('shows an error state (not made-up figures) when usage analytics are unavailable', async () => {
    setup();
    await fixture.whenStable();
    const r = pending();
    r.summary.flush({ statusCode: 404, message: 'Cannot GET /api/usage/summary?days=30' }, { status: 404, statusText: 'Not Found' });
    r.logs.flush({ statusCode: 404 }, { status: 404, statusText: 'Not Found' });
    r.status.flush(aStatus({ database: 'down', status: 'degraded' }));
    await settle(fixture);
    expect(text(fixture, '[role=alert]')).toContain('Usage statistics could not be loaded');
    expect(fixture.nativeElement.querySelector('[data-card=requests]')).toBeNull();
    expect(charts()).toHaveLength(0);
    expect(text(fixture)).toContain('Recent requests could not be loaded');
    expect(text(fixture, '[data-card=status]')).toContain('Degraded');
    expect(q(fixture, 'button.btn-small').textContent).toContain('Refresh');
  });

  it('shows empty states when nothing was requested yet', async () => {
    setup();
    await fixture.whenStable();
    const empty = aSummary({
      total_requests: 0,
      success_requests: 0,
      error_requests: 0,
      avg_response_time_ms: 0,
      p95_response_time_ms: 0,
      by_model: [],
      by_token: [],
      by_status: [],
    });
    const r = pending();
    r.summary.flush(empty);
    r.logs.flush({ logs: [], next_cursor: null });
    r.status.flush(aStatus());
    await settle(fixture);
    expect(text(fixture)).toContain('No requests in the last 30 days.');
    expect(text(fixture)).toContain('No model has been used yet.');
    expect(text(fixture)).toContain('No requests yet.');
    expect(text(fixture, '[data-card=success]')).toContain('—');
    // No "0 ms" beside "—": an empty range has no response time at all.
    expect(text(fixture, '[data-card=latency]')).not.toContain('ms');
    expect(text(fixture, '[data-card=latency]').match(/—/g)).toHaveLength(2);
  });

  it('shows a request without a model as "(no model)", long names on one line with a title', async () => {
    setup();
    await fixture.whenStable();
    const long = 'a-very-long-model-name-'.repeat(6);
    const r = pending();
    r.summary.flush(aSummary());
    r.logs.flush({ logs: [aLog({ model: '' }), aLog({ model: long })], next_cursor: null });
    r.status.flush(aStatus());
    await settle(fixture);
    const cells = qa(fixture, '[data-testid=recent-requests] td.model-cell');
    expect(cells.map((c) => c.textContent?.trim())).toEqual(['(no model)', long]);
    expect(cells[1].getAttribute('title')).toBe(long);
  });

  describe('the bridge card', () => {
    async function showStatus(status: ReturnType<typeof aStatus>, admin: boolean) {
      setup();
      TestBed.inject(SessionStore).signedInAs(admin ? anAdmin() : aUser());
      await fixture.whenStable();
      const r = pending();
      r.summary.flush(aSummary());
      r.logs.flush({ logs: [], next_cursor: null });
      r.status.flush(status);
      await settle(fixture);
      return text(fixture, '[data-card=bridge]');
    }

    it('says how many browsers are connected and models reported, with a link for admins', async () => {
      const card = await showStatus(aStatus({ bridge: { browsers: 2, models: 131 } }), true);
      expect(card).toContain('2 browsers connected');
      expect(card).toContain('131 models reported');
      expect(q(fixture, '[data-card=bridge] .badge').classList).toContain('badge-ok');
      expect(q<HTMLAnchorElement>(fixture, '[data-card=bridge] a').getAttribute('href')).toBe('/bridge');
    });

    it('says no browser is connected, and points admins to the install', async () => {
      const card = await showStatus(aStatus({ bridge: { browsers: 0, models: 0 } }), true);
      expect(card).toContain('No browser connected');
      expect(q(fixture, '[data-card=bridge] .badge').classList).toContain('badge-error');
      expect(card).toContain('Install the userscript');
    });

    it('shows the state to users without the admin link', async () => {
      const card = await showStatus(aStatus({ bridge: { browsers: 1, models: 1 } }), false);
      expect(card).toContain('1 browser connected');
      expect(card).toContain('1 model reported');
      expect(fixture.nativeElement.querySelector('[data-card=bridge] a')).toBeNull();
    });

    it('says the state is unknown when the database did not answer', async () => {
      const card = await showStatus(aStatus({ database: 'down', status: 'degraded', bridge: null }), true);
      expect(card).toContain('Unknown');
      expect(card).toContain('The database did not answer.');
    });
  });

  /** Waits for the timer's next round of requests. */
  async function nextRefresh(timeoutMs = 2000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [summary] = http.match('/api/usage/summary?days=30');
      if (summary) return { summary, logs: http.expectOne('/api/usage/logs?limit=5'), status: http.expectOne('/api/status') };
      if (Date.now() > deadline) throw new Error('no refresh within the time limit');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
});
