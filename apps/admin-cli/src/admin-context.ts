import { AuthModule, authEntities } from '@lmarena-bridge/auth';
import { BridgeModule, bridgeEntities } from '@lmarena-bridge/bridge';
import { AppConfig, ConfigModule } from '@lmarena-bridge/config';
import { DatabaseModule } from '@lmarena-bridge/database';
import { UsageAnalyticsModule, usageEntities } from '@lmarena-bridge/usage';
import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/** The libraries' own services (users, tokens, usage), as the servers wire them. */
@Module({})
class AdminCliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AdminCliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot([...authEntities, ...usageEntities, ...bridgeEntities]),
        AuthModule,
        UsageAnalyticsModule,
        BridgeModule,
      ],
    };
  }
}

/**
 * Runs `work` with a Nest application context on the configured database (opened and
 * migrated like a server start), closed afterwards whatever happens.
 */
export async function withAdminContext<T>(config: AppConfig, work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  const app = await NestFactory.createApplicationContext(AdminCliModule.forRoot(config), { logger: false, abortOnError: false });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}
