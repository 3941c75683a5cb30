import { authEntities } from '@lmarena-bridge/auth';
import { AppConfig, ConfigModule } from '@lmarena-bridge/config';
import { DatabaseModule } from '@lmarena-bridge/database';
import { loggerModule } from '@lmarena-bridge/server';
import { usageEntities } from '@lmarena-bridge/usage';
import { DynamicModule, Module } from '@nestjs/common';
import { StatusModule } from './status/status.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggerModule('dashboard-api'),
        DatabaseModule.forRoot([...authEntities, ...usageEntities]),
        StatusModule,
      ],
    };
  }
}
