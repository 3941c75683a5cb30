import { ProxyError } from '../../errors/proxy-error';
import { buildTranscript } from './transcript';

const user = (content: unknown, extra: object = {}) => ({ role: 'user', content, ...extra });
const assistant = (content: unknown, extra: object = {}) => ({ role: 'assistant', content, ...extra });

function refusal(run: () => unknown): ProxyError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ProxyError);
    return err as ProxyError;
  }
  throw new Error('expected a ProxyError');
}

describe('buildTranscript', () => {
  it('sends a lone user message as it is, without labels', () => {
    expect(buildTranscript([user('  What is 2+2?\n')])).toBe('  What is 2+2?\n');
  });

  it('puts system text first, before a lone user message', () => {
    expect(buildTranscript([user('Hi'), { role: 'system', content: 'Be brief.' }])).toBe('Be brief.\n\nHi');
  });

  it('treats developer messages as system text, in order', () => {
    const prompt = buildTranscript([{ role: 'developer', content: 'Rule one.' }, user('Hi'), { role: 'system', content: 'Rule two.' }]);
    expect(prompt).toBe('Rule one.\n\nRule two.\n\nHi');
  });

  it('flattens a conversation into labelled turns after the system text', () => {
    const prompt = buildTranscript([{ role: 'system', content: 'You are terse.' }, user('Name a colour.'), assistant('Blue.'), user('Another one.')]);
    expect(prompt).toBe('You are terse.\n\nUser: Name a colour.\n\nAssistant: Blue.\n\nUser: Another one.');
  });

  it('labels turns without system text too, and adds message names', () => {
    expect(buildTranscript([user('Hi', { name: 'alice' }), assistant('Hello'), user('Bye')])).toBe('User (alice): Hi\n\nAssistant: Hello\n\nUser: Bye');
  });

  it('joins the text parts of a content array with newlines', () => {
    const parts = [
      { type: 'text', text: 'first' },
      { type: 'text', text: 'second' },
    ];
    expect(buildTranscript([user(parts)])).toBe('first\nsecond');
    expect(buildTranscript([{ role: 'system', content: [{ type: 'text', text: 'sys' }] }, user('q')])).toBe('sys\n\nq');
  });

  it('refuses image parts with a clear 400 on messages', () => {
    const error = refusal(() =>
      buildTranscript([
        user([
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ]),
      ]),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_request');
    expect(error.param).toBe('messages');
    expect(error.message).toContain('messages[0].content[1]');
    expect(error.message).toMatch(/does not send images yet/);
  });

  it('refuses other non-text parts (audio, files) with a 400', () => {
    const error = refusal(() => buildTranscript([user([{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }])]));
    expect(error.status).toBe(400);
    expect(error.message).toContain('"input_audio"');
  });

  it('folds tool calls and tool results into the transcript as text', () => {
    const prompt = buildTranscript([
      user('Weather in Paris?'),
      assistant(null, { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] }),
      { role: 'tool', tool_call_id: 'call_1', content: '18 °C, sunny' },
      user('And tomorrow?'),
    ]);
    expect(prompt).toBe(
      'User: Weather in Paris?\n\nAssistant: [tool call call_1: weather({"city":"Paris"})]\n\nTool result (call_1): 18 °C, sunny\n\nUser: And tomorrow?',
    );
  });

  it('keeps assistant text and its tool calls in one turn', () => {
    const prompt = buildTranscript([user('Go'), assistant('Looking it up.', { tool_calls: [{ id: 'c', function: { name: 'f', arguments: '{}' } }] })]);
    expect(prompt).toBe('User: Go\n\nAssistant: Looking it up.\n[tool call c: f({})]');
  });

  it('skips empty turns and refuses a request with no text at all', () => {
    expect(buildTranscript([{ role: 'system', content: '' }, assistant(''), user('only this')])).toBe('only this');
    for (const messages of [[user('')], [user('   \n')], [user([])], [{ role: 'system', content: ' ' }, user(null)]]) {
      const error = refusal(() => buildTranscript(messages));
      expect(error.status).toBe(400);
      expect(error.param).toBe('messages');
      expect(error.message).toBe('The messages contain no text to send.');
    }
  });

  it('refuses an unknown role', () => {
    const error = refusal(() => buildTranscript([{ role: 'narrator', content: 'x' }]));
    expect(error.status).toBe(400);
    expect(error.message).toContain('"narrator"');
  });
});
