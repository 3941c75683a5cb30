import { UsageInterceptor } from '@lmarena-bridge/usage';
import { Controller, HttpCode, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyCaller } from '../auth/bearer.strategy';
import { ProxyAuthGuard } from '../auth/proxy-auth.guard';
import { ChatService } from './chat.service';

const ERROR_SCHEMA = {
  type: 'object',
  properties: { error: { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: 'string', nullable: true }, code: { type: 'string' } } } },
};

@ApiTags('chat')
@ApiBearerAuth()
@Controller('v1/chat')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post('completions')
  @HttpCode(200)
  @UseGuards(ProxyAuthGuard)
  @UseInterceptors(UsageInterceptor)
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
  @ApiResponse({ status: 504, description: 'upstream_timeout', schema: ERROR_SCHEMA })
  // Served by the chat front door (chat-front-door.ts) with these same guard, interceptor and
  // filter; the Express route stays for Swagger and for other spellings of the path.
  complete(@Req() req: IncomingMessage & { body?: unknown; user: ProxyCaller }, @Res() res: ServerResponse): Promise<void> {
    return this.chat.handle(req, res, req.user);
  }
}
