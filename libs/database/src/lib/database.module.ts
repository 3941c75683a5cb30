import { APP_CONFIG, AppConfig } from '@lmarena-bridge/config';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { dataSourceOptions, EntityList } from './data-source';
import { openDatabase } from './migrate';

/**
 * Opens the shared database and migrates it before any other module starts, so whichever
 * server boots first creates the schema and the other finds it ready.
 */
@Module({})
export class DatabaseModule {
  static forRoot(entities: EntityList): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config.database.target, entities, { queryTimeoutMs: config.database.query_timeout_ms }),
            retryAttempts: 2,
            retryDelay: 1000,
          }),
          dataSourceFactory: async (options) => {
            if (!options) throw new Error('DatabaseModule: no DataSource options');
            return openDatabase(new DataSource(options));
          },
        }),
      ],
    };
  }
}
