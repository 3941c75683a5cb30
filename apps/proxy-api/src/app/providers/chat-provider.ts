import type { ModelRoute } from '@lmarena-bridge/config';
import { EventEmitter } from 'node:events';
import type { Capability } from '../endpoints/endpoint';

/** A chat completion request body: validated essentials, everything else passed through. */
export interface ChatBody {
  model: string;
  messages: Array<Record<string, unknown>>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } & Record<string, unknown>;
  max_tokens?: number;
  [key: string]: unknown;
}

export interface ChatCall {
  route: ModelRoute;
  body: ChatBody;
  stream: boolean;
  /** Aborted when the client goes away: providers stop their upstream work. */
  signal: ClientGone;
  /** The request's id (x-request-id), passed upstream where the provider can. */
  requestId?: string;
}

/**
 * The abort signal of one request: `aborted` and an 'abort' event, which is all undici and the
 * providers read. An EventEmitter, not an AbortController: undici takes either, and on Node 20
 * an AbortController (an EventTarget) per request was ~4 % of the proxy's CPU at 64 clients.
 */
export class ClientGone extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/**
 * What a provider answers.
 * - `json`: a complete answer (the upstream's own error bodies too, with their status);
 *   `raw` is the exact bytes to send when the provider has them.
 * - `stream`: the SSE data payloads (JSON text, without `[DONE]`), always ending with a usage
 *   chunk when the upstream reports usage; the proxy hides it from clients that did not ask.
 *   An error thrown while iterating becomes the final SSE error event.
 * `usageEstimated`: the token counts were computed by the proxy (a tokenizer), not reported by
 * the upstream (the LMArena site reports none); the usage row is marked so.
 */
export type ChatAnswer =
  | { kind: 'json'; status: number; body: unknown; raw?: Buffer; usageEstimated?: boolean }
  | { kind: 'stream'; events: AsyncIterable<string>; usageEstimated?: boolean };

/** A request a provider answers in its own protocol (an OpenAI upstream's /v1/embeddings…). */
export interface PassthroughCall {
  route: ModelRoute;
  path: '/completions' | '/embeddings' | '/responses';
  body: Record<string, unknown>;
  stream: boolean;
  signal: ClientGone;
  /** The proxy's request id, sent upstream as `x-request-id`. */
  requestId?: string;
}

export interface ChatProvider {
  complete(call: ChatCall): Promise<ChatAnswer>;
  /**
   * Whether the provider answers this endpoint itself (`passthrough`). Chat is always served;
   * Responses and Anthropic Messages are translated to chat for providers that do not.
   */
  serves?(capability: Capability): boolean;
  passthrough?(call: PassthroughCall): Promise<ChatAnswer>;
}
