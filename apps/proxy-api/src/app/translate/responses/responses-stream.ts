import { ChatChunk, sseFrame } from '../chat-types';
import { newId, OutputItem, RequestEcho, requestEcho, responseObject, ResponseState } from './response-object';
import { responseStatus } from './responses-answer';

type MessageItem = Extract<OutputItem, { type: 'message' }>;
type CallItem = Extract<OutputItem, { type: 'function_call' }>;

/**
 * Chat completion chunks as the Responses API's typed stream events, each with its
 * `sequence_number`: response.created / in_progress, then per output item
 * output_item.added → (content_part.added → output_text.delta… → output_text.done →
 * content_part.done | function_call_arguments.delta… → .done) → output_item.done, and
 * response.completed (or response.incomplete when the answer was cut at max tokens). A
 * failure after the start is an `error` event followed by response.failed.
 */
export class ResponsesStream {
  private sequence = 0;
  private readonly state: ResponseState;
  private readonly echo: RequestEcho;
  private text: { item: MessageItem; index: number } | null = null;
  /** Open function calls by their chat tool_call index. */
  private readonly calls = new Map<number, { item: CallItem; index: number }>();
  private finish: string | null = null;

  constructor(request: Record<string, unknown>, publicModel: string, now = Date.now()) {
    this.state = { id: newId('resp'), createdAt: Math.floor(now / 1000), model: publicModel, status: 'in_progress', output: [], usage: null };
    this.echo = requestEcho(request);
  }

  private event(type: string, fields: object): string {
    return sseFrame(type, { type, sequence_number: this.sequence++, ...fields });
  }

  private response(): Record<string, unknown> {
    return responseObject(this.state, this.echo);
  }

  start(): string[] {
    return [this.event('response.created', { response: this.response() }), this.event('response.in_progress', { response: this.response() })];
  }

  chunk(chunk: ChatChunk): string[] {
    const frames: string[] = [];
    if (chunk.usage) this.state.usage = { prompt: chunk.usage.prompt_tokens ?? 0, completion: chunk.usage.completion_tokens ?? 0 };
    const choice = chunk.choices?.[0];
    if (!choice) return frames;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (!this.text) frames.push(...this.openText());
      const text = this.text as unknown as { item: MessageItem; index: number };
      text.item.content[0].text += delta.content;
      frames.push(
        this.event('response.output_text.delta', { item_id: text.item.id, output_index: text.index, content_index: 0, delta: delta.content, logprobs: [] }),
      );
    }
    for (const call of delta.tool_calls ?? []) {
      const key = call.index ?? 0;
      let open = this.calls.get(key);
      if (!open) {
        frames.push(...this.closeText());
        const item: CallItem = {
          type: 'function_call',
          id: newId('fc'),
          call_id: call.id ?? newId('call'),
          name: call.function?.name ?? '',
          arguments: '',
          status: 'in_progress',
        };
        open = { item, index: this.state.output.length };
        this.state.output.push(item);
        this.calls.set(key, open);
        frames.push(this.event('response.output_item.added', { output_index: open.index, item: { ...item } }));
      }
      const args = call.function?.arguments;
      if (typeof args === 'string' && args !== '') {
        open.item.arguments += args;
        frames.push(this.event('response.function_call_arguments.delta', { item_id: open.item.id, output_index: open.index, delta: args }));
      }
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
    return frames;
  }

  /** The closing events once the chat stream ended. */
  end(): string[] {
    const { status, incompleteReason } = responseStatus(this.finish);
    const itemStatus = status === 'incomplete' ? 'incomplete' : 'completed';
    // A turn without text or calls still answers one (empty) message, as the JSON answer does.
    const frames: string[] = this.state.output.length === 0 ? this.openText() : [];
    frames.push(...this.closeText(itemStatus));
    for (const { item, index } of this.calls.values()) {
      item.status = itemStatus;
      frames.push(this.event('response.function_call_arguments.done', { item_id: item.id, output_index: index, name: item.name, arguments: item.arguments }));
      frames.push(this.event('response.output_item.done', { output_index: index, item: { ...item } }));
    }
    this.calls.clear();
    this.state.status = status;
    this.state.incompleteReason = incompleteReason;
    frames.push(this.event(status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: this.response() }));
    return frames;
  }

  /** A failure after the stream started: an `error` event, then response.failed. */
  fail(code: string, message: string): string {
    this.state.status = 'failed';
    this.state.error = { code: 'server_error', message };
    return this.event('error', { code, message, param: null }) + this.event('response.failed', { response: this.response() });
  }

  private openText(): string[] {
    const item: MessageItem = { type: 'message', id: newId('msg'), status: 'in_progress', role: 'assistant', content: [] };
    this.text = { item, index: this.state.output.length };
    this.state.output.push(item);
    const frames = [this.event('response.output_item.added', { output_index: this.text.index, item: { ...item, content: [] } })];
    item.content.push({ type: 'output_text', text: '', annotations: [], logprobs: [] });
    frames.push(
      this.event('response.content_part.added', {
        item_id: item.id,
        output_index: this.text.index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      }),
    );
    return frames;
  }

  private closeText(status: 'completed' | 'incomplete' = 'completed'): string[] {
    if (!this.text) return [];
    const { item, index } = this.text;
    this.text = null;
    item.status = status;
    const part = item.content[0];
    return [
      this.event('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text: part.text, logprobs: [] }),
      this.event('response.content_part.done', { item_id: item.id, output_index: index, content_index: 0, part: { ...part } }),
      this.event('response.output_item.done', { output_index: index, item: { ...item, content: [{ ...part }] } }),
    ];
  }
}
