import { responsesToChat } from './responses-request';
import { chatToResponse } from './responses-answer';
import { ResponsesStream } from './responses-stream';

const WEATHER = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather of a city',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

/** The events of SSE frames, as [event name, data]. */
function events(frames: string[]): Array<[string, Record<string, unknown>]> {
  return frames
    .join('')
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => {
      const [event, data] = frame.split('\n');
      return [event.slice('event: '.length), JSON.parse(data.slice('data: '.length))];
    });
}

describe('Responses API → chat completions (request)', () => {
  it('turns instructions, a string input, tools and options into a chat body', () => {
    expect(
      responsesToChat(
        {
          input: 'Hi',
          instructions: 'Be brief',
          tools: [WEATHER],
          tool_choice: { type: 'function', name: 'get_weather' },
          max_output_tokens: 50,
          temperature: 0.2,
          text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true } },
        },
        'm',
        true,
      ),
    ).toEqual({
      model: 'm',
      stream: true,
      max_tokens: 50,
      temperature: 0.2,
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Hi' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: WEATHER.parameters } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } },
    });
  });

  it('turns message, function_call and function_call_output items into a multi-turn conversation', () => {
    const chat = responsesToChat(
      {
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'Weather in ' },
              { type: 'input_text', text: 'Paris?' },
            ],
          },
          { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris"}' },
          { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"location":"Lyon"}' },
          { type: 'function_call_output', call_id: 'call_1', output: '18C' },
          { type: 'function_call_output', call_id: 'call_2', output: '20C' },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Warm.' }] },
        ],
      },
      'm',
      false,
    );
    expect(chat.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather in ' },
          { type: 'text', text: 'Paris?' },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Lyon"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      { role: 'tool', tool_call_id: 'call_2', content: '20C' },
      { role: 'assistant', content: 'Warm.' },
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['previous_response_id', { input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id'],
    ['a built-in tool', { input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0]'],
    ['an unknown item', { input: [{ type: 'computer_call' }] }, 'input[0]'],
    ['no input', {}, 'input'],
  ])('refuses %s with a 400 naming the field', (_name, body, param) => {
    expect(() => responsesToChat(body, 'm', false)).toThrow(expect.objectContaining({ status: 400, param }));
  });
});

describe('chat completions → Responses API (JSON answer)', () => {
  it('answers text as a message item, tool calls as function_call items, with usage and the public model', () => {
    const response = chatToResponse(
      {
        created: 1_764_300_000,
        model: 'upstream-id',
        choices: [
          {
            message: {
              content: 'Let me check.',
              tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 11, completion_tokens: 4 },
      },
      { input: 'x', tools: [WEATHER] },
      'public',
    );
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'public',
      store: false,
      created_at: 1_764_300_000,
      incomplete_details: null,
      tools: [WEATHER],
      output: [
        { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Let me check.', annotations: [] }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris"}', status: 'completed' },
      ],
      usage: { input_tokens: 11, output_tokens: 4, total_tokens: 15 },
    });
    expect(String(response['id'])).toMatch(/^resp_/);
  });

  it('marks an answer cut at max tokens incomplete', () => {
    expect(chatToResponse({ choices: [{ message: { content: 'a b' }, finish_reason: 'length' }] }, { input: 'x' }, 'm')).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      usage: null,
    });
  });
});

describe('chat chunk stream → Responses API events', () => {
  const chunk = (delta: object, finish: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finish }] });

  it('streams text: created, in_progress, item and part added, deltas, done events, completed with usage', () => {
    const s = new ResponsesStream({ input: 'x' }, 'public');
    const out = events([
      ...s.start(),
      ...s.chunk(chunk({ role: 'assistant', content: '' })),
      ...s.chunk(chunk({ content: 'Hel' })),
      ...s.chunk(chunk({ content: 'lo' })),
      ...s.chunk(chunk({}, 'stop')),
      ...s.chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } }),
      ...s.end(),
    ]);
    expect(out.map(([e]) => e)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(out.map(([, d]) => d['sequence_number'])).toEqual(out.map((_, i) => i));
    expect(out.every(([e, d]) => d['type'] === e)).toBe(true);
    expect(out[6][1]).toMatchObject({ text: 'Hello', output_index: 0, content_index: 0 });
    expect(out[9][1]['response']).toMatchObject({
      status: 'completed',
      model: 'public',
      output: [{ type: 'message', status: 'completed', content: [{ text: 'Hello' }] }],
      usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
    });
  });

  it('streams a function call: item added, argument deltas, arguments done, item done', () => {
    const s = new ResponsesStream({ input: 'x', tools: [WEATHER] }, 'm');
    const out = events([
      ...s.start(),
      ...s.chunk(chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'get_weather', arguments: '' } }] })),
      ...s.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] })),
      ...s.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] })),
      ...s.chunk(chunk({}, 'tool_calls')),
      ...s.end(),
    ]);
    expect(out.map(([e]) => e)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(out[5][1]).toMatchObject({ arguments: '{"location":"Paris"}', name: 'get_weather' });
    expect(out[7][1]['response']).toMatchObject({
      output: [{ type: 'function_call', call_id: 'call_1', arguments: '{"location":"Paris"}', status: 'completed' }],
    });
  });

  it('ends a stream cut at max tokens with response.incomplete, and a failure with error then response.failed', () => {
    const cut = new ResponsesStream({ input: 'x' }, 'm');
    const last = events([...cut.start(), ...cut.chunk(chunk({ content: 'a' })), ...cut.chunk(chunk({}, 'length')), ...cut.end()]).pop();
    expect(last).toEqual([
      'response.incomplete',
      expect.objectContaining({ response: expect.objectContaining({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }) }),
    ]);
    const failed = new ResponsesStream({ input: 'x' }, 'm');
    const out = events([...failed.start(), failed.fail('upstream_timeout', 'too slow')]);
    expect(out.slice(2)).toEqual([
      ['error', { type: 'error', sequence_number: 2, code: 'upstream_timeout', message: 'too slow', param: null }],
      [
        'response.failed',
        expect.objectContaining({
          sequence_number: 3,
          response: expect.objectContaining({ status: 'failed', error: { code: 'server_error', message: 'too slow' } }),
        }),
      ],
    ]);
  });
});
