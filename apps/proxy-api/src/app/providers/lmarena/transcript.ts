import { ProxyError } from '../../errors/proxy-error';

/**
 * OpenAI chat messages → the one user message the site is sent (strategy (a) of
 * lmarena.md: the whole history flattened, so every stateless request works on its own).
 *
 * Format (documented in docs/lmarena-bridge.md):
 * - `system` and `developer` messages, in order, come first as plain text, one blank line
 *   between them.
 * - A lone user message (with or without system text before it) is sent as it is.
 * - Otherwise every turn is one paragraph labelled `User:`, `Assistant:` or
 *   `Tool result (<id>):`, separated by blank lines; a message `name` is added as
 *   `User (alice):`. An assistant turn's tool calls are written as
 *   `[tool call <id>: <name>(<arguments>)]` lines, so the model sees what happened.
 * - The text parts of a content array are joined with a newline. Images, audio and files
 *   are refused with 400: attachments need the site's upload flow, which the bridge does
 *   not drive yet.
 */

const LABELS: Readonly<Record<string, string>> = { user: 'User', assistant: 'Assistant', tool: 'Tool result', function: 'Function result' };
const SYSTEM_ROLES = new Set(['system', 'developer']);
const IMAGE_PARTS = new Set(['image_url', 'input_image', 'image']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of a message's content: a string, or its text parts one per line. */
export function contentText(content: unknown, index: number): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) {
    throw ProxyError.invalidRequest(`"messages[${index}].content" must be a string or an array of content parts.`, 'messages');
  }
  const texts: string[] = [];
  content.forEach((part: unknown, p) => {
    const type = isObject(part) ? part['type'] : undefined;
    if (type === 'text' && typeof (part as Record<string, unknown>)['text'] === 'string') {
      texts.push((part as Record<string, unknown>)['text'] as string);
    } else if (type === 'refusal' && typeof (part as Record<string, unknown>)['refusal'] === 'string') {
      texts.push((part as Record<string, unknown>)['refusal'] as string);
    } else if (typeof type === 'string' && IMAGE_PARTS.has(type)) {
      throw ProxyError.invalidRequest(
        `"messages[${index}].content[${p}]" is an image: the LMArena bridge does not send images yet (attachments need the site's upload flow). Send text only.`,
        'messages',
      );
    } else {
      throw ProxyError.invalidRequest(
        `"messages[${index}].content[${p}]" has the type ${JSON.stringify(type ?? null)}: the LMArena bridge sends only "text" parts.`,
        'messages',
      );
    }
  });
  return texts.join('\n');
}

function toolCallLines(message: Record<string, unknown>): string[] {
  const calls = message['tool_calls'];
  const lines: string[] = [];
  if (Array.isArray(calls)) {
    for (const call of calls) {
      if (!isObject(call)) continue;
      const fn = isObject(call['function']) ? call['function'] : {};
      const name = typeof fn['name'] === 'string' ? fn['name'] : 'unknown';
      const args = typeof fn['arguments'] === 'string' ? fn['arguments'] : JSON.stringify(fn['arguments'] ?? {});
      lines.push(`[tool call ${typeof call['id'] === 'string' ? call['id'] : '?'}: ${name}(${args})]`);
    }
  }
  // The legacy single `function_call` of older clients.
  const legacy = message['function_call'];
  if (isObject(legacy) && typeof legacy['name'] === 'string') {
    lines.push(`[function call: ${legacy['name']}(${typeof legacy['arguments'] === 'string' ? legacy['arguments'] : ''})]`);
  }
  return lines;
}

interface Turn {
  role: string;
  label: string;
  text: string;
}

/** The prompt sent to the site for these messages; 400 when nothing is left to send. */
export function buildTranscript(messages: ReadonlyArray<Record<string, unknown>>): string {
  const system: string[] = [];
  const turns: Turn[] = [];
  messages.forEach((message, i) => {
    const role = message['role'];
    if (typeof role !== 'string') throw ProxyError.invalidRequest(`"messages[${i}]" must have a string "role".`, 'messages');
    const text = contentText(message['content'], i);
    if (SYSTEM_ROLES.has(role)) {
      if (text.trim() !== '') system.push(text);
      return;
    }
    const base = LABELS[role];
    if (!base) {
      throw ProxyError.invalidRequest(`"messages[${i}].role" is ${JSON.stringify(role)}: expected system, developer, user, assistant or tool.`, 'messages');
    }
    let label = base;
    if ((role === 'tool' || role === 'function') && typeof message['tool_call_id'] === 'string') label = `${base} (${message['tool_call_id']})`;
    else if (role === 'function' && typeof message['name'] === 'string') label = `${base} (${message['name']})`;
    else if (typeof message['name'] === 'string' && message['name'] !== '') label = `${base} (${message['name']})`;
    const body = [text, ...(role === 'assistant' ? toolCallLines(message) : [])].filter((t) => t.trim() !== '').join('\n');
    if (body === '') return;
    turns.push({ role, label, text: body });
  });

  const head = system.join('\n\n');
  let prompt: string;
  if (turns.length === 1 && turns[0].role === 'user') {
    prompt = head === '' ? turns[0].text : `${head}\n\n${turns[0].text}`;
  } else {
    prompt = [head, ...turns.map((t) => `${t.label}: ${t.text}`)].filter((t) => t !== '').join('\n\n');
  }
  if (prompt.trim() === '') throw ProxyError.invalidRequest('The messages contain no text to send.', 'messages');
  return prompt;
}
