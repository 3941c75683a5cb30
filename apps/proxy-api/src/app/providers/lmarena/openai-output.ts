import { randomUUID } from 'node:crypto';
import type { SiteSource } from './site-stream-parser';

/** OpenAI's finish reasons, from the site's (AI SDK) ones. */
export type OpenAiFinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

export function openAiFinishReason(site: string | null | undefined): OpenAiFinishReason {
  switch (site) {
    case 'length':
      return 'length';
    case 'content-filter':
    case 'content_filter':
      return 'content_filter';
    case 'tool-calls':
    case 'tool_calls':
      return 'tool_calls';
    default:
      // stop, error, other, unknown and a missing ad line: the answer simply ended.
      return 'stop';
  }
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function openAiUsage(prompt: number, completion: number): OpenAiUsage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A Markdown link target that survives spaces and parentheses in the URL. */
function target(url: string): string {
  return /[\s()<>]/.test(url) ? `<${url.replace(/[<>\s]/g, encodeURIComponent)}>` : url;
}

/** A generated image as the Markdown clients render (as the original bridge did). */
export function imageMarkdown(url: string): string {
  return `![Image](${target(url)})`;
}

/** The search sources of an answer, as a numbered Markdown list after its text. */
export function sourcesMarkdown(sources: readonly SiteSource[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const source of sources) {
    if (seen.has(source.url)) continue;
    seen.add(source.url);
    const title = (source.title ?? source.url).replace(/\s+/g, ' ').replace(/([[\]\\])/g, '\\$1');
    lines.push(`${lines.length + 1}. [${title}](${target(source.url)})`);
  }
  return lines.length === 0 ? '' : `\n\n**Sources:**\n${lines.join('\n')}`;
}

/** The OpenAI objects of one answer: one id, one creation time, the public model name. */
export class OpenAiAnswer {
  readonly id = `chatcmpl-lmarena-${randomUUID()}`;
  readonly created = Math.floor(Date.now() / 1000);

  constructor(readonly model: string) {}

  chunk(delta: Record<string, unknown>, finishReason: OpenAiFinishReason | null = null): string {
    return JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    });
  }

  usageChunk(usage: OpenAiUsage): string {
    return JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage });
  }

  completion(content: string, reasoning: string, finishReason: OpenAiFinishReason, usage: OpenAiUsage): Record<string, unknown> {
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null, ...(reasoning !== '' ? { reasoning_content: reasoning } : {}) },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage,
    };
  }
}
