import { authEntities } from '@lmarena-bridge/auth';
import { bridgeEntities } from '@lmarena-bridge/bridge';
import { AppConfig, ConfigModule } from '@lmarena-bridge/config';
import { DatabaseModule } from '@lmarena-bridge/database';
import { loggerModule } from '@lmarena-bridge/server';
import { usageEntities } from '@lmarena-bridge/usage';
import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ChatModule } from './chat/chat.module';
import { EndpointsModule } from './endpoints/endpoints.module';
import { OpenAiExceptionFilter } from './errors/openai-exception.filter';
import { HealthModule } from './health/health.module';
import { ModelsModule } from './models/models.module';
import { OpsModule } from './ops/ops.module';

/** The routes the pipeline answers (ChatController, EndpointsController): no access log line. */
const PROXIED_ROUTES = ['v1/chat/completions', 'v1/embeddings', 'v1/completions', 'v1/responses', 'v1/messages'].map((path) => ({
  path,
  method: RequestMethod.POST,
}));

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logStream?: NodeJS.WritableStream): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        // Proxied requests are recorded in usage_logs; a per-request access log line would cost
        // more than the rest of the hot path (measured with --cpu-prof).
        loggerModule('proxy-api', logStream, PROXIED_ROUTES),
        DatabaseModule.forRoot([...authEntities, ...usageEntities, ...bridgeEntities]),
        HealthModule,
        OpsModule,
        ModelsModule,
        ChatModule,
        EndpointsModule,
      ],
      // Errors of Nest's routes (unknown paths, /v1/models); the pipeline's fail step has its own.
      providers: [{ provide: APP_FILTER, useClass: OpenAiExceptionFilter }],
    };
  }
}
