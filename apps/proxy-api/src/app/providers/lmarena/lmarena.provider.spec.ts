import type { ModelRoute } from '@lmarena-bridge/config';
import { countTokens } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import { FakeTransport } from '../../../testing/fake-bridge';
import { ProxyError } from '../../errors/proxy-error';
import { ChatAnswer, ChatBody, ClientGone } from '../chat-provider';
import { BridgeRelayError } from './bridge-transport';
import { LmarenaProvider } from './lmarena.provider';

const MODEL_ID = '0199c1e0-3720-742d-91c8-787788b0a19b';
const route: ModelRoute = { name: 'public-model', provider: 'lmarena', type: 'lmarena', upstream_model: MODEL_ID, price: null };
const line = (prefix: string, value: unknown) => `${prefix}:${JSON.stringify(value)}\n`;
const count = (text: string) => countTokens(text, { disallowedSpecial: new Set() });

interface Chunk {
  id: string;
  object: string;
  model: string;
  choices: Array<{ delta: { role?: string; content?: string; reasoning_content?: string }; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function setUp(body: Partial<ChatBody> = {}) {
  const transport = new FakeTransport();
  const provider = new LmarenaProvider(transport);
  const signal = new ClientGone();
  const chatBody: ChatBody = { model: 'public-model', messages: [{ role: 'user', content: 'Say hello' }], ...body };
  const call = (stream: boolean) => provider.complete({ route, body: chatBody, stream, signal });
  return { transport, relay: transport.relay, exchange: transport.exchange, signal, call };
}

type StreamAnswer = Extract<ChatAnswer, { kind: 'stream' }>;
type JsonAnswer = Extract<ChatAnswer, { kind: 'json' }>;

async function asStream(answer: Promise<ChatAnswer>): Promise<StreamAnswer> {
  const resolved = await answer;
  if (resolved.kind !== 'stream') throw new Error('expected a stream answer');
  return resolved;
}

async function asJson(answer: Promise<ChatAnswer>): Promise<JsonAnswer> {
  const resolved = await answer;
  if (resolved.kind !== 'json') throw new Error('expected a JSON answer');
  return resolved;
}

/** The chunks of a stream, and the error it ended with, if any. */
async function drain(answer: StreamAnswer): Promise<{ chunks: Chunk[]; error: unknown }> {
  const chunks: Chunk[] = [];
  try {
    for await (const payload of answer.events) chunks.push(JSON.parse(payload) as Chunk);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: null };
}

async function rejection(promise: Promise<unknown>): Promise<ProxyError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ProxyError);
    return err as ProxyError;
  }
  throw new Error('expected a rejection');
}

const contentOf = (chunks: Chunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

describe('LmarenaProvider, streaming', () => {
  it('streams text as chat.completion.chunk objects: role first, deltas, finish, usage last', async () => {
    const { relay, call, exchange } = setUp();
    relay.send('a0:"Hel', 'lo"\na0:" wor', 'ld"\n', line('ad', { finishReason: 'stop' })).finish();
    const answer = await asStream(call(true));
    const { chunks, error } = await drain(answer);
    expect(error).toBeNull();
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.slice(1, 3).map((c) => c.choices[0].delta)).toEqual([{ content: 'Hello' }, { content: ' world' }]);
    expect(chunks[3].choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks[4].choices).toEqual([]);
    expect(chunks[4].usage).toEqual({
      prompt_tokens: count('Say hello'),
      completion_tokens: count('Hello world'),
      total_tokens: count('Say hello') + count('Hello world'),
    });
    expect(chunks).toHaveLength(5);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'public-model' && c.id.startsWith('chatcmpl-'))).toBe(true);
    expect(answer.usageEstimated).toBe(true);
    expect(exchange.errors).toEqual([]);
  });

  it('counts the prompt on the transcript actually sent', async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Count to three, in German: eins, zwei…' },
    ];
    const { relay, call, transport } = setUp({ messages });
    relay.send(line('a0', 'eins, zwei, drei')).finish();
    const { chunks } = await drain(await asStream(call(true)));
    const sent = (transport.payloads[0].body['userMessage'] as { content: string }).content;
    expect(sent).toBe('Be brief.\n\nUser: Hi\n\nAssistant: Hello!\n\nUser: Count to three, in German: eins, zwei…');
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: count(sent), completion_tokens: count('eins, zwei, drei') });
  });

  it('streams reasoning as reasoning_content and counts it with the content', async () => {
    const { relay, call } = setUp();
    relay.send(line('ag', 'Thinking about it.'), line('ag', ' Done.'), line('a0', 'Hello!'), line('ad', { finishReason: 'stop' })).finish();
    const { chunks } = await drain(await asStream(call(true)));
    expect(chunks.slice(1, 4).map((c) => c.choices[0].delta)).toEqual([
      { reasoning_content: 'Thinking about it.' },
      { reasoning_content: ' Done.' },
      { content: 'Hello!' },
    ]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(count('Hello!') + count('Thinking about it. Done.'));
  });

  it('streams images as Markdown, after text in their own paragraph', async () => {
    const { relay, call } = setUp();
    relay
      .send(
        line('a2', [{ type: 'heartbeat' }]),
        line('a0', 'Here:'),
        line('a2', [{ type: 'image', image: 'https://img.example/cat.png' }]),
        line('ad', { finishReason: 'stop' }),
      )
      .finish();
    const { chunks } = await drain(await asStream(call(true)));
    expect(contentOf(chunks)).toBe('Here:\n\n![Image](https://img.example/cat.png)');
  });

  it('answers an image-only result', async () => {
    const { relay, call } = setUp();
    relay.send(line('a2', [{ type: 'image', image: 'https://img.example/cat.png' }]), line('ad', { finishReason: 'stop' })).finish();
    const { chunks, error } = await drain(await asStream(call(true)));
    expect(error).toBeNull();
    expect(contentOf(chunks)).toBe('![Image](https://img.example/cat.png)');
  });

  it('appends search sources as Markdown links after the text', async () => {
    const { relay, call } = setUp();
    relay
      .send(
        line('a0', 'It is sunny.'),
        line('ac', { toolCallId: 't', argsTextDelta: JSON.stringify({ source: [{ url: 'https://weather.example/', title: 'Weather' }] }) }),
      )
      .finish();
    const { chunks } = await drain(await asStream(call(true)));
    expect(contentOf(chunks)).toBe('It is sunny.\n\n**Sources:**\n1. [Weather](https://weather.example/)');
  });

  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['content-filter', 'content_filter'],
    ['tool-calls', 'tool_calls'],
    ['unknown-reason', 'stop'],
  ])('maps the finish reason %s to %s', async (site, openai) => {
    const { relay, call } = setUp();
    relay.send(line('a0', 'x'), line('ad', { finishReason: site })).finish();
    const { chunks } = await drain(await asStream(call(true)));
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe(openai);
  });

  it('finishes with stop when the site sent no finish line', async () => {
    const { relay, call } = setUp();
    relay.send(line('a0', 'x')).finish();
    const { chunks } = await drain(await asStream(call(true)));
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('stop');
  });

  it("uses the site's own usage when it sends one, and then it is not estimated", async () => {
    const { relay, call } = setUp();
    relay.send(line('a0', 'x'), line('ad', { finishReason: 'stop', usage: { promptTokens: 101, completionTokens: 7 } })).finish();
    const answer = await asStream(call(true));
    const { chunks } = await drain(answer);
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 101, completion_tokens: 7, total_tokens: 108 });
    expect(answer.usageEstimated).toBe(false);
  });

  it('ends the stream with the mapped error when the site fails after content started', async () => {
    const { relay, call, exchange } = setUp();
    relay.send(line('a0', 'partial'), line('a3', 'Resource exhausted')).finish();
    const { chunks, error } = await drain(await asStream(call(true)));
    expect(contentOf(chunks)).toBe('partial');
    expect(error).toBeInstanceOf(ProxyError);
    expect((error as ProxyError).status).toBe(429);
    expect(exchange.errors).toEqual([(error as ProxyError).message]);
    expect(relay.outcome).toBe('stopped');
  });

  it('ends the stream with the mapped error when the browser reports a failure mid-stream', async () => {
    const { relay, call, exchange } = setUp();
    relay.send(line('a0', 'partial')).fail(new BridgeRelayError(0, 'network error'));
    const { error } = await drain(await asStream(call(true)));
    expect((error as ProxyError).status).toBe(502);
    expect((error as ProxyError).message).toMatch(/could not reach LMArena \(network error\)/);
    expect(exchange.errors).toHaveLength(1);
  });

  it("passes the transport's own errors (browser gone, timeout) on and notes them", async () => {
    const { relay, call, exchange } = setUp();
    const gone = ProxyError.unavailable('The browser serving this request disconnected.');
    relay.send(line('a0', 'partial')).fail(gone);
    const { error } = await drain(await asStream(call(true)));
    expect(error).toBe(gone);
    expect(exchange.errors).toEqual([gone.message]);
    const timeout = setUp();
    timeout.relay.fail(ProxyError.timeout('The browser did not answer within 360 s.'));
    expect((await rejection(timeout.call(true))).status).toBe(504);
  });

  it('fails with 502 when the site answered without content, before the stream starts', async () => {
    const { relay, call, exchange } = setUp();
    relay.send(line('a2', [{ type: 'heartbeat' }]), line('ad', { finishReason: 'stop' })).finish();
    const error = await rejection(call(true));
    expect([error.status, error.code]).toEqual([502, 'upstream_error']);
    expect(error.message).toBe('LMArena answered without any content.');
    expect(exchange.errors).toEqual([error.message]);
  });

  it('says which lines it did not understand when nothing came through', async () => {
    const { relay, call } = setUp();
    relay.send('zz:{"new":"format"}\n').finish();
    expect((await rejection(call(true))).message).toContain('zz:{"new":"format"}');
  });

  it('fails after reasoning when no content follows it', async () => {
    const { relay, call } = setUp();
    relay.send(line('ag', 'hmm'), line('ad', { finishReason: 'stop' })).finish();
    const { chunks, error } = await drain(await asStream(call(true)));
    expect(chunks.map((c) => c.choices[0]?.delta.reasoning_content).filter(Boolean)).toEqual(['hmm']);
    expect((error as ProxyError).message).toBe('LMArena answered without any content.');
  });

  it('stops quietly when the client aborts mid-stream', async () => {
    const { relay, call, signal, exchange } = setUp();
    relay.send(line('a0', 'first'));
    const answer = await asStream(call(true));
    const iterator = answer.events[Symbol.asyncIterator]();
    expect(JSON.parse((await iterator.next()).value as string).choices[0].delta.role).toBe('assistant');
    expect(JSON.parse((await iterator.next()).value as string).choices[0].delta.content).toBe('first');
    const pending = iterator.next();
    signal.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(exchange.errors).toEqual([]);
  });

  it('rejects quietly as an abort when the client leaves before anything came', async () => {
    const { call, signal, exchange } = setUp();
    const answer = call(true);
    await Promise.resolve();
    signal.abort();
    await expect(answer).rejects.toMatchObject({ name: 'AbortError' });
    expect(exchange.errors).toEqual([]);
  });

  it('stops reading the relay when the consumer stops early', async () => {
    const { relay, call } = setUp();
    relay.send(line('a0', 'one'), line('a0', 'two'));
    const answer = await asStream(call(true));
    for await (const payload of answer.events) if (payload.includes('"one"')) break;
    expect(relay.outcome).toBe('stopped');
  });
});

describe('LmarenaProvider, errors before the answer', () => {
  it.each([
    [
      'a rejected reCAPTCHA',
      new BridgeRelayError(403, '{"error":"recaptcha validation failed"}'),
      502,
      /^LMArena rejected the reCAPTCHA token: open the arena\.ai tab/,
    ],
    ['an expired login', new BridgeRelayError(401, 'Unauthorized'), 502, /sign in again on arena\.ai/],
    ['a failed fetch', new BridgeRelayError(0, 'Failed to fetch'), 502, /could not reach LMArena/],
    ['a 400 from the site', new BridgeRelayError(400, '{"error":"Invalid id"}'), 502, /\(400: Invalid id\)/],
  ])('maps %s to its status and message, for streams and JSON alike', async (_name, failure, status, message) => {
    for (const stream of [true, false]) {
      const { relay, call, exchange } = setUp();
      relay.fail(failure);
      const error = await rejection(call(stream));
      expect(error.status).toBe(status);
      expect(error.message).toMatch(message);
      expect(exchange.errors).toEqual([error.message]);
      expect(exchange.refreshes).toBe(0);
    }
  });

  it("maps 429 to 429 with the site's Retry-After, else 30 s", async () => {
    const withHeader = setUp();
    withHeader.relay.fail(new BridgeRelayError(429, 'Too many requests; retry-after: 17'));
    const error = await rejection(withHeader.call(true));
    expect([error.status, error.type, error.code]).toEqual([429, 'rate_limit_error', 'rate_limit_exceeded']);
    expect(error.headers['Retry-After']).toBe('17');
    const without = setUp();
    without.relay.fail(new BridgeRelayError(429, ''));
    expect((await rejection(without.call(false))).headers['Retry-After']).toBe('30');
    const inStream = setUp();
    inStream.relay.send(line('a3', 'Resource exhausted: slow down')).finish();
    expect((await rejection(inStream.call(true))).headers['Retry-After']).toBe('30');
  });

  it('maps a Cloudflare page in the answer to 503 and reloads the tab', async () => {
    const { relay, call, exchange } = setUp();
    relay.send('<!DOCTYPE html><html><head><title>Just a moment...</title>', '</head></html>').finish();
    const error = await rejection(call(true));
    expect([error.status, error.code]).toEqual([503, 'upstream_unavailable']);
    expect(exchange.refreshes).toBe(1);
    expect(exchange.errors).toEqual([error.message]);
  });

  it('maps a Cloudflare page reported as a failure to 503 and reloads the tab', async () => {
    const { relay, call, exchange } = setUp();
    relay.fail(new BridgeRelayError(403, '<html><title>Attention Required! | Cloudflare</title></html>'));
    expect((await rejection(call(false))).status).toBe(503);
    expect(exchange.refreshes).toBe(1);
  });

  it('maps a bare JSON error body to 502 with its message', async () => {
    const { relay, call } = setUp();
    relay.send('{"error":"Model not available"}').finish();
    expect((await rejection(call(true))).message).toBe('LMArena answered with an error: Model not available');
  });

  it("passes the transport's refusal on (no browser connected)", async () => {
    const { transport, call } = setUp();
    transport.refuseWith = ProxyError.unavailable('No browser is connected to the LMArena bridge.');
    expect((await rejection(call(true))).status).toBe(503);
  });

  it('refuses images with 400 before anything goes to a browser', async () => {
    const { transport, call } = setUp({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] });
    const error = await rejection(call(true));
    expect([error.status, error.param]).toEqual([400, 'messages']);
    expect(transport.payloads).toEqual([]);
  });

  it('sends the modality of the model the browsers reported', async () => {
    const { transport, relay, call } = setUp();
    transport.models.set(MODEL_ID, { id: MODEL_ID, capabilities: { outputCapabilities: { search: true } } });
    relay.send(line('a0', 'x')).finish();
    await drain(await asStream(call(true)));
    expect(transport.payloads[0].body['modality']).toBe('search');
    expect(transport.payloads[0].body['modelAId']).toBe(MODEL_ID);
  });
});

describe('LmarenaProvider, non-streaming', () => {
  it('answers one chat.completion with content, reasoning, finish reason and estimated usage', async () => {
    const { relay, call } = setUp();
    relay.send(line('ag', 'Because.'), 'a0:"Hel', 'lo"\n', line('a0', '!'), line('ad', { finishReason: 'length' })).finish();
    const answer = await asJson(call(false));
    expect(answer.status).toBe(200);
    expect(answer.usageEstimated).toBe(true);
    expect(answer.body).toMatchObject({
      object: 'chat.completion',
      model: 'public-model',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!', reasoning_content: 'Because.' }, finish_reason: 'length' }],
      usage: {
        prompt_tokens: count('Say hello'),
        completion_tokens: count('Hello!') + count('Because.'),
        total_tokens: count('Say hello') + count('Hello!') + count('Because.'),
      },
    });
    expect((answer.body as { id: string }).id).toMatch(/^chatcmpl-/);
  });

  it('answers images as Markdown content', async () => {
    const { relay, call } = setUp();
    relay.send(line('a2', [{ type: 'image', image: 'https://img.example/a.png' }])).finish();
    const answer = await asJson(call(false));
    expect((answer.body as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe('![Image](https://img.example/a.png)');
  });

  it('throws the mapped error when the site fails after some content', async () => {
    const { relay, call, exchange } = setUp();
    relay.send(line('a0', 'partial'), line('a3', 'Internal model error')).finish();
    const error = await rejection(call(false));
    expect(error.status).toBe(502);
    expect(error.message).toBe('LMArena reported an error: Internal model error');
    expect(exchange.errors).toEqual([error.message]);
  });

  it('fails with 502 without content', async () => {
    const { relay, call } = setUp();
    relay.send(line('ad', { finishReason: 'stop' })).finish();
    expect((await rejection(call(false))).message).toBe('LMArena answered without any content.');
  });

  it("uses the site's usage when given", async () => {
    const { relay, call } = setUp();
    relay.send(line('a0', 'x'), line('ad', { finishReason: 'stop', usage: { inputTokens: 5, outputTokens: 6 } })).finish();
    const answer = await asJson(call(false));
    expect(answer.usageEstimated).toBe(false);
    expect((answer.body as { usage: object }).usage).toEqual({ prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
  });

  it('rejects as an abort when the client leaves', async () => {
    const { relay, call, signal, exchange } = setUp();
    relay.send(line('a0', 'partial'));
    const answer = call(false);
    await new Promise((resolve) => setImmediate(resolve));
    signal.abort();
    await expect(answer).rejects.toMatchObject({ name: 'AbortError' });
    expect(exchange.errors).toEqual([]);
  });
});
