import { ProxyError } from '../errors/proxy-error';
import { ChatBody } from '../providers/chat-provider';

const MAX_MODEL_NAME = 200;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalType(body: Record<string, unknown>, key: string, check: (v: unknown) => boolean, expected: string): void {
  if (body[key] !== undefined && body[key] !== null && !check(body[key])) {
    throw ProxyError.invalidRequest(`"${key}" must be ${expected}.`, key);
  }
}

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);

/**
 * Validates what the proxy itself relies on (model, messages, stream flags, a few numeric
 * fields); every other field goes to the upstream untouched, which validates it.
 */
export function parseChatBody(body: unknown): ChatBody {
  if (!isObject(body)) throw ProxyError.invalidRequest('The request body must be a JSON object.');
  const model = body['model'];
  if (typeof model !== 'string' || model.trim() === '') {
    throw ProxyError.invalidRequest('"model" is required and must be a non-empty string.', 'model');
  }
  if (model.length > MAX_MODEL_NAME) throw ProxyError.invalidRequest(`"model" must be at most ${MAX_MODEL_NAME} characters.`, 'model');
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) {
    throw ProxyError.invalidRequest('"messages" is required and must be a non-empty array.', 'messages');
  }
  messages.forEach((message: unknown, i) => {
    if (!isObject(message) || typeof message['role'] !== 'string') {
      throw ProxyError.invalidRequest(`"messages[${i}]" must be an object with a string "role".`, `messages[${i}]`);
    }
    const content = message['content'];
    if (content !== undefined && content !== null && typeof content !== 'string' && !Array.isArray(content)) {
      throw ProxyError.invalidRequest(`"messages[${i}].content" must be a string or an array of content parts.`, `messages[${i}].content`);
    }
  });
  optionalType(body, 'stream', (v) => typeof v === 'boolean', 'true or false');
  optionalType(body, 'stream_options', isObject, 'an object');
  if (isObject(body['stream_options'])) {
    const include = body['stream_options']['include_usage'];
    if (include !== undefined && include !== null && typeof include !== 'boolean') {
      throw ProxyError.invalidRequest('"stream_options.include_usage" must be true or false.', 'stream_options.include_usage');
    }
  }
  optionalType(body, 'max_tokens', (v) => isInt(v) && (v as number) >= 1, 'a whole number of at least 1');
  optionalType(body, 'max_completion_tokens', (v) => isInt(v) && (v as number) >= 1, 'a whole number of at least 1');
  optionalType(body, 'n', (v) => isInt(v) && (v as number) >= 1, 'a whole number of at least 1');
  optionalType(body, 'temperature', (v) => typeof v === 'number', 'a number');
  optionalType(body, 'top_p', (v) => typeof v === 'number', 'a number');
  return body as ChatBody;
}
