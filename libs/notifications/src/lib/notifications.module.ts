import { DomainEventSink } from '@lmarena-bridge/auth';
import { Global, Module } from '@nestjs/common';
import { NotificationPreferences } from './preferences.service';
import { WebhookRuntime } from './webhook-runtime';
import { WebhooksService } from './webhooks.service';

/**
 * Webhooks for the dashboard. Global so that the auth library's services, which know only the
 * DomainEventSink class, find the outbox writer (optional injection) without importing this.
 */
@Global()
@Module({
  providers: [WebhookRuntime, { provide: DomainEventSink, useExisting: WebhookRuntime }, WebhooksService, NotificationPreferences],
  exports: [WebhookRuntime, DomainEventSink, WebhooksService, NotificationPreferences],
})
export class NotificationsModule {}
