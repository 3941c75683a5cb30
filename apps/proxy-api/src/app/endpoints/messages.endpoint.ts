import type { ModelRoute } from '@lmarena-bridge/config';
import type { UsageNote } from '@lmarena-bridge/usage';
import { ProxyError } from '../errors/proxy-error';
import type { ChatProvider } from '../providers/chat-provider';
import { chatToMessage } from '../translate/anthropic/anthropic-answer';
import { ANTHROPIC_ERRORS, anthropicError } from '../translate/anthropic/anthropic-errors';
import { anthropicToChat } from '../translate/anthropic/anthropic-request';
import { AnthropicStream } from '../translate/anthropic/anthropic-stream';
import type { ChatCompletion } from '../translate/chat-types';
import type { AnswerShape, Endpoint, Exchange, ParsedRequest } from './endpoint';
import { translatedFrames } from './translated-frames';
import { modelAndStream } from './request-fields';
import { noteUsage } from './usage-fields';

/** A chat answer translated to Anthropic Messages (translate/anthropic). */
class MessagesFromChatShape implements AnswerShape {
  readonly end = '';
  private readonly stream: AnthropicStream;

  constructor(private readonly publicModel: string) {
    this.stream = new AnthropicStream(publicModel);
  }

  json(body: Record<string, unknown>, status: number, note: UsageNote): unknown | null {
    noteUsage(note, body['usage']);
    if (status >= 400) {
      // The upstream's own (OpenAI-shaped) error, in Anthropic's shape with the same status.
      const error = body['error'] as { message?: unknown } | undefined;
      return anthropicError(status, typeof error?.message === 'string' ? error.message : `The upstream answered ${status}.`);
    }
    return chatToMessage(body as ChatCompletion, this.publicModel);
  }

  frames(payloads: AsyncIterable<string>, note: UsageNote): AsyncIterable<string> {
    return translatedFrames(payloads, note, this.stream);
  }

  streamError(err: ProxyError): string {
    return this.stream.fail(err.status, err.message);
  }
}

/**
 * POST /v1/messages (Anthropic Messages API, for Claude Code and the Anthropic SDKs):
 * translated to chat completions for any provider. The key may come in `x-api-key`;
 * `anthropic-version` is accepted (not checked); errors are in Anthropic's shape.
 */
export const MESSAGES_ENDPOINT: Endpoint = {
  path: '/v1/messages',
  errors: ANTHROPIC_ERRORS,
  acceptsXApiKey: true,
  parse(raw: unknown): ParsedRequest {
    const { body, model, stream } = modelAndStream(raw);
    // Validated here (not only when planned) so that a bad body is a 400 before the model lookup.
    anthropicToChat(body, model, stream);
    return { model, stream, body };
  },
  plan(request: ParsedRequest, route: ModelRoute, provider: ChatProvider): Exchange {
    const chat = anthropicToChat(request.body, request.model, request.stream);
    return {
      call: (signal, requestId) => provider.complete({ route, body: chat, stream: request.stream, signal, requestId }),
      shape: new MessagesFromChatShape(route.name),
    };
  },
};
