import type { ModelRoute } from '@lmarena-bridge/config';
import type { UsageNote } from '@lmarena-bridge/usage';
import { ProxyError } from '../errors/proxy-error';
import type { ChatProvider } from '../providers/chat-provider';
import type { ChatCompletion } from '../translate/chat-types';
import { sseFrame } from '../translate/chat-types';
import { responsesToChat } from '../translate/responses/responses-request';
import { chatToResponse } from '../translate/responses/responses-answer';
import { ResponsesStream } from '../translate/responses/responses-stream';
import type { AnswerShape, Endpoint, Exchange, ParsedRequest } from './endpoint';
import { translatedFrames } from './translated-frames';
import { OPENAI_ERRORS } from './openai-errors';
import { passthrough } from './passthrough.endpoints';
import { isObject, modelAndStream } from './request-fields';
import { noteFirstToken, noteStreamError, noteUsage, parseEvent, tokens } from './usage-fields';

function noteResponseUsage(note: UsageNote, usage: unknown): void {
  if (!isObject(usage)) return;
  note.promptTokens = tokens(usage['input_tokens']);
  note.completionTokens = tokens(usage['output_tokens']);
}

/** A Responses answer from an upstream that speaks the API: passed on, with the public model name. */
class ResponsesPassShape implements AnswerShape {
  readonly end = '';
  private sequence = 0;

  constructor(private readonly publicModel: string) {}

  json(body: Record<string, unknown>, status: number, note: UsageNote): unknown | null {
    noteResponseUsage(note, body['usage']);
    if (status >= 400 || body['model'] === this.publicModel) return null;
    return { ...body, model: this.publicModel };
  }

  async *frames(payloads: AsyncIterable<string>, note: UsageNote): AsyncIterable<string> {
    for await (const payload of payloads) {
      const event = parseEvent(payload);
      const type = typeof event['type'] === 'string' ? event['type'] : 'message';
      if (typeof event['sequence_number'] === 'number') this.sequence = event['sequence_number'] + 1;
      noteFirstToken(note, type === 'response.output_text.delta');
      const response = event['response'];
      if (isObject(response)) {
        noteResponseUsage(note, response['usage']);
        if (response['model'] !== this.publicModel) event['response'] = { ...response, model: this.publicModel };
      }
      if (type === 'error' || type === 'response.failed') {
        note.statusCode = 502;
        const error = isObject(response) && isObject(response['error']) ? response['error'] : event;
        note.errorMessage = typeof error['message'] === 'string' ? error['message'] : 'upstream stream error';
      }
      noteStreamError(note, event);
      yield `event: ${type}\ndata: ${event['response'] === response ? payload : JSON.stringify(event)}\n\n`;
    }
  }

  streamError(err: ProxyError): string {
    return sseFrame('error', { type: 'error', sequence_number: this.sequence, code: err.code, message: err.message, param: err.param });
  }
}

/** A chat answer translated to the Responses API (translate/responses). */
class ResponsesFromChatShape implements AnswerShape {
  readonly end = '';
  private readonly stream: ResponsesStream;

  constructor(
    private readonly request: Record<string, unknown>,
    private readonly publicModel: string,
  ) {
    this.stream = new ResponsesStream(request, publicModel);
  }

  json(body: Record<string, unknown>, status: number, note: UsageNote): unknown | null {
    noteUsage(note, body['usage']);
    if (status >= 400) return null; // the upstream's OpenAI-shaped error, as it sent it
    return chatToResponse(body as ChatCompletion, this.request, this.publicModel);
  }

  frames(payloads: AsyncIterable<string>, note: UsageNote): AsyncIterable<string> {
    return translatedFrames(payloads, note, this.stream);
  }

  streamError(err: ProxyError): string {
    return this.stream.fail(err.code, err.message);
  }
}

/**
 * POST /v1/responses (OpenAI Responses API, stateless). Passed through to openai providers
 * configured with `"responses": true`; translated to and from chat completions for every
 * other provider (echo, lmarena, chat-only upstreams).
 */
export const RESPONSES_ENDPOINT: Endpoint = {
  path: '/v1/responses',
  errors: OPENAI_ERRORS,
  parse(raw: unknown): ParsedRequest {
    const { body, model, stream } = modelAndStream(raw);
    if (body['input'] === undefined || body['input'] === null)
      throw ProxyError.invalidRequest('"input" is required: a string or an array of input items.', 'input');
    if (body['previous_response_id'] !== undefined && body['previous_response_id'] !== null) responsesToChat(body, model, stream); // refuses it
    return { model, stream, body };
  },
  plan(request: ParsedRequest, route: ModelRoute, provider: ChatProvider): Exchange {
    if (provider.serves?.('responses') === true) {
      return {
        call: passthrough(provider, 'responses', route, this.path, { path: '/responses', body: request.body, stream: request.stream }),
        shape: new ResponsesPassShape(route.name),
      };
    }
    const chat = responsesToChat(request.body, request.model, request.stream);
    return {
      call: (signal, requestId) => provider.complete({ route, body: chat, stream: request.stream, signal, requestId }),
      shape: new ResponsesFromChatShape(request.body, route.name),
    };
  },
};
