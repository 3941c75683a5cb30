import { ChatCompletion } from '../chat-types';
import { newId, OutputItem, requestEcho, responseObject, ResponseState } from './response-object';

/** A chat finish reason as the Responses status and incomplete reason. */
export function responseStatus(finish: string | null | undefined): Pick<ResponseState, 'status' | 'incompleteReason'> {
  if (finish === 'length') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (finish === 'content_filter') return { status: 'incomplete', incompleteReason: 'content_filter' };
  return { status: 'completed' };
}

/** A chat completion as a Responses API `response`: text → a message item, tool_calls → function_call items. */
export function chatToResponse(chat: ChatCompletion, request: Record<string, unknown>, publicModel: string): Record<string, unknown> {
  const choice = chat.choices?.[0];
  const message = choice?.message;
  const { status, incompleteReason } = responseStatus(choice?.finish_reason);
  const itemStatus = status === 'incomplete' ? 'incomplete' : 'completed';
  const output: OutputItem[] = [];
  const text = typeof message?.content === 'string' ? message.content : '';
  if (text !== '' || !message?.tool_calls?.length) {
    output.push({
      type: 'message',
      id: newId('msg'),
      status: itemStatus,
      role: 'assistant',
      content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
    });
  }
  for (const call of message?.tool_calls ?? []) {
    output.push({
      type: 'function_call',
      id: newId('fc'),
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments ?? '',
      status: 'completed',
    });
  }
  return responseObject(
    {
      id: newId('resp'),
      createdAt: typeof chat.created === 'number' ? chat.created : Math.floor(Date.now() / 1000),
      model: publicModel,
      status,
      incompleteReason,
      output,
      usage: chat.usage ? { prompt: chat.usage.prompt_tokens ?? 0, completion: chat.usage.completion_tokens ?? 0 } : null,
    },
    requestEcho(request),
  );
}
