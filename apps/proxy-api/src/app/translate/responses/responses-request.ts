import { ProxyError } from '../../errors/proxy-error';
import type { ChatBody } from '../../providers/chat-provider';
import { ChatMessage, ChatToolCall } from '../chat-types';

type Item = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const invalid = (message: string, param: string) => ProxyError.invalidRequest(message, param);

/** A Responses content part as a chat content part (text, image). */
function chatPart(part: unknown, param: string): Record<string, unknown> {
  if (!isObject(part)) throw invalid(`"${param}" must be an object.`, param);
  switch (part['type']) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return { type: 'text', text: String(part['text'] ?? '') };
    case 'refusal':
      return { type: 'text', text: String(part['refusal'] ?? '') };
    case 'input_image': {
      const url = part['image_url'];
      if (typeof url !== 'string') throw invalid(`"${param}.image_url" must be a URL or data URL (file_id images are not supported).`, param);
      return { type: 'image_url', image_url: { url, ...(typeof part['detail'] === 'string' ? { detail: part['detail'] } : {}) } };
    }
    default:
      throw invalid(`"${param}.type" ${JSON.stringify(part['type'])} is not supported (input_text, output_text, input_image).`, param);
  }
}

function messageContent(content: unknown, role: string, param: string): ChatMessage['content'] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(`"${param}.content" must be a string or an array of content parts.`, param);
  const parts = content.map((p, i) => chatPart(p, `${param}.content[${i}]`));
  // Assistant (and system) turns are text in chat completions.
  if (role !== 'user') return parts.map((p) => String(p['text'] ?? '')).join('');
  return parts;
}

/** The chat messages of a Responses `input` (a string, or message / function_call / function_call_output items). */
export function responsesMessages(input: unknown, instructions: unknown): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (typeof instructions === 'string' && instructions !== '') messages.push({ role: 'system', content: instructions });
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
    return messages;
  }
  if (!Array.isArray(input)) throw invalid('"input" is required: a string or an array of input items.', 'input');
  input.forEach((raw: unknown, i) => {
    const param = `input[${i}]`;
    if (!isObject(raw)) throw invalid(`"${param}" must be an object.`, param);
    const item = raw as Item;
    const type = item['type'] ?? 'message';
    if (type === 'message') {
      const role = item['role'];
      if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer')
        throw invalid(`"${param}.role" must be user, assistant, system or developer.`, param);
      messages.push({ role, content: messageContent(item['content'], role, param) });
    } else if (type === 'function_call') {
      if (typeof item['call_id'] !== 'string' || typeof item['name'] !== 'string') throw invalid(`"${param}" needs call_id and name.`, param);
      const call: ChatToolCall = {
        id: item['call_id'],
        type: 'function',
        function: { name: item['name'], arguments: typeof item['arguments'] === 'string' ? item['arguments'] : '{}' },
      };
      // Consecutive calls are one assistant turn with several tool_calls, as chat has them.
      const last = messages[messages.length - 1];
      if (last?.role === 'assistant' && last.tool_calls) last.tool_calls.push(call);
      else if (last?.role === 'assistant' && !last.tool_calls) last.tool_calls = [call];
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output') {
      if (typeof item['call_id'] !== 'string') throw invalid(`"${param}.call_id" is required.`, param);
      const output = item['output'];
      messages.push({
        role: 'tool',
        tool_call_id: item['call_id'],
        content: typeof output === 'string' ? output : Array.isArray(output) ? messageContent(output, 'tool', param) : JSON.stringify(output ?? ''),
      });
    } else if (type === 'reasoning') {
      // Reasoning from an earlier turn: chat completions has no place for it.
    } else {
      throw invalid(`"${param}.type" ${JSON.stringify(type)} is not supported (message, function_call, function_call_output).`, param);
    }
  });
  if (messages.length === 0) throw invalid('"input" must not be empty.', 'input');
  return messages;
}

function chatTools(tools: unknown): unknown[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw invalid('"tools" must be an array.', 'tools');
  return tools.map((tool: unknown, i) => {
    if (!isObject(tool) || tool['type'] !== 'function' || typeof tool['name'] !== 'string') {
      throw invalid(`"tools[${i}]": only function tools ({type:"function", name, parameters}) are supported here.`, `tools[${i}]`);
    }
    const fn: Record<string, unknown> = { name: tool['name'] };
    if (tool['description'] !== undefined) fn['description'] = tool['description'];
    if (tool['parameters'] !== undefined && tool['parameters'] !== null) fn['parameters'] = tool['parameters'];
    if (typeof tool['strict'] === 'boolean') fn['strict'] = tool['strict'];
    return { type: 'function', function: fn };
  });
}

function chatToolChoice(choice: unknown): unknown {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isObject(choice) && choice['type'] === 'function' && typeof choice['name'] === 'string') return { type: 'function', function: { name: choice['name'] } };
  throw invalid('"tool_choice" must be "auto", "none", "required" or {type:"function", name}.', 'tool_choice');
}

function chatResponseFormat(text: unknown): unknown {
  const format = isObject(text) ? text['format'] : undefined;
  if (!isObject(format) || format['type'] === 'text') return undefined;
  if (format['type'] === 'json_object') return { type: 'json_object' };
  if (format['type'] === 'json_schema') {
    return {
      type: 'json_schema',
      json_schema: {
        name: format['name'],
        schema: format['schema'],
        ...(format['strict'] !== undefined ? { strict: format['strict'] } : {}),
        ...(format['description'] !== undefined ? { description: format['description'] } : {}),
      },
    };
  }
  throw invalid('"text.format.type" must be text, json_object or json_schema.', 'text.format');
}

/**
 * A Responses API request as a chat completions request: instructions → a system message,
 * input items → messages (function_call → assistant tool_calls, function_call_output → tool
 * messages), function tools and tool_choice, max_output_tokens → max_tokens, text.format →
 * response_format. Stateless: `previous_response_id` is refused, since nothing is stored.
 */
export function responsesToChat(body: Record<string, unknown>, model: string, stream: boolean): ChatBody {
  if (body['previous_response_id'] !== undefined && body['previous_response_id'] !== null) {
    throw invalid(
      '"previous_response_id" is not supported: this proxy is stateless and stores no responses. Send the whole conversation in "input".',
      'previous_response_id',
    );
  }
  if (body['conversation'] !== undefined && body['conversation'] !== null)
    throw invalid('"conversation" is not supported: send the whole conversation in "input".', 'conversation');
  const chat: ChatBody = { model, messages: responsesMessages(body['input'], body['instructions']) as unknown as ChatBody['messages'] };
  if (stream) chat.stream = true;
  const tools = chatTools(body['tools']);
  if (tools && tools.length > 0) chat['tools'] = tools;
  const toolChoice = chatToolChoice(body['tool_choice']);
  if (toolChoice !== undefined && tools && tools.length > 0) chat['tool_choice'] = toolChoice;
  if (typeof body['parallel_tool_calls'] === 'boolean' && tools && tools.length > 0) chat['parallel_tool_calls'] = body['parallel_tool_calls'];
  const max = body['max_output_tokens'];
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1)
      throw invalid('"max_output_tokens" must be a whole number of at least 1.', 'max_output_tokens');
    chat.max_tokens = max;
  }
  for (const key of ['temperature', 'top_p'] as const) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number') throw invalid(`"${key}" must be a number.`, key);
    chat[key] = v;
  }
  if (typeof body['user'] === 'string') chat['user'] = body['user'];
  const format = chatResponseFormat(body['text']);
  if (format) chat['response_format'] = format;
  const effort = isObject(body['reasoning']) ? body['reasoning']['effort'] : undefined;
  if (typeof effort === 'string') chat['reasoning_effort'] = effort;
  return chat;
}
