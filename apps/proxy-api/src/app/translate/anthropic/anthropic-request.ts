import { ProxyError } from '../../errors/proxy-error';
import type { ChatBody } from '../../providers/chat-provider';
import { ChatMessage, ChatToolCall, textOf } from '../chat-types';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const invalid = (message: string, param: string | null = null) => ProxyError.invalidRequest(message, param);

function blocks(content: unknown, param: string): Array<Record<string, unknown>> {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(`${param}.content: expected a string or an array of content blocks.`, param);
  return content.map((b: unknown, i) => {
    if (!isObject(b) || typeof b['type'] !== 'string') throw invalid(`${param}.content.${i}: expected a content block with a "type".`, param);
    return b;
  });
}

function imagePart(block: Record<string, unknown>, param: string): Record<string, unknown> {
  const source = isObject(block['source']) ? block['source'] : {};
  if (source['type'] === 'base64') return { type: 'image_url', image_url: { url: `data:${String(source['media_type'])};base64,${String(source['data'])}` } };
  if (source['type'] === 'url') return { type: 'image_url', image_url: { url: String(source['url']) } };
  throw invalid(`${param}: image source must be base64 or url.`, param);
}

/** A tool_result's content (a string or blocks) as the text of a chat tool message. */
function toolResultText(block: Record<string, unknown>): string {
  const content = block['content'];
  const text = typeof content === 'string' ? content : textOf(content);
  return block['is_error'] === true ? `Error: ${text}` : text;
}

/** Anthropic messages as chat messages: tool_use → assistant tool_calls, tool_result → tool messages (before the user's text). */
export function anthropicMessages(system: unknown, messages: unknown): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (typeof system === 'string' && system !== '') out.push({ role: 'system', content: system });
  else if (Array.isArray(system)) {
    const text = system.map((b: unknown) => (isObject(b) && b['type'] === 'text' ? String(b['text'] ?? '') : '')).join('\n');
    if (text !== '') out.push({ role: 'system', content: text });
  } else if (system !== undefined && system !== null && system !== '') throw invalid('system: expected a string or an array of text blocks.', 'system');
  if (!Array.isArray(messages) || messages.length === 0) throw invalid('messages: expected a non-empty array.', 'messages');
  messages.forEach((raw: unknown, i) => {
    const param = `messages.${i}`;
    if (!isObject(raw)) throw invalid(`${param}: expected an object.`, param);
    const role = raw['role'];
    if (role !== 'user' && role !== 'assistant') throw invalid(`${param}.role: expected "user" or "assistant".`, param);
    const list = blocks(raw['content'], param);
    if (role === 'assistant') {
      const text = list
        .filter((b) => b['type'] === 'text')
        .map((b) => String(b['text'] ?? ''))
        .join('');
      const calls: ChatToolCall[] = list
        .filter((b) => b['type'] === 'tool_use')
        .map((b) => ({ id: String(b['id']), type: 'function', function: { name: String(b['name']), arguments: JSON.stringify(b['input'] ?? {}) } }));
      out.push({ role: 'assistant', content: text === '' && calls.length > 0 ? null : text, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
      return;
    }
    const parts: Array<Record<string, unknown>> = [];
    for (const [j, b] of list.entries()) {
      if (b['type'] === 'tool_result') out.push({ role: 'tool', tool_call_id: String(b['tool_use_id']), content: toolResultText(b) });
      else if (b['type'] === 'text') parts.push({ type: 'text', text: String(b['text'] ?? '') });
      else if (b['type'] === 'image') parts.push(imagePart(b, `${param}.content.${j}`));
      else if (b['type'] === 'document' || b['type'] === 'thinking' || b['type'] === 'redacted_thinking') continue;
      else throw invalid(`${param}.content.${j}.type: "${String(b['type'])}" is not supported (text, image, tool_use, tool_result).`, param);
    }
    if (parts.length === 0) return;
    out.push({ role: 'user', content: parts.every((p) => p['type'] === 'text') ? parts.map((p) => String(p['text'])).join('') : parts });
  });
  return out;
}

function chatTools(tools: unknown): unknown[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw invalid('tools: expected an array.', 'tools');
  return tools.map((tool: unknown, i) => {
    if (!isObject(tool) || typeof tool['name'] !== 'string' || (tool['type'] !== undefined && tool['type'] !== 'custom')) {
      throw invalid(`tools.${i}: only client tools ({name, description, input_schema}) are supported.`, 'tools');
    }
    return {
      type: 'function',
      function: {
        name: tool['name'],
        ...(typeof tool['description'] === 'string' ? { description: tool['description'] } : {}),
        parameters: tool['input_schema'] ?? { type: 'object', properties: {} },
      },
    };
  });
}

function chatToolChoice(choice: unknown): { tool_choice?: unknown; parallel_tool_calls?: boolean } {
  if (!isObject(choice)) return {};
  const parallel = choice['disable_parallel_tool_use'] === true ? { parallel_tool_calls: false } : {};
  switch (choice['type']) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel };
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      if (typeof choice['name'] !== 'string') throw invalid('tool_choice.name: required for type "tool".', 'tool_choice');
      return { tool_choice: { type: 'function', function: { name: choice['name'] } }, ...parallel };
    default:
      throw invalid('tool_choice.type: expected auto, any, tool or none.', 'tool_choice');
  }
}

/**
 * An Anthropic Messages request as a chat completions request: system → a system message,
 * content blocks → chat content (tool_use → tool_calls, tool_result → tool messages),
 * tools (input_schema → parameters), tool_choice (any → required), stop_sequences → stop,
 * max_tokens, temperature, top_p, metadata.user_id → user. top_k has no chat equivalent and
 * is dropped.
 */
export function anthropicToChat(body: Record<string, unknown>, model: string, stream: boolean): ChatBody {
  const max = body['max_tokens'];
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) throw invalid('max_tokens: Field required (a whole number of at least 1).', 'max_tokens');
  const chat: ChatBody = { model, messages: anthropicMessages(body['system'], body['messages']) as unknown as ChatBody['messages'], max_tokens: max };
  if (stream) chat.stream = true;
  const tools = chatTools(body['tools']);
  if (tools && tools.length > 0) Object.assign(chat, { tools }, chatToolChoice(body['tool_choice']));
  const stop = body['stop_sequences'];
  if (Array.isArray(stop) && stop.length > 0) chat['stop'] = stop.map(String);
  for (const key of ['temperature', 'top_p'] as const) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number') throw invalid(`${key}: expected a number.`, key);
    chat[key] = v;
  }
  const user = isObject(body['metadata']) ? body['metadata']['user_id'] : undefined;
  if (typeof user === 'string') chat['user'] = user;
  return chat;
}
