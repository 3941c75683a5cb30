import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyPipeline } from '../pipeline/proxy-pipeline';

const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: 'string', nullable: true }, code: { type: 'string' } },
    },
  },
};

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
  @ApiResponse({ status: 400, description: 'invalid_json / invalid_request', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 401, description: 'invalid_api_key', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 403, description: 'model_not_allowed', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 404, description: 'model_not_found', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 413, description: 'payload_too_large', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 502, description: 'upstream_error', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 503, description: 'upstream_unavailable', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 503, description: 'service_unavailable (too many request bodies in flight)', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 504, description: 'upstream_timeout', schema: ERROR_SCHEMA })
  // The canonical path is handed to the same pipeline below Express (pipeline/front-door.ts);
  // this route serves other spellings of the path and documents it for Swagger. The pipeline
  // authenticates, reads the body and answers every error itself, so the route declares no
  // guard, interceptor or pipe, and Express reads no body before it.
  complete(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.pipeline.run(req, res);
  }
}
