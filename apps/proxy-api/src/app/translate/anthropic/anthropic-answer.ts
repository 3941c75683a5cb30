import { randomBytes } from 'node:crypto';
import { ChatCompletion, count } from '../chat-types';

export function newMessageId(): string {
  return `msg_${randomBytes(12).toString('hex')}`;
}

/** A chat finish reason as Anthropic's stop_reason. */
export function stopReason(finish: string | null | undefined): 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal' {
  if (finish === 'length') return 'max_tokens';
  if (finish === 'tool_calls' || finish === 'function_call') return 'tool_use';
  if (finish === 'content_filter') return 'refusal';
  return 'end_turn';
}

/** A tool call's arguments as the tool_use block's input object ({} when they are not a JSON object). */
export function toolInput(args: string | undefined): Record<string, unknown> {
  try {
    const value = JSON.parse(args || '{}') as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A chat completion as an Anthropic `message`: text block, tool_use blocks, stop_reason, usage. */
export function chatToMessage(chat: ChatCompletion, publicModel: string): Record<string, unknown> {
  const choice = chat.choices?.[0];
  const message = choice?.message;
  const content: Array<Record<string, unknown>> = [];
  const text = typeof message?.content === 'string' ? message.content : '';
  if (text !== '') content.push({ type: 'text', text });
  for (const call of message?.tool_calls ?? [])
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call.function.arguments) });
  return {
    id: newMessageId(),
    type: 'message',
    role: 'assistant',
    model: publicModel,
    content,
    stop_reason: stopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: { input_tokens: count(chat.usage?.prompt_tokens), output_tokens: count(chat.usage?.completion_tokens) },
  };
}
