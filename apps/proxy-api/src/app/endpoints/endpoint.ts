import type { ModelRoute } from '@lmarena-bridge/config';
import type { UsageNote } from '@lmarena-bridge/usage';
import type { ProxyError } from '../errors/proxy-error';
import type { ChatAnswer, ChatProvider, ClientGone } from '../providers/chat-provider';

/** What a provider may serve besides chat completions (ChatProvider.serves). */
export type Capability = 'chat' | 'completions' | 'embeddings' | 'responses';

/** A client's request, validated by its endpoint: the model it names and whether it streams. */
export interface ParsedRequest {
  model: string;
  stream: boolean;
  body: Record<string, unknown>;
}

/** How errors look on an endpoint: OpenAI's `{"error":{…}}` or Anthropic's `{"type":"error",…}`. */
export interface ErrorShape {
  body(err: ProxyError): unknown;
  /** The text that ends a stream that already started. */
  streamEnd(err: ProxyError): string;
}

/**
 * How a provider's answer reaches the client on one request: the JSON body to send (null: the
 * provider's raw bytes unchanged), the SSE frames made from the provider's event payloads, and
 * the texts that end the stream. It notes tokens and the time to the first token. One per
 * request (translators keep state: sequence numbers, open blocks).
 */
export interface AnswerShape {
  json(body: Record<string, unknown>, status: number, note: UsageNote): unknown | null;
  frames(payloads: AsyncIterable<string>, note: UsageNote): AsyncIterable<string>;
  /** Written after the last frame of a stream that ended well. */
  readonly end: string;
  /** Written instead of `end` when the stream failed after it started. */
  streamError(err: ProxyError): string;
}

/** One exchange: what the provider is asked, and how its answer is shaped for the client. */
export interface Exchange {
  call(signal: ClientGone, requestId?: string): Promise<ChatAnswer>;
  shape: AnswerShape;
}

/**
 * One proxied endpoint (chat completions, embeddings, Responses, Anthropic Messages…). The
 * pipeline runs the same steps for each; the endpoint supplies what differs: the body's
 * validation, what the provider is asked, how its answer is shaped, how errors look.
 */
export interface Endpoint {
  readonly path: string;
  readonly errors: ErrorShape;
  /** Also accept the key in `x-api-key` (Anthropic's clients send it there). */
  readonly acceptsXApiKey?: boolean;
  parse(raw: unknown): ParsedRequest;
  /** Throws `unsupported_endpoint` when the provider cannot serve it. */
  plan(request: ParsedRequest, route: ModelRoute, provider: ChatProvider): Exchange;
}
