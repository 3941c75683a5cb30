import { NotificationsModule } from '@lmarena-bridge/notifications';
import { Module } from '@nestjs/common';
import { DashboardAuthModule } from '../auth/auth.module';
import { WebhooksController } from './webhooks.controller';

@Module({ imports: [DashboardAuthModule, NotificationsModule], controllers: [WebhooksController] })
export class WebhooksModule {}
