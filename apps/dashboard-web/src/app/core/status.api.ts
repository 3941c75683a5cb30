import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { DashboardStatus } from '@lmarena-bridge/contracts';
import { Observable } from 'rxjs';

/** GET /api/status: the dashboard server and its database, measured on each call. */
@Injectable({ providedIn: 'root' })
export class StatusApi {
  private readonly http = inject(HttpClient);

  status(): Observable<DashboardStatus> {
    return this.http.get<DashboardStatus>('/api/status');
  }
}
