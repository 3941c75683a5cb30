import { Module } from '@nestjs/common';
import { PipelineModule } from '../pipeline/pipeline.module';
import { ChatController } from './chat.controller';

/** POST /v1/chat/completions: the route, served by the proxy pipeline. */
@Module({
  imports: [PipelineModule],
  controllers: [ChatController],
})
export class ChatModule {}
