import { chatToMessage } from './anthropic-answer';
import { ANTHROPIC_ERRORS, anthropicErrorType } from './anthropic-errors';
import { anthropicToChat } from './anthropic-request';
import { AnthropicStream } from './anthropic-stream';
import { ProxyError } from '../../errors/proxy-error';

const WEATHER = {
  name: 'get_weather',
  description: 'Weather of a city',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

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

describe('Anthropic Messages → chat completions (request)', () => {
  it('turns system blocks, multi-turn tool use and tool results, tools and options into a chat body', () => {
    expect(
      anthropicToChat(
        {
          max_tokens: 100,
          system: [{ type: 'text', text: 'Be brief' }],
          stop_sequences: ['END'],
          temperature: 0.5,
          top_k: 3,
          metadata: { user_id: 'u1' },
          tools: [WEATHER],
          tool_choice: { type: 'any', disable_parallel_tool_use: true },
          messages: [
            { role: 'user', content: 'Weather in Paris?' },
            {
              role: 'assistant',
              content: [
                { type: 'text', text: 'Checking.' },
                { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris' } },
              ],
            },
            {
              role: 'user',
              content: [
                { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '18C' }] },
                { type: 'text', text: 'And?' },
              ],
            },
          ],
        },
        'm',
        true,
      ),
    ).toEqual({
      model: 'm',
      stream: true,
      max_tokens: 100,
      stop: ['END'],
      temperature: 0.5,
      user: 'u1',
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
        { role: 'user', content: 'And?' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: WEATHER.input_schema } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
  });

  it('turns images into image_url parts and marks failed tool results', () => {
    const chat = anthropicToChat(
      {
        max_tokens: 1,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 't', content: 'boom', is_error: true },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
              { type: 'text', text: 'see' },
            ],
          },
        ],
      },
      'm',
      false,
    );
    expect(chat.messages).toEqual([
      { role: 'tool', tool_call_id: 't', content: 'Error: boom' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          { type: 'text', text: 'see' },
        ],
      },
    ]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['no max_tokens', { messages: [{ role: 'user', content: 'x' }] }],
    ['no messages', { max_tokens: 5 }],
    ['a bad role', { max_tokens: 5, messages: [{ role: 'system', content: 'x' }] }],
    ['a server tool', { max_tokens: 5, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }],
  ])('refuses %s with a 400', (_name, body) => {
    expect(() => anthropicToChat(body, 'm', false)).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('chat completions → Anthropic Messages (JSON answer)', () => {
  it.each<[string | null, string]>([
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['tool_calls', 'tool_use'],
    [null, 'end_turn'],
  ])('maps finish_reason %s to stop_reason %s', (finish, stop) => {
    expect(chatToMessage({ choices: [{ message: { content: 'x' }, finish_reason: finish }] }, 'm')['stop_reason']).toBe(stop);
  });

  it('answers text and tool_use blocks with usage and the public model', () => {
    const message = chatToMessage(
      {
        model: 'upstream',
        choices: [
          {
            message: {
              content: 'Checking.',
              tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 9, completion_tokens: 5 },
      },
      'public',
    );
    expect(message).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: 'message',
      role: 'assistant',
      model: 'public',
      stop_sequence: null,
      stop_reason: 'tool_use',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
      ],
      usage: { input_tokens: 9, output_tokens: 5 },
    });
  });
});

describe('chat chunk stream → Anthropic events', () => {
  const chunk = (delta: object, finish: string | null = null) => ({ choices: [{ index: 0, delta, finish_reason: finish }] });

  it('streams text then a tool call as blocks, and usage in message_delta', () => {
    const s = new AnthropicStream('public');
    const out = events([
      ...s.start(),
      ...s.chunk(chunk({ role: 'assistant', content: 'Hi' })),
      ...s.chunk(chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'get_weather', arguments: '{"loc' } }] })),
      ...s.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: 'ation":"Paris"}' } }] })),
      ...s.chunk(chunk({}, 'tool_calls')),
      ...s.chunk({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3 } }),
      ...s.end(),
    ]);
    expect(out).toEqual([
      [
        'message_start',
        { type: 'message_start', message: expect.objectContaining({ type: 'message', role: 'assistant', model: 'public', content: [], stop_reason: null }) },
      ],
      ['ping', { type: 'ping' }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_1', name: 'get_weather', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"loc' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'ation":"Paris"}' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 7, output_tokens: 3 } }],
      ['message_stop', { type: 'message_stop' }],
    ]);
  });

  it("ends a failed stream with an error event in Anthropic's shape", () => {
    expect(events([new AnthropicStream('m').fail(504, 'too slow')])).toEqual([
      ['error', { type: 'error', error: { type: 'timeout_error', message: 'too slow' } }],
    ]);
  });
});

describe('Anthropic error shape', () => {
  it.each<[number, string]>([
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'overloaded_error'],
  ])('status %i is %s', (status, type) => {
    expect(anthropicErrorType(status)).toBe(type);
  });

  it('answers a ProxyError as {"type":"error","error":{type,message}}', () => {
    expect(ANTHROPIC_ERRORS.body(ProxyError.unauthorized('bad key'))).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'bad key' } });
  });
});
