import { HttpClient, HttpParams } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { UsageLogPage, UsageLogQuery, UsageScopeParam, UsageSummary } from '@lmarena-bridge/contracts';
import { Observable } from 'rxjs';

export type ExportFormat = 'csv' | 'json';
/** The log filters the export honours too. */
export type UsageFilters = Omit<UsageLogQuery, 'limit' | 'cursor' | 'days'>;

function params(query: object): HttpParams {
  let p = new HttpParams();
  for (const [key, value] of Object.entries(query) as Array<[string, string | number | undefined | null]>) {
    if (value !== undefined && value !== null && value !== '') p = p.set(key, value);
  }
  return p;
}

/** Usage analytics: summaries, the request log and its export. */
@Injectable({ providedIn: 'root' })
export class UsageApi {
  private readonly http = inject(HttpClient);

  /** `scope: 'all'` widens an admin's summary to every user. */
  summary(days: number, scope?: UsageScopeParam): Observable<UsageSummary> {
    return this.http.get<UsageSummary>('/api/usage/summary', { params: params({ days, scope: scope === 'all' ? scope : undefined }) });
  }

  /** One page of the log, newest first; pass `next_cursor` back as `cursor` for the next. */
  logs(query: UsageLogQuery = {}): Observable<UsageLogPage> {
    return this.http.get<UsageLogPage>('/api/usage/logs', { params: params({ ...query, scope: query.scope === 'all' ? 'all' : undefined }) });
  }

  /**
   * A same-origin download link (the session cookie goes along) for the rows of the last
   * `days` days that match the same filters as the log.
   */
  exportUrl(days: number, format: ExportFormat = 'csv', filters: UsageFilters = {}): string {
    const query = params({ days, format, ...filters, scope: filters.scope === 'all' ? 'all' : undefined }).toString();
    return `/api/usage/export?${query}`;
  }
}
