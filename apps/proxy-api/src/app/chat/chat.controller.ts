import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiOpenAiErrors } from '../endpoints/api-errors';
import { ProxyPipeline } from '../pipeline/proxy-pipeline';

@ApiTags('chat')
@ApiBearerAuth()
@Controller('v1/chat')
export class ChatController {
  constructor(private readonly pipeline: ProxyPipeline) {}

  @Post('completions')
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI Chat Completions (JSON or SSE streaming)', description: 'Unknown fields are passed to the upstream.' })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['model', 'messages'],
      properties: {
        model: { type: 'string', example: 'echo' },
        messages: { type: 'array', items: { type: 'object' }, example: [{ role: 'user', content: 'Hello there' }] },
        stream: { type: 'boolean', example: false },
        stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } } },
      },
    },
  })
  @ApiOkResponse({ description: 'chat.completion (JSON) or chat.completion.chunk events ending with data: [DONE]' })
  @ApiOpenAiErrors([
    [400, 'invalid_json / invalid_request'],
    [401, 'invalid_api_key'],
    [403, 'model_not_allowed'],
    [404, 'model_not_found'],
    [413, 'payload_too_large'],
    [502, 'upstream_error'],
    [503, 'upstream_unavailable'],
    [503, 'service_unavailable (too many request bodies in flight)'],
    [504, 'upstream_timeout'],
  ])
  // The canonical path is handed to the same pipeline below Express (pipeline/front-door.ts);
  // this route serves other spellings of the path and documents it for Swagger. The pipeline
  // authenticates, reads the body and answers every error itself, so the route declares no
  // guard, interceptor or pipe, and Express reads no body before it.
  complete(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.pipeline.run(req, res);
  }
}
