import { randomBytes } from 'node:crypto';
import { count } from '../chat-types';

/** An id in OpenAI's style: a prefix and 48 hex digits. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

export type OutputItem =
  | {
      type: 'message';
      id: string;
      status: 'in_progress' | 'completed' | 'incomplete';
      role: 'assistant';
      content: Array<{ type: 'output_text'; text: string; annotations: []; logprobs: [] }>;
    }
  | { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: 'in_progress' | 'completed' | 'incomplete' };

/** What the request asked for, echoed in every response object (as OpenAI does). */
export interface RequestEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  parallel_tool_calls: boolean;
  temperature: number | null;
  top_p: number | null;
  tool_choice: unknown;
  tools: unknown[];
  text: unknown;
  metadata: Record<string, string>;
  user: string | null;
}

export function requestEcho(body: Record<string, unknown>): RequestEcho {
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return {
    instructions: typeof body['instructions'] === 'string' ? body['instructions'] : null,
    max_output_tokens: num(body['max_output_tokens']),
    parallel_tool_calls: body['parallel_tool_calls'] !== false,
    temperature: num(body['temperature']) ?? 1,
    top_p: num(body['top_p']) ?? 1,
    tool_choice: body['tool_choice'] ?? 'auto',
    tools: Array.isArray(body['tools']) ? body['tools'] : [],
    text: body['text'] && typeof body['text'] === 'object' ? body['text'] : { format: { type: 'text' } },
    metadata: body['metadata'] && typeof body['metadata'] === 'object' ? (body['metadata'] as Record<string, string>) : {},
    user: typeof body['user'] === 'string' ? body['user'] : null,
  };
}

export interface ResponseState {
  id: string;
  createdAt: number;
  model: string;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  output: OutputItem[];
  usage: { prompt: number; completion: number } | null;
  incompleteReason?: 'max_output_tokens' | 'content_filter';
  error?: { code: string; message: string };
}

/**
 * A Responses API `response` object. Stateless: `store` is always false (nothing is kept,
 * whatever the request said) and `previous_response_id` null.
 */
export function responseObject(state: ResponseState, echo: RequestEcho): Record<string, unknown> {
  return {
    id: state.id,
    object: 'response',
    created_at: state.createdAt,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.incompleteReason ? { reason: state.incompleteReason } : null,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    max_tool_calls: null,
    model: state.model,
    output: state.output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: false,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_logprobs: 0,
    top_p: echo.top_p,
    truncation: 'disabled',
    usage: state.usage
      ? {
          input_tokens: count(state.usage.prompt),
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: count(state.usage.completion),
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: count(state.usage.prompt) + count(state.usage.completion),
        }
      : null,
    user: echo.user,
    metadata: echo.metadata,
  };
}
