import { randomUUID } from 'node:crypto';
import { setImmediate as nextTick } from 'node:timers/promises';
import type { Capability } from '../../endpoints/endpoint';
import { ProxyError } from '../../errors/proxy-error';
import { ChatAnswer, ChatBody, ChatCall, ChatProvider, ClientGone, PassthroughCall } from '../chat-provider';
import { echoEmbeddings } from './echo-embeddings';

/** The text of a message: a string, or the text parts of a content array. */
export function messageText(message: Record<string, unknown>): string {
  const content = message['content'];
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        part && typeof part === 'object' && (part as { type?: unknown }).type === 'text' ? String((part as { text?: unknown }).text ?? '') : '',
      )
      .join('');
  }
  return '';
}

/** Echo counts whitespace-separated words as tokens: deterministic and explainable. */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

export interface EchoReply {
  content: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
}

/**
 * The reply: the last user message, word for word, cut at `max_completion_tokens` (or `max_tokens`) words when given
 * (finish_reason "length" then).
 */
export function echoReply(body: ChatBody): EchoReply {
  const lastUser = [...body.messages].reverse().find((m) => m['role'] === 'user');
  const text = lastUser ? messageText(lastUser) : '';
  const pieces = text.match(/\S+\s*/g) ?? [];
  const cap = body['max_completion_tokens'] ?? body.max_tokens;
  const limit = typeof cap === 'number' ? cap : Infinity;
  const kept = pieces.slice(0, limit);
  const cut = kept.length < pieces.length;
  const content = cut ? kept.join('').trimEnd() : text;
  return {
    content,
    finishReason: cut ? 'length' : 'stop',
    promptTokens: body.messages.reduce((sum, m) => sum + countWords(messageText(m)), 0),
    completionTokens: countWords(content),
  };
}

/** The prompt of a legacy completions request: a string or the strings of an array. */
function promptText(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt)) return prompt.map((p) => (typeof p === 'string' ? p : Array.isArray(p) ? p.join(' ') : String(p))).join('\n');
  throw ProxyError.invalidRequest('"prompt" must be a string or an array of strings.', 'prompt');
}

/**
 * Built-in offline provider: a fresh install works end to end without credentials. It
 * answers chat, legacy completions (the prompt echoed) and embeddings (echo-embeddings.ts);
 * the Responses API and Anthropic Messages reach it translated to chat.
 */
export class EchoProvider implements ChatProvider {
  serves(capability: Capability): boolean {
    return capability !== 'responses';
  }

  async passthrough(call: PassthroughCall): Promise<ChatAnswer> {
    if (call.path === '/embeddings') return { kind: 'json', status: 200, body: echoEmbeddings(call.body, call.route.name) };
    if (call.path !== '/completions') throw ProxyError.unsupportedEndpoint(call.route.name, `/v1${call.path}`);
    // The chat reply of a one-message conversation, in the legacy completions shape.
    const reply = echoReply({ ...call.body, model: call.route.name, messages: [{ role: 'user', content: promptText(call.body['prompt']) }] } as ChatBody);
    const id = `cmpl-echo-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = call.route.name;
    const usage = { prompt_tokens: reply.promptTokens, completion_tokens: reply.completionTokens, total_tokens: reply.promptTokens + reply.completionTokens };
    if (!call.stream) {
      return {
        kind: 'json',
        status: 200,
        body: {
          id,
          object: 'text_completion',
          created,
          model,
          system_fingerprint: null,
          choices: [{ index: 0, text: reply.content, logprobs: null, finish_reason: reply.finishReason }],
          usage,
        },
      };
    }
    const signal = call.signal;
    async function* events(): AsyncIterable<string> {
      const chunk = (text: string, finish: string | null) =>
        JSON.stringify({ id, object: 'text_completion', created, model, choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] });
      for (const word of reply.content.match(/\s*\S+\s*|\s+/g) ?? []) {
        await nextTick();
        if (signal.aborted) return;
        yield chunk(word, null);
      }
      yield chunk('', reply.finishReason);
      yield JSON.stringify({ id, object: 'text_completion', created, model, choices: [], usage });
    }
    return { kind: 'stream', events: events() };
  }

  async complete(call: ChatCall): Promise<ChatAnswer> {
    const reply = echoReply(call.body);
    const id = `chatcmpl-echo-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = call.route.name;
    const usage = { prompt_tokens: reply.promptTokens, completion_tokens: reply.completionTokens, total_tokens: reply.promptTokens + reply.completionTokens };
    if (!call.stream) {
      return {
        kind: 'json',
        status: 200,
        body: {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: reply.content, refusal: null }, logprobs: null, finish_reason: reply.finishReason }],
          usage,
        },
      };
    }
    return { kind: 'stream', events: this.stream(id, created, model, reply, usage, call.signal) };
  }

  private async *stream(id: string, created: number, model: string, reply: EchoReply, usage: object, signal: ClientGone): AsyncIterable<string> {
    const chunk = (choices: unknown[], extra: object = {}) => JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra });
    yield chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    // Words with their surrounding spaces (a reply of only spaces is one piece), so the
    // deltas add up to exactly the non-streamed content.
    for (const word of reply.content.match(/\s*\S+\s*|\s+/g) ?? []) {
      // Yield to the event loop between words so the answer really streams.
      await nextTick();
      if (signal.aborted) return;
      yield chunk([{ index: 0, delta: { content: word }, logprobs: null, finish_reason: null }]);
    }
    yield chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: reply.finishReason }]);
    yield chunk([], { usage });
  }
}
