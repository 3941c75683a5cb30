import { ChatChunk, count, sseFrame } from '../chat-types';
import { newMessageId, stopReason } from './anthropic-answer';
import { anthropicError } from './anthropic-errors';

/**
 * Chat completion chunks as Anthropic's stream events: message_start, ping, then per block
 * content_block_start → content_block_delta (text_delta | input_json_delta)… →
 * content_block_stop, and message_delta (stop_reason, usage) → message_stop. The token
 * counts arrive with the upstream's last chunk, so message_start carries zeros and
 * message_delta the real input and output counts.
 */
export class AnthropicStream {
  private readonly id = newMessageId();
  private index = -1;
  private open: { kind: 'text' } | { kind: 'tool'; chatIndex: number } | null = null;
  private finish: string | null = null;
  private usage = { input: 0, output: 0 };

  constructor(private readonly publicModel: string) {}

  start(): string[] {
    return [
      sseFrame('message_start', {
        type: 'message_start',
        message: {
          id: this.id,
          type: 'message',
          role: 'assistant',
          model: this.publicModel,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      }),
      sseFrame('ping', { type: 'ping' }),
    ];
  }

  chunk(chunk: ChatChunk): string[] {
    const frames: string[] = [];
    if (chunk.usage) this.usage = { input: count(chunk.usage.prompt_tokens), output: count(chunk.usage.completion_tokens) };
    const choice = chunk.choices?.[0];
    if (!choice) return frames;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (this.open?.kind !== 'text') frames.push(...this.startBlock({ kind: 'text' }, { type: 'text', text: '' }));
      frames.push(sseFrame('content_block_delta', { type: 'content_block_delta', index: this.index, delta: { type: 'text_delta', text: delta.content } }));
    }
    for (const call of delta.tool_calls ?? []) {
      const chatIndex = call.index ?? 0;
      if (this.open?.kind !== 'tool' || this.open.chatIndex !== chatIndex) {
        frames.push(
          ...this.startBlock(
            { kind: 'tool', chatIndex },
            { type: 'tool_use', id: call.id ?? `toolu_${this.id.slice(4)}_${chatIndex}`, name: call.function?.name ?? '', input: {} },
          ),
        );
      }
      const args = call.function?.arguments;
      if (typeof args === 'string' && args !== '') {
        frames.push(
          sseFrame('content_block_delta', { type: 'content_block_delta', index: this.index, delta: { type: 'input_json_delta', partial_json: args } }),
        );
      }
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
    return frames;
  }

  end(): string[] {
    return [
      ...this.stopBlock(),
      sseFrame('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason(this.finish), stop_sequence: null },
        usage: { input_tokens: this.usage.input, output_tokens: this.usage.output },
      }),
      sseFrame('message_stop', { type: 'message_stop' }),
    ];
  }

  fail(status: number, message: string): string {
    return sseFrame('error', anthropicError(status, message));
  }

  private startBlock(open: NonNullable<AnthropicStream['open']>, block: object): string[] {
    const frames = this.stopBlock();
    this.index += 1;
    this.open = open;
    frames.push(sseFrame('content_block_start', { type: 'content_block_start', index: this.index, content_block: block }));
    return frames;
  }

  private stopBlock(): string[] {
    if (!this.open) return [];
    this.open = null;
    return [sseFrame('content_block_stop', { type: 'content_block_stop', index: this.index })];
  }
}
