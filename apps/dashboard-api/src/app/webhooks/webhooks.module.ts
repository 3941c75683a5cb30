import { NotificationsModule } from '@lmarena-bridge/notifications';
import { Module } from '@nestjs/common';
import { DashboardAuthModule } from '../auth/auth.module';
import { NotificationPreferencesController } from './notification-preferences.controller';
import { WebhooksController } from './webhooks.controller';

@Module({ imports: [DashboardAuthModule, NotificationsModule], controllers: [WebhooksController, NotificationPreferencesController] })
export class WebhooksModule {}
