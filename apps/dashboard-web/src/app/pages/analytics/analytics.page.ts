import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import type { UsageLogEntry, UsageLogQuery, UsageScopeParam, UsageSummary } from '@lmarena-bridge/contracts';
import { catchError, defer, finalize, map, merge, of, Subscription, switchMap } from 'rxjs';
import { barOptions, doughnutOptions, lineOptions } from '../../charts/chart-options';
import { ChartComponent } from '../../charts/chart.component';
import { costPerDay, modelShare, requestsPerDay, requestsPerToken, responseTimePerDay } from '../../charts/usage-charts';
import { latencyWhenAny, successRatio } from '../../core/format';
import { CountPipe, LocalDateTimePipe, ModelPipe, MsPipe, NumberPipe, PctPipe, UsdPipe } from '../../core/format.pipes';
import { describeHttpError } from '../../core/http-error';
import { Remote } from '../../core/remote';
import { SessionStore } from '../../core/session.store';
import { UsageApi } from '../../core/usage.api';
import { StatusBadgeComponent } from '../../shared/status-badge.component';

export const RANGES = [7, 30, 90] as const;
export type RangeDays = (typeof RANGES)[number];
export const LOG_PAGE_SIZE = 50;

interface LogList {
  query: UsageLogQuery;
  logs: UsageLogEntry[];
  next: string | null;
}

@Component({
  selector: 'lmb-analytics-page',
  imports: [ReactiveFormsModule, ChartComponent, NumberPipe, CountPipe, MsPipe, PctPipe, UsdPipe, LocalDateTimePipe, ModelPipe, StatusBadgeComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './analytics.page.html',
})
export class AnalyticsPage {
  protected readonly latencyFigure = latencyWhenAny;
  private readonly api = inject(UsageApi);
  private readonly destroyRef = inject(DestroyRef);

  protected readonly ranges = RANGES;
  protected readonly days = signal<RangeDays>(30);
  /** Admins may look at everyone's usage. */
  protected readonly isAdmin = inject(SessionStore).isAdmin;
  protected readonly scope = signal<UsageScopeParam>('mine');
  protected readonly summary = new Remote<UsageSummary>();
  private readonly summaryQuery = computed(() => ({ days: this.days(), scope: this.scope() }));

  protected readonly successRate = computed(() => {
    const s = this.summary.value();
    return s ? successRatio(s.success_requests, s.total_requests) : null;
  });
  protected readonly perDay = computed(() => this.chartOf(requestsPerDay));
  protected readonly latency = computed(() => this.chartOf(responseTimePerDay));
  /** Shown when the range cost anything (no priced model: nothing to draw). */
  protected readonly cost = computed(() => ((this.summary.value()?.cost_usd ?? 0) > 0 ? this.chartOf(costPerDay) : null));
  protected readonly models = computed(() => (this.summary.value()?.by_model.length ? this.chartOf(modelShare) : null));
  protected readonly perToken = computed(() => (this.summary.value()?.by_token.length ? this.chartOf(requestsPerToken) : null));
  protected readonly modelRows = computed(() => [...(this.summary.value()?.by_model ?? [])].sort((a, b) => b.requests - a.requests));
  protected readonly perDayOptions = barOptions({ stacked: true });
  protected readonly latencyOptions = lineOptions({ kind: 'ms' });
  protected readonly costOptions = barOptions({ kind: 'usd', legend: false });
  protected readonly modelOptions = doughnutOptions();
  protected readonly tokenOptions = barOptions({ horizontal: true, legend: false });

  // Filter choices: what the selected range's summary saw.
  /** The proxy's endpoints (a row's endpoint is one of these paths). */
  protected readonly endpointChoices = ['/v1/chat/completions', '/v1/responses', '/v1/messages', '/v1/completions', '/v1/embeddings'] as const;
  protected readonly modelChoices = computed(() => (this.summary.value()?.by_model ?? []).map((m) => m.model).sort());
  protected readonly tokenChoices = computed(() => [...(this.summary.value()?.by_token ?? [])].sort((a, b) => a.name.localeCompare(b.name)));
  protected readonly statusChoices = computed(() => (this.summary.value()?.by_status ?? []).map((s) => s.status_code).sort((a, b) => a - b));

  protected readonly filters = inject(NonNullableFormBuilder).group({ q: '', model: '', endpoint: '', token: '', status: '' });
  /** The log filters from the form (server-side search). */
  private readonly query = signal<UsageLogQuery>({});
  /** The log follows the selected range and scope, like the charts and the export. */
  private readonly logQuery = computed<UsageLogQuery>(() => ({ ...this.query(), days: this.days(), scope: this.scope() }));
  protected readonly exportCsv = computed(() => this.api.exportUrl(this.days(), 'csv', { ...this.query(), scope: this.scope() }));
  protected readonly exportJson = computed(() => this.api.exportUrl(this.days(), 'json', { ...this.query(), scope: this.scope() }));
  protected readonly log = signal<LogList | null>(null);
  protected readonly logLoading = signal(false);
  protected readonly logError = signal<string | null>(null);
  protected readonly moreLoading = signal(false);
  private more: Subscription | null = null;
  protected readonly filtered = computed(() => Object.keys(this.query()).length > 0);

  constructor() {
    toObservable(this.summaryQuery)
      .pipe(
        switchMap(({ days, scope }) => this.summary.run(this.api.summary(days, scope))),
        takeUntilDestroyed(),
      )
      .subscribe();
    toObservable(this.logQuery)
      .pipe(
        switchMap((query) =>
          defer(() => {
            this.more?.unsubscribe();
            this.moreLoading.set(false);
            this.logLoading.set(true);
            this.logError.set(null);
            return this.api.logs({ ...query, limit: LOG_PAGE_SIZE }).pipe(
              map((page): LogList => ({ query, logs: page.logs, next: page.next_cursor })),
              catchError((err: unknown) => {
                this.logError.set(describeHttpError(err));
                return of(null);
              }),
              finalize(() => this.logLoading.set(false)),
            );
          }),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((list) => this.log.set(list));
    // Choosing from a list searches at once; the text box searches on Enter / Search.
    const c = this.filters.controls;
    merge(c.model.valueChanges, c.endpoint.valueChanges, c.token.valueChanges, c.status.valueChanges)
      .pipe(takeUntilDestroyed())
      .subscribe(() => this.applyFilters());
  }

  private chartOf<T>(build: (summary: UsageSummary) => T): T | null {
    const summary = this.summary.value();
    return summary ? build(summary) : null;
  }

  protected setRange(days: RangeDays): void {
    this.days.set(days);
  }

  protected setScope(scope: UsageScopeParam): void {
    this.scope.set(scope);
  }

  protected retrySummary(): void {
    this.summary.run(this.api.summary(this.days(), this.scope())).pipe(takeUntilDestroyed(this.destroyRef)).subscribe();
  }

  /** Server-side search: the form becomes the log query (blank fields are left out). */
  protected applyFilters(): void {
    const { q, model, endpoint, token, status } = this.filters.getRawValue();
    const query: UsageLogQuery = {};
    if (q.trim()) query.q = q.trim();
    if (model) query.model = model;
    if (endpoint) query.endpoint = endpoint;
    if (token) query.token_id = Number(token);
    if (status) query.status = status;
    this.query.set(query);
  }

  protected clearFilters(): void {
    this.filters.reset(undefined, { emitEvent: false });
    this.query.set({});
  }

  protected retryLog(): void {
    this.query.set({ ...this.query() });
  }

  protected loadMore(): void {
    const list = this.log();
    if (!list?.next || this.moreLoading()) return;
    this.moreLoading.set(true);
    this.logError.set(null);
    this.more = this.api
      .logs({ ...list.query, limit: LOG_PAGE_SIZE, cursor: list.next })
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe({
        next: (page) => {
          // Only if the filters did not change meanwhile (the list is the same object).
          if (this.log() === list) this.log.set({ query: list.query, logs: [...list.logs, ...page.logs], next: page.next_cursor });
          this.moreLoading.set(false);
        },
        error: (err: unknown) => {
          this.logError.set(describeHttpError(err));
          this.moreLoading.set(false);
        },
      });
  }
}
