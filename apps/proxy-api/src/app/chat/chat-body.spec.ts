import { ProxyError } from '../errors/proxy-error';
import { parseChatBody } from './chat-body';

function aChatBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'echo', messages: [{ role: 'user', content: 'Hello' }], ...overrides };
}

/** The ProxyError parseChatBody throws for `body`, or a failure if it accepts it. */
function rejection(body: unknown): ProxyError {
  try {
    parseChatBody(body);
  } catch (err) {
    if (err instanceof ProxyError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('parseChatBody', () => {
  it.each([
    ['null', null],
    ['an array', [aChatBody()]],
    ['a string', '{"model":"echo"}'],
    ['a number', 42],
  ])('refuses a body that is not an object (%s)', (_name, body) => {
    const err = rejection(body);
    expect(err.body()).toEqual({
      error: { message: 'The request body must be a JSON object.', type: 'invalid_request_error', param: null, code: 'invalid_request' },
    });
    expect(err.status).toBe(400);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['model missing', { model: undefined }, 'model', /"model" is required/],
    ['model not a string', { model: 42 }, 'model', /"model" is required and must be a non-empty string/],
    ['model empty', { model: '' }, 'model', /"model" is required/],
    ['model only spaces', { model: '   ' }, 'model', /"model" is required/],
    ['model over 200 characters', { model: 'm'.repeat(201) }, 'model', /"model" must be at most 200 characters/],
    ['messages missing', { messages: undefined }, 'messages', /"messages" is required and must be a non-empty array/],
    ['messages not an array', { messages: { role: 'user', content: 'hi' } }, 'messages', /"messages" is required/],
    ['messages empty', { messages: [] }, 'messages', /"messages" is required/],
    [
      'a message that is not an object',
      { messages: [{ role: 'user', content: 'a' }, 'hello'] },
      'messages[1]',
      /"messages\[1\]" must be an object with a string "role"/,
    ],
    ['a message without role', { messages: [{ content: 'hi' }] }, 'messages[0]', /"messages\[0\]" must be an object with a string "role"/],
    ['a role that is not a string', { messages: [{ role: 1, content: 'hi' }] }, 'messages[0]', /string "role"/],
    ['content a number', { messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', /must be a string or an array of content parts/],
    ['content an object', { messages: [{ role: 'user', content: { text: 'hi' } }] }, 'messages[0].content', /must be a string or an array/],
    ['stream a string', { stream: 'true' }, 'stream', /"stream" must be true or false/],
    ['stream a number', { stream: 1 }, 'stream', /"stream" must be true or false/],
    ['stream_options not an object', { stream_options: true }, 'stream_options', /"stream_options" must be an object/],
    [
      'include_usage not a boolean',
      { stream: true, stream_options: { include_usage: 'yes' } },
      'stream_options.include_usage',
      /"stream_options.include_usage" must be true or false/,
    ],
    ['max_tokens 0', { max_tokens: 0 }, 'max_tokens', /"max_tokens" must be a whole number of at least 1/],
    ['max_tokens 1.5', { max_tokens: 1.5 }, 'max_tokens', /"max_tokens" must be a whole number of at least 1/],
    ['max_tokens negative', { max_tokens: -3 }, 'max_tokens', /at least 1/],
    ['max_tokens a string', { max_tokens: '10' }, 'max_tokens', /at least 1/],
    ['max_completion_tokens 0', { max_completion_tokens: 0 }, 'max_completion_tokens', /at least 1/],
    ['n 0', { n: 0 }, 'n', /"n" must be a whole number of at least 1/],
    ['temperature a string', { temperature: '0.7' }, 'temperature', /"temperature" must be a number/],
    ['top_p a string', { top_p: '1' }, 'top_p', /"top_p" must be a number/],
  ])('refuses %s, naming the parameter', (_name, overrides, param, message) => {
    const err = rejection(aChatBody(overrides));
    expect(err.status).toBe(400);
    expect(err.body().error).toEqual({ message: expect.stringMatching(message), type: 'invalid_request_error', param, code: 'invalid_request' });
  });

  it('names the first bad message of several', () => {
    const err = rejection(aChatBody({ messages: [{ role: 'system', content: 'x' }, { role: 'user', content: 'y' }, { content: 'z' }] }));
    expect(err.param).toBe('messages[2]');
  });

  it('checks the model before the messages', () => {
    expect(rejection({}).param).toBe('model');
  });

  it('accepts a minimal body and returns it as it came, unknown fields included', () => {
    const body = aChatBody({
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
      response_format: { type: 'json_object' },
      user: 'someone',
      seed: 7,
      logit_bias: { '50256': -100 },
      stream_options: { include_usage: true, something_new: 1 },
    });
    const snapshot = JSON.parse(JSON.stringify(body));
    const parsed = parseChatBody(body);
    expect(parsed).toBe(body);
    expect(parsed).toEqual(snapshot);
  });

  it('accepts every documented shape: content parts, null content, tool messages, valid optional fields', () => {
    const body = aChatBody({
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'image_url', image_url: { url: 'https://x/y.png' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '42' },
        { role: 'assistant' },
      ],
      stream: true,
      stream_options: { include_usage: false },
      max_tokens: 1,
      max_completion_tokens: 4096,
      n: 1,
      temperature: 0,
      top_p: 0.5,
      model: 'm'.repeat(200),
    });
    expect(() => parseChatBody(body)).not.toThrow();
  });

  it('treats null optional fields as absent', () => {
    const body = aChatBody({ stream: null, stream_options: null, max_tokens: null, max_completion_tokens: null, n: null, temperature: null, top_p: null });
    expect(parseChatBody(body)).toBe(body);
    expect(parseChatBody(aChatBody({ stream_options: { include_usage: null } }))).toBeDefined();
  });
});
