import type { TokenCounter } from '../providers/lmarena/token-count';

/** Text beyond this many characters is estimated at CHARS_PER_TOKEN instead of tokenized (a 20 MB body would cost seconds of CPU). */
export const TOKENIZE_LIMIT_CHARS = 256 * 1024;
/** The usual ratio of English text and code in o200k_base; only used past TOKENIZE_LIMIT_CHARS. */
const CHARS_PER_TOKEN = 4;

/**
 * Fields whose strings are not prompt text: binary payloads (data: URLs, base64 audio or
 * files) and references. Counting them as text would reserve thousands of tokens for one image.
 */
const NOT_TEXT = new Set(['image_url', 'url', 'data', 'file_data', 'input_audio', 'audio', 'image', 'source', 'file_id', 'model', 'user', 'metadata']);

/** Every prompt string of a request body (messages, input, prompt, system, tools…), in order. */
function promptStrings(value: unknown, out: string[], key = ''): void {
  if (NOT_TEXT.has(key)) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) promptStrings(item, out);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) promptStrings(v, out, k);
}

/** Prompt tokens of a request, counted with the tokenizer (estimated from its length when very long). */
export function estimatePromptTokens(body: Record<string, unknown>, count: TokenCounter): number {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    // Only what the model reads: sampling parameters and ids are not prompt.
    if (key === 'messages' || key === 'input' || key === 'prompt' || key === 'system' || key === 'instructions' || key === 'tools' || key === 'functions') {
      promptStrings(value, parts, key);
    }
  }
  const text = parts.join('\n');
  if (text.length > TOKENIZE_LIMIT_CHARS) return Math.ceil(text.length / CHARS_PER_TOKEN);
  return count(text);
}

/** The completion tokens a request may produce: its own cap (any of the APIs' names), else `fallback`. */
export function completionBudget(body: Record<string, unknown>, fallback: number): number {
  for (const key of ['max_completion_tokens', 'max_tokens', 'max_output_tokens']) {
    const value = body[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  return fallback;
}
