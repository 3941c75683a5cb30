import { Module } from '@nestjs/common';
import { PipelineModule } from '../pipeline/pipeline.module';
import { EndpointsController } from './endpoints.controller';

/** POST /v1/embeddings, /v1/completions, /v1/responses, /v1/messages: served by the proxy pipeline. */
@Module({
  imports: [PipelineModule],
  controllers: [EndpointsController],
})
export class EndpointsModule {}
