import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { By } from '@angular/platform-browser';
import { ChartComponent } from '../../charts/chart.component';
import { aLog, aSummary } from '../../testing/builders';
import { button, choose, click, q, qa, settle, text, type } from '../../testing/dom';
import { withParams } from '../../testing/http';
import { SessionStore } from '../../core/session.store';
import { anAdmin } from '../../testing/builders';
import { AnalyticsPage } from './analytics.page';

describe('AnalyticsPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<AnalyticsPage>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(AnalyticsPage);
    await fixture.whenStable();
  });
  afterEach(() => http.verify());

  const charts = () => fixture.debugElement.queryAll(By.directive(ChartComponent)).map((d) => d.componentInstance as ChartComponent);
  const logsWith = (params: Record<string, string>) => withParams('/api/usage/logs', params);
  const logRows = () => qa(fixture, '[data-testid=request-log] tbody tr');

  async function loadAll(summary = aSummary(), logs = [aLog()], next: string | null = null) {
    http.expectOne('/api/usage/summary?days=30').flush(summary);
    http.expectOne(logsWith({ limit: '50', days: '30' })).flush({ logs, next_cursor: next });
    await settle(fixture);
  }

  it('shows totals, the five charts and the model table for 30 days', async () => {
    expect(text(fixture)).toContain('Loading analytics…');
    const summary = aSummary({ p50_response_time_ms: 95, p95_response_time_ms: 2400, prompt_tokens: 12345, cost_usd: 4.2371 });
    await loadAll(summary);
    expect(text(fixture, '[data-stat=total]')).toBe(String(summary.total_requests));
    expect(text(fixture, '[data-stat=cost]')).toBe('$4.24');
    expect(text(fixture)).toContain('p95 2.4 s');
    expect(text(fixture)).toContain('12,345');

    const [perDay, latency, cost, models, tokens] = charts();
    expect(perDay.type()).toBe('bar');
    expect(perDay.data().datasets[1].data).toEqual(summary.by_day.map((d) => d.errors));
    expect(latency.type()).toBe('line');
    expect(latency.data().datasets.map((d) => d.label)).toEqual(['Average', 'p95']);
    expect(cost.type()).toBe('bar');
    expect(cost.data().datasets[0].data).toEqual(summary.by_day.map((d) => d.cost_usd));
    expect(models.type()).toBe('doughnut');
    expect(models.data().labels).toEqual(['echo', 'gpt-x']);
    expect(tokens.data().labels).toEqual(['laptop']);
    expect(q(fixture, '[aria-pressed=true]').textContent?.trim()).toBe('30 days');
    expect(q<HTMLAnchorElement>(fixture, '[data-testid=export-csv]').getAttribute('href')).toBe('/api/usage/export?days=30&format=csv');
  });

  it('says so instead of a cost chart when no priced model was used', async () => {
    const free = aSummary({ cost_usd: 0 });
    await loadAll({ ...free, by_day: free.by_day.map((d) => ({ ...d, cost_usd: 0 })) });
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-chart=cost]')).toBeNull();
    expect(text(fixture)).toContain('No priced model was used in this range');
    expect(charts()).toHaveLength(4);
  });

  it('switches the range to 7 and 90 days', async () => {
    await loadAll();
    await click(fixture, button(fixture, '7 days'));
    http.expectOne('/api/usage/summary?days=7').flush(aSummary({ days: 7 }, 7));
    http.expectOne(logsWith({ limit: '50', days: '7' })).flush({ logs: [], next_cursor: null });
    await settle(fixture);
    expect(charts()[0].data().labels).toHaveLength(7);
    expect(q(fixture, '[data-testid=export-csv]').getAttribute('href')).toBe('/api/usage/export?days=7&format=csv');
    await click(fixture, button(fixture, '90 days'));
    http.expectOne('/api/usage/summary?days=90').flush(aSummary({ days: 90 }, 90));
    http.expectOne(logsWith({ limit: '50', days: '90' })).flush({ logs: [], next_cursor: null });
    await settle(fixture);
    expect(charts()[0].data().labels).toHaveLength(90);
    expect(q(fixture, '[aria-pressed=true]').textContent?.trim()).toBe('90 days');
  });

  it('shows cost per model, per token and per request, "—" for a request without a price', async () => {
    const summary = aSummary({
      by_model: [
        { model: 'gpt-x', requests: 4, errors: 0, avg_response_time_ms: 100, prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.0123 },
        { model: 'echo', requests: 2, errors: 0, avg_response_time_ms: 100, prompt_tokens: 10, completion_tokens: 5, cost_usd: 0 },
      ],
      by_token: [
        { token_id: 1, name: 'laptop', requests: 5, cost_usd: 1.5 },
        { token_id: 2, name: 'ci', requests: 1, cost_usd: 0.000000038 },
      ],
    });
    await loadAll(summary, [aLog({ id: 2, cost_usd: 0.000564 }), aLog({ id: 1, cost_usd: null })]);
    const rowsOf = (selector: string) => qa(fixture, `${selector} tbody tr`).map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim()));
    expect(rowsOf('[data-testid=model-table]').map((r) => [r[0], r.at(-1)])).toEqual([
      ['gpt-x', '$0.0123'],
      ['echo', '$0.00'],
    ]);
    expect(rowsOf('[data-testid=token-table]')).toEqual([
      ['laptop', '5', '$1.50'],
      ['ci', '1', '$0.000000038'],
    ]);
    expect(qa(fixture, '[data-testid=log-cost]').map((td) => td.textContent?.trim())).toEqual(['$0.000564', '—']);
  });

  it('marks token counts the proxy estimated, and only those', async () => {
    await loadAll(aSummary(), [
      aLog({ id: 2, prompt_tokens: 12, completion_tokens: 30, usage_estimated: true }),
      aLog({ id: 1, prompt_tokens: 7, completion_tokens: 9 }),
    ]);
    const marks = logRows().map((r) => r.querySelector('[data-testid=usage-estimated]'));
    expect(marks[0]?.textContent).toContain('≈');
    expect(marks[0]?.getAttribute('title')).toMatch(/estimated/i);
    expect(marks[1]).toBeNull();
  });

  it('lists the log and searches on the server with the chosen filters', async () => {
    await loadAll(aSummary(), [
      aLog({ model: 'echo', status_code: 200, ttft_ms: 40 }),
      aLog({ model: 'gpt-x', status_code: 429, error_message: 'rate limited' }),
    ]);
    expect(logRows()).toHaveLength(2);
    expect(logRows()[1].textContent).toContain('rate limited');
    expect(qa(fixture, '[data-testid=usage-estimated]')).toHaveLength(0);

    type(fixture, '#log-q', ' rate ');
    await click(fixture, button(fixture, 'Search'));
    http.expectOne(logsWith({ q: 'rate', limit: '50', days: '30' })).flush({ logs: [aLog({ error_message: 'rate limited' })], next_cursor: null });
    await settle(fixture);
    expect(logRows()).toHaveLength(1);

    // The choices come from the summary of the selected range.
    expect(qa<HTMLOptionElement>(fixture, '#log-model option').map((o) => o.value)).toEqual(['', 'echo', 'gpt-x']);
    expect(qa<HTMLOptionElement>(fixture, '#log-status option').map((o) => o.value)).toEqual(['', 'success', 'error', '200', '429']);
    choose(fixture, '#log-model', 'gpt-x');
    await fixture.whenStable();
    http.expectOne(logsWith({ q: 'rate', model: 'gpt-x', limit: '50', days: '30' })).flush({ logs: [], next_cursor: null });
    await settle(fixture);
    expect(text(fixture)).toContain('No request matches these filters.');

    choose(fixture, '#log-token', '1');
    await fixture.whenStable();
    http.expectOne(logsWith({ q: 'rate', model: 'gpt-x', token_id: '1', limit: '50', days: '30' })).flush({ logs: [], next_cursor: null });
    choose(fixture, '#log-status', 'error');
    await fixture.whenStable();
    http.expectOne(logsWith({ q: 'rate', model: 'gpt-x', token_id: '1', status: 'error', limit: '50', days: '30' })).flush({ logs: [], next_cursor: null });
    // Every endpoint the proxy records is a choice, whatever the summary saw.
    expect(qa<HTMLOptionElement>(fixture, '#log-endpoint option').map((o) => o.value)).toEqual([
      '',
      '/v1/chat/completions',
      '/v1/responses',
      '/v1/messages',
      '/v1/completions',
      '/v1/embeddings',
    ]);
    choose(fixture, '#log-endpoint', '/v1/messages');
    await fixture.whenStable();
    http
      .expectOne(logsWith({ q: 'rate', model: 'gpt-x', endpoint: '/v1/messages', token_id: '1', status: 'error', limit: '50', days: '30' }))
      .flush({ logs: [aLog({ endpoint: '/v1/messages' })], next_cursor: null });
    await settle(fixture);
    expect(qa(fixture, '[data-testid=log-endpoint]').map((e) => e.textContent?.trim())).toEqual(['/v1/messages']);

    // The export takes the same filters (HttpParams leaves "/" as is: it is legal in a query).
    expect(q(fixture, '[data-testid=export-csv]').getAttribute('href')).toBe(
      '/api/usage/export?days=30&format=csv&q=rate&model=gpt-x&endpoint=/v1/messages&token_id=1&status=error',
    );

    await click(fixture, button(fixture, 'Clear'));
    http.expectOne(logsWith({ limit: '50', days: '30' })).flush({ logs: [aLog()], next_cursor: null });
    await settle(fixture);
    expect(q<HTMLInputElement>(fixture, '#log-q').value).toBe('');
    expect(logRows()).toHaveLength(1);
  });

  it('pages with the cursor: "Load more" appends until there is no next page', async () => {
    await loadAll(aSummary(), [aLog({ id: 3 }), aLog({ id: 2 })], 'c2');
    await click(fixture, button(fixture, 'Load more'));
    http.expectOne(logsWith({ limit: '50', cursor: 'c2', days: '30' })).flush({ logs: [aLog({ id: 1 })], next_cursor: null });
    await settle(fixture);
    expect(logRows().map((r) => r.getAttribute('data-log-id'))).toEqual(['3', '2', '1']);
    expect(() => button(fixture, 'Load more')).toThrow();
    expect(text(fixture)).toContain('3 requests shown — that is all.');
  });

  it('shows error states when the usage API fails, without inventing data', async () => {
    http.expectOne('/api/usage/summary?days=30').flush({ statusCode: 404, message: 'Cannot GET /api/usage/summary' }, { status: 404, statusText: 'Not Found' });
    http.expectOne(logsWith({ limit: '50', days: '30' })).flush(null, { status: 404, statusText: 'Not Found' });
    await settle(fixture);
    const alerts = qa(fixture, '[role=alert]').map((a) => a.textContent ?? '');
    expect(alerts[0]).toContain('Analytics could not be loaded');
    expect(alerts[1]).toContain('The request log could not be loaded');
    expect(charts()).toHaveLength(0);
    await click(fixture, qa<HTMLButtonElement>(fixture, '[role=alert] button')[1]);
    http.expectOne(logsWith({ limit: '50', days: '30' })).flush({ logs: [], next_cursor: null });
    await settle(fixture);
    expect(text(fixture)).toContain('No requests recorded yet.');
  });

  it('has empty states for a range without requests', async () => {
    await loadAll(aSummary({ total_requests: 0, success_requests: 0, error_requests: 0, by_model: [], by_token: [], by_status: [] }), []);
    expect(text(fixture)).toContain('No requests in the last 3 days');
    expect(charts()).toHaveLength(0);
    expect(text(fixture)).toContain('No requests recorded yet.');
  });

  it("offers only admins the choice of everyone's usage", async () => {
    await loadAll();
    expect(() => button(fixture, 'All users')).toThrow();
  });
});

describe('AnalyticsPage for an admin', () => {
  it("widens summary, log and export to every user's usage with scope=all", async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    const http = TestBed.inject(HttpTestingController);
    TestBed.inject(SessionStore).signedInAs(anAdmin());
    const fixture = TestBed.createComponent(AnalyticsPage);
    await fixture.whenStable();
    http.expectOne('/api/usage/summary?days=30').flush(aSummary());
    http.expectOne(withParams('/api/usage/logs', { limit: 50, days: 30 })).flush({ logs: [], next_cursor: null });
    await settle(fixture);
    await click(fixture, button(fixture, 'All users'));
    http.expectOne('/api/usage/summary?days=30&scope=all').flush(aSummary());
    http.expectOne(withParams('/api/usage/logs', { limit: 50, days: 30, scope: 'all' })).flush({ logs: [aLog()], next_cursor: null });
    await settle(fixture);
    expect(q(fixture, '[data-testid=export-json]').getAttribute('href')).toBe('/api/usage/export?days=30&format=json&scope=all');
    http.verify();
  });
});
