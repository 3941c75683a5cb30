import type { ModelRoute } from '@lmarena-bridge/config';
import type { UsageNote } from '@lmarena-bridge/usage';
import { ProxyError } from '../errors/proxy-error';
import type { ChatProvider, PassthroughCall } from '../providers/chat-provider';
import { OpenAiPassShape } from './chat.endpoint';
import type { AnswerShape, Capability, Endpoint, Exchange, ParsedRequest } from './endpoint';
import { OPENAI_ERRORS } from './openai-errors';
import { isObject, modelAndStream, optional } from './request-fields';
import { tokens } from './usage-fields';

/** The provider's own answer to a non-chat endpoint, or 400 unsupported_endpoint. */
export function passthrough(
  provider: ChatProvider,
  capability: Capability,
  route: ModelRoute,
  endpointPath: string,
  call: Omit<PassthroughCall, 'route' | 'signal' | 'requestId'>,
): Exchange['call'] {
  if (!provider.passthrough || provider.serves?.(capability) !== true) throw ProxyError.unsupportedEndpoint(route.name, endpointPath);
  const send = provider.passthrough.bind(provider);
  return (signal, requestId) => send({ ...call, route, signal, requestId });
}

/** Embeddings answered as the provider sent them, with the public model name; prompt tokens noted. */
class EmbeddingsShape implements AnswerShape {
  readonly end = '';

  constructor(private readonly publicModel: string) {}

  json(body: Record<string, unknown>, status: number, note: UsageNote): unknown | null {
    const usage = isObject(body['usage']) ? body['usage'] : {};
    note.promptTokens = tokens(usage['prompt_tokens']);
    note.completionTokens = note.promptTokens === null ? null : 0;
    if (status >= 400 || body['model'] === this.publicModel) return null;
    return { ...body, model: this.publicModel };
  }

  // eslint-disable-next-line require-yield
  async *frames(): AsyncIterable<string> {
    throw ProxyError.upstream('The upstream answered an embeddings request with an event stream.');
  }

  streamError(err: ProxyError): string {
    return OPENAI_ERRORS.streamEnd(err);
  }
}

/** POST /v1/embeddings (OpenAI's shape), for providers that embed: openai upstreams and echo. */
export const EMBEDDINGS_ENDPOINT: Endpoint = {
  path: '/v1/embeddings',
  errors: OPENAI_ERRORS,
  parse(raw: unknown): ParsedRequest {
    const { body, model } = modelAndStream(raw);
    if (body['stream'] === true) throw ProxyError.invalidRequest('"stream" is not supported for embeddings.', 'stream');
    const input = body['input'];
    if (input === undefined || input === null || input === '' || (Array.isArray(input) && input.length === 0)) {
      throw ProxyError.invalidRequest('"input" is required: a string, an array of strings, or token ids.', 'input');
    }
    optional(body, 'encoding_format', (v) => v === 'float' || v === 'base64', '"float" or "base64"');
    return { model, stream: false, body };
  },
  plan(request: ParsedRequest, route: ModelRoute, provider: ChatProvider): Exchange {
    return {
      call: passthrough(provider, 'embeddings', route, this.path, { path: '/embeddings', body: request.body, stream: false }),
      shape: new EmbeddingsShape(route.name),
    };
  },
};

/** POST /v1/completions (legacy text completions), JSON or SSE, for openai upstreams and echo. */
export const COMPLETIONS_ENDPOINT: Endpoint = {
  path: '/v1/completions',
  errors: OPENAI_ERRORS,
  parse(raw: unknown): ParsedRequest {
    const { body, model, stream } = modelAndStream(raw);
    const prompt = body['prompt'];
    if (prompt === undefined || prompt === null) throw ProxyError.invalidRequest('"prompt" is required: a string or an array of strings.', 'prompt');
    optional(body, 'stream_options', isObject, 'an object');
    optional(body, 'max_tokens', (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0, 'a whole number of at least 0');
    return { model, stream, body };
  },
  plan(request: ParsedRequest, route: ModelRoute, provider: ChatProvider): Exchange {
    const wantsUsage = (request.body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true;
    return {
      call: passthrough(provider, 'completions', route, this.path, { path: '/completions', body: request.body, stream: request.stream }),
      shape: new OpenAiPassShape(route.name, wantsUsage),
    };
  },
};
