import type { ModelRoute } from '@lmarena-bridge/config';
import type { UsageNote } from '@lmarena-bridge/usage';
import { parseChatBody } from '../chat/chat-body';
import type { ProxyError } from '../errors/proxy-error';
import type { ChatBody, ChatProvider } from '../providers/chat-provider';
import type { AnswerShape, Endpoint, Exchange, ParsedRequest } from './endpoint';
import { OPENAI_ERRORS } from './openai-errors';
import { noteFirstToken, noteStreamError, noteUsage, parseEvent } from './usage-fields';

type Choices = Array<{ delta?: { content?: unknown }; text?: unknown }> | undefined;

/**
 * Chat completions and legacy text completions answered as the upstream sent them, with two
 * changes: the model is the public name the client asked for (an aliased model would
 * otherwise answer with the upstream's id), and the usage chunk the proxy always asks for is
 * removed unless the client asked for it too.
 */
export class OpenAiPassShape implements AnswerShape {
  readonly end = 'data: [DONE]\n\n';

  constructor(
    private readonly publicModel: string,
    private readonly clientWantsUsage: boolean,
  ) {}

  json(body: Record<string, unknown>, status: number, note: UsageNote): unknown | null {
    noteUsage(note, body['usage']);
    if (status >= 400 || body['model'] === undefined || body['model'] === this.publicModel) return null;
    return { ...body, model: this.publicModel };
  }

  async *frames(payloads: AsyncIterable<string>, note: UsageNote): AsyncIterable<string> {
    for await (const payload of payloads) {
      const chunk = parseEvent(payload);
      let changed = false;
      const choices = chunk['choices'] as Choices;
      noteFirstToken(
        note,
        choices?.some((c) => (typeof c.delta?.content === 'string' && c.delta.content !== '') || (typeof c.text === 'string' && c.text !== '')) === true,
      );
      if (chunk['usage']) {
        noteUsage(note, chunk['usage']);
        if (!this.clientWantsUsage) {
          if (!choices || choices.length === 0) continue;
          delete chunk['usage'];
          changed = true;
        }
      }
      noteStreamError(note, chunk);
      if (chunk['model'] !== undefined && chunk['model'] !== this.publicModel) {
        chunk['model'] = this.publicModel;
        changed = true;
      }
      yield `data: ${changed ? JSON.stringify(chunk) : payload}\n\n`;
    }
  }

  streamError(err: ProxyError): string {
    return OPENAI_ERRORS.streamEnd(err);
  }
}

/** POST /v1/chat/completions. */
export const CHAT_ENDPOINT: Endpoint = {
  path: '/v1/chat/completions',
  errors: OPENAI_ERRORS,
  parse(raw: unknown): ParsedRequest {
    const body = parseChatBody(raw);
    return { model: body.model, stream: body.stream === true, body };
  },
  plan(request: ParsedRequest, route: ModelRoute, provider: ChatProvider): Exchange {
    const body = request.body as ChatBody;
    return {
      call: (signal, requestId) => provider.complete({ route, body, stream: request.stream, signal, requestId }),
      shape: new OpenAiPassShape(route.name, body.stream_options?.include_usage === true),
    };
  },
};
