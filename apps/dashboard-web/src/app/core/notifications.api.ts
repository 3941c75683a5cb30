import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { CreatedWebhook, Webhook, WebhookDelivery, WebhookDeliveryList, WebhookEventType, WebhookList } from '@lmarena-bridge/contracts';
import { map, Observable } from 'rxjs';

export type ReportPreference = 'off' | 'daily' | 'weekly';

/** The signed-in user's webhooks and e-mail report preference. */
@Injectable({ providedIn: 'root' })
export class NotificationsApi {
  private readonly http = inject(HttpClient);

  webhooks(): Observable<Webhook[]> {
    return this.http.get<WebhookList>('/api/webhooks').pipe(map((r) => r.webhooks));
  }

  /** The answer carries the signing secret: the only time it is shown. */
  create(body: { url: string; events: WebhookEventType[]; description?: string }): Observable<CreatedWebhook> {
    return this.http.post<CreatedWebhook>('/api/webhooks', body);
  }

  remove(id: number): Observable<void> {
    return this.http.delete<void>(`/api/webhooks/${id}`);
  }

  test(id: number): Observable<{ delivery_id: string }> {
    return this.http.post<{ delivery_id: string }>(`/api/webhooks/${id}/test`, null);
  }

  deliveries(id: number): Observable<WebhookDelivery[]> {
    return this.http.get<WebhookDeliveryList>(`/api/webhooks/${id}/deliveries`).pipe(map((r) => r.deliveries));
  }

  report(): Observable<ReportPreference> {
    return this.http.get<{ report: ReportPreference }>('/api/notifications/preferences').pipe(map((r) => r.report));
  }

  setReport(report: ReportPreference): Observable<ReportPreference> {
    return this.http.patch<{ report: ReportPreference }>('/api/auth/me', { report }).pipe(map((r) => r.report));
  }
}
