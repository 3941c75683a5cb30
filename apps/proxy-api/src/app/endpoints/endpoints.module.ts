import { Module } from '@nestjs/common';
import { PipelineModule } from '../pipeline/pipeline.module';
import { EndpointsController } from './endpoints.controller';
import { ModelsModule } from '../models/models.module';
import { ModelsController } from './models.controller';

/** POST /v1/embeddings, /v1/completions, /v1/responses, /v1/messages: served by the proxy pipeline; GET /v1/models. */
@Module({
  imports: [PipelineModule, ModelsModule],
  controllers: [EndpointsController, ModelsController],
})
export class EndpointsModule {}
