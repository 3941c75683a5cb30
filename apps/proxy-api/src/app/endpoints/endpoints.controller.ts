import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyPipeline } from '../pipeline/proxy-pipeline';
import { ApiAnthropicErrors, ApiOpenAiErrors, PASSTHROUGH_ERRORS } from './api-errors';
import { COMPLETIONS_ENDPOINT, EMBEDDINGS_ENDPOINT } from './passthrough.endpoints';
import { MESSAGES_ENDPOINT } from './messages.endpoint';
import { RESPONSES_ENDPOINT } from './responses.endpoint';

/**
 * The endpoints besides chat completions. Each route hands the request to the one pipeline
 * with its endpoint (authentication, body, model, provider, answer, usage, errors); the
 * routes declare no guard, interceptor or pipe, and Express reads no body before them.
 */
@Controller('v1')
export class EndpointsController {
  constructor(private readonly pipeline: ProxyPipeline) {}

  @Post('embeddings')
  @HttpCode(200)
  @ApiTags('embeddings')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'OpenAI Embeddings',
    description: 'Passed to openai providers; echo answers a deterministic 256-float unit vector per input. encoding_format float or base64.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['model', 'input'],
      properties: {
        model: { type: 'string', example: 'echo' },
        input: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], example: 'Hello there' },
        encoding_format: { type: 'string', enum: ['float', 'base64'] },
      },
    },
  })
  @ApiOkResponse({ description: '{object:"list", data:[{object:"embedding", index, embedding}], model, usage}' })
  @ApiOpenAiErrors(PASSTHROUGH_ERRORS)
  embeddings(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.pipeline.run(req, res, EMBEDDINGS_ENDPOINT);
  }

  @Post('completions')
  @HttpCode(200)
  @ApiTags('completions')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'OpenAI legacy text completions (JSON or SSE)', description: 'Passed to openai providers; echo echoes the prompt.' })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['model', 'prompt'],
      properties: {
        model: { type: 'string', example: 'echo' },
        prompt: { type: 'string', example: 'Say this is a test' },
        max_tokens: { type: 'integer' },
        stream: { type: 'boolean' },
      },
    },
  })
  @ApiOkResponse({ description: 'text_completion (JSON) or text_completion events ending with data: [DONE]' })
  @ApiOpenAiErrors(PASSTHROUGH_ERRORS)
  completions(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.pipeline.run(req, res, COMPLETIONS_ENDPOINT);
  }

  @Post('responses')
  @HttpCode(200)
  @ApiTags('responses')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'OpenAI Responses API (stateless; JSON or typed SSE events)',
    description:
      'Passed to openai providers configured with "responses": true, translated to chat completions for every other provider. Nothing is stored: answers say store:false; previous_response_id is refused (400).',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['model', 'input'],
      properties: {
        model: { type: 'string', example: 'echo' },
        input: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }], example: 'Hello there' },
        instructions: { type: 'string' },
        tools: { type: 'array', items: { type: 'object' } },
        stream: { type: 'boolean' },
      },
    },
  })
  @ApiOkResponse({ description: 'a response object, or events response.created … response.completed' })
  @ApiOpenAiErrors(PASSTHROUGH_ERRORS)
  responses(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.pipeline.run(req, res, RESPONSES_ENDPOINT);
  }

  @Post('messages')
  @HttpCode(200)
  @ApiTags('anthropic')
  @ApiSecurity('x-api-key')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Anthropic Messages API (JSON or SSE events), translated to chat completions',
    description:
      'Authenticate with "x-api-key: sk-lmarena-…" or "Authorization: Bearer sk-lmarena-…"; anthropic-version is accepted. Errors in Anthropic\'s shape.',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['model', 'messages', 'max_tokens'],
      properties: {
        model: { type: 'string', example: 'echo' },
        max_tokens: { type: 'integer', example: 256 },
        system: { type: 'string' },
        messages: { type: 'array', items: { type: 'object' }, example: [{ role: 'user', content: 'Hello there' }] },
        tools: { type: 'array', items: { type: 'object' } },
        stream: { type: 'boolean' },
      },
    },
  })
  @ApiOkResponse({ description: 'a message object, or events message_start … message_stop' })
  @ApiAnthropicErrors([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [502, 'api_error'],
  ])
  messages(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.pipeline.run(req, res, MESSAGES_ENDPOINT);
  }
}
