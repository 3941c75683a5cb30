import { authEntities } from '@lmarena-bridge/auth';
import { bridgeEntities } from '@lmarena-bridge/bridge';
import { AppConfig, ConfigModule } from '@lmarena-bridge/config';
import { DatabaseModule } from '@lmarena-bridge/database';
import { notificationEntities } from '@lmarena-bridge/notifications';
import { loggerModule } from '@lmarena-bridge/server';
import { usageEntities } from '@lmarena-bridge/usage';
import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { DashboardAuthModule } from './auth/auth.module';
import { DashboardLimitsModule } from './limits/limits.module';
import { BridgeDashboardModule } from './bridge/bridge.module';
import { OpsModule } from './ops/ops.module';
import { StatusModule } from './status/status.module';
import { TokensModule } from './tokens/tokens.module';
import { UsageApiModule } from './usage/usage-api.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logStream?: NodeJS.WritableStream): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggerModule('dashboard-api', logStream),
        DatabaseModule.forRoot([...authEntities, ...usageEntities, ...bridgeEntities, ...notificationEntities]),
        DashboardLimitsModule,
        DashboardAuthModule,
        TokensModule,
        AdminModule,
        StatusModule,
        OpsModule,
        UsageApiModule,
        BridgeDashboardModule,
        WebhooksModule,
      ],
    };
  }
}
