import { ChangeDetectionStrategy, Component, computed, inject, InjectionToken } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { RouterLink } from '@angular/router';
import type { DashboardStatus, UsageLogPage, UsageSummary } from '@lmarena-bridge/contracts';
import { exhaustMap, interval, merge, startWith, Subject, switchMap } from 'rxjs';
import { barOptions } from '../../charts/chart-options';
import { ChartComponent } from '../../charts/chart.component';
import { requestsPerDay, topModels } from '../../charts/usage-charts';
import { CountPipe, LocalDateTimePipe, ModelPipe, MsPipe, NumberPipe, PctPipe, UsdPipe } from '../../core/format.pipes';
import { formatCount, formatDateTime, latencyWhenAny, successRatio } from '../../core/format';
import { PROXY_BASE_URL } from '../../core/proxy-url';
import { Remote } from '../../core/remote';
import { SessionStore } from '../../core/session.store';
import { StatusApi } from '../../core/status.api';
import { UsageApi } from '../../core/usage.api';
import { StatusBadgeComponent } from '../../shared/status-badge.component';

/** How often the dashboard refreshes (ms). */
export const DASHBOARD_REFRESH_MS = new InjectionToken<number>('DASHBOARD_REFRESH_MS', { providedIn: 'root', factory: () => 30_000 });
export const DASHBOARD_DAYS = 30;

@Component({
  selector: 'lmb-dashboard-page',
  imports: [RouterLink, ChartComponent, NumberPipe, CountPipe, MsPipe, PctPipe, UsdPipe, LocalDateTimePipe, ModelPipe, StatusBadgeComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './dashboard.page.html',
})
export class DashboardPage {
  private readonly usage = inject(UsageApi);
  private readonly statusApi = inject(StatusApi);
  protected readonly proxyBaseUrl = inject(PROXY_BASE_URL);
  protected readonly days = DASHBOARD_DAYS;
  protected readonly latencyFigure = latencyWhenAny;
  protected readonly isAdmin = inject(SessionStore).isAdmin;

  protected readonly summary = new Remote<UsageSummary>();
  protected readonly recent = new Remote<UsageLogPage>();
  protected readonly status = new Remote<DashboardStatus>();
  private readonly refreshNow = new Subject<void>();

  protected readonly successRate = computed(() => {
    const s = this.summary.value();
    return s ? successRatio(s.success_requests, s.total_requests) : null;
  });
  protected readonly perDay = computed(() => {
    const s = this.summary.value();
    return s ? requestsPerDay(s) : null;
  });
  protected readonly models = computed(() => {
    const s = this.summary.value();
    return s && s.by_model.length ? topModels(s) : null;
  });
  protected readonly perDayOptions = barOptions({ stacked: true });
  protected readonly modelOptions = barOptions({ horizontal: true, legend: false });
  protected readonly updatedText = computed(() => {
    const at = this.summary.updatedAt();
    return at ? formatDateTime(at.toISOString()) : null;
  });
  /** The bridge card's headline: how many browsers serve the LMArena models right now. */
  protected readonly bridgeText = computed(() => {
    const bridge = this.status.value()?.bridge;
    if (bridge === undefined) return null;
    if (bridge === null) return 'Unknown';
    return bridge.browsers === 0 ? 'No browser connected' : formatCount(bridge.browsers, 'browser connected', 'browsers connected');
  });
  protected readonly loading = computed(() => this.summary.loading() || this.recent.loading());

  constructor() {
    const every = inject(DASHBOARD_REFRESH_MS);
    // One refresh at a time; a tick during a slow refresh is skipped. The values stay on
    // screen while refreshing and the charts update in place.
    this.refreshNow
      .pipe(
        startWith(undefined),
        switchMap(() => interval(every).pipe(startWith(0))),
        exhaustMap(() =>
          merge(this.summary.run(this.usage.summary(DASHBOARD_DAYS)), this.recent.run(this.usage.logs({ limit: 5 })), this.status.run(this.statusApi.status())),
        ),
        takeUntilDestroyed(),
      )
      .subscribe();
  }

  protected refresh(): void {
    this.refreshNow.next();
  }
}
