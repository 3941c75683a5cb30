import type { ModelRoute } from '@lmarena-bridge/config';
import { ChatAnswer, ChatBody, ChatCall, ClientGone } from '../chat-provider';
import { countWords, echoReply, EchoProvider, messageText } from './echo.provider';

const ROUTE: ModelRoute = { name: 'echo-public', provider: 'echo', type: 'echo', upstream_model: 'echo', price: null };

function aBody(overrides: Partial<ChatBody> = {}): ChatBody {
  return { model: ROUTE.name, messages: [{ role: 'user', content: 'Hello there, general Kenobi' }], ...overrides };
}

function aCall(body: ChatBody, stream: boolean, signal = new ClientGone()): ChatCall {
  return { route: ROUTE, body, stream, signal };
}

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: Array<{ index: number; delta: { role?: string; content?: string }; logprobs: null; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function streamOf(answer: ChatAnswer): Promise<Chunk[]> {
  if (answer.kind !== 'stream') throw new Error(`expected a stream, got ${answer.kind}`);
  const chunks: Chunk[] = [];
  for await (const payload of answer.events) chunks.push(JSON.parse(payload) as Chunk);
  return chunks;
}

function jsonOf(answer: ChatAnswer): { status: number; body: Record<string, unknown> } {
  if (answer.kind !== 'json') throw new Error(`expected JSON, got ${answer.kind}`);
  return { status: answer.status, body: answer.body as Record<string, unknown> };
}

const contentOf = (chunks: Chunk[]) => chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? '')).join('');

describe('EchoProvider', () => {
  const provider = new EchoProvider();

  it('answers a non-streamed request with a chat.completion echoing the last user message, and its usage', async () => {
    const before = Math.floor(Date.now() / 1000);
    const body = aBody({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'Hello there,  general\nKenobi' },
      ],
    });
    const { status, body: completion } = jsonOf(await provider.complete(aCall(body, false)));
    expect(status).toBe(200);
    expect(completion).toEqual({
      id: expect.stringMatching(/^chatcmpl-echo-[0-9a-f-]{36}$/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: ROUTE.name,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there,  general\nKenobi', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      // Words of every message (3 + 2 + 2 + 4) in, the echoed words out.
      usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
    });
    expect(completion['created']).toBeGreaterThanOrEqual(before);
    expect(Number.isInteger(completion['created'])).toBe(true);
  });

  it('gives each answer its own id', async () => {
    const a = jsonOf(await provider.complete(aCall(aBody(), false))).body['id'];
    const b = jsonOf(await provider.complete(aCall(aBody(), false))).body['id'];
    expect(a).not.toBe(b);
  });

  it('streams a role chunk, content chunks, a finish chunk, then a usage chunk with no choices', async () => {
    const chunks = await streamOf(await provider.complete(aCall(aBody(), true)));
    const expected = jsonOf(await provider.complete(aCall(aBody(), false))).body as { usage: unknown };

    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === ROUTE.name && c.created === chunks[0].created)).toBe(true);
    expect(chunks[0].choices).toEqual([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    const words = chunks.slice(1, -2);
    expect(words.length).toBe(4);
    expect(words.every((c) => c.choices.length === 1 && c.choices[0].finish_reason === null && c.usage === undefined)).toBe(true);
    expect(chunks.at(-2)?.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: expected.usage });
    expect(contentOf(chunks)).toBe('Hello there, general Kenobi');
  });

  it.each([
    ['plain words', 'Hello there, general Kenobi'],
    ['spaces around and between words', '  spaced   out\tand\nnew lines  '],
    ['a single word', 'word'],
    ['only spaces', '   '],
    ['nothing', ''],
    ['non-Latin text', 'Grüße aus 東京 🚀 ok'],
  ])('streams content that adds up to the non-streamed content (%s)', async (_name, text) => {
    const body = aBody({ messages: [{ role: 'user', content: text }] });
    const whole = jsonOf(await provider.complete(aCall(body, false))).body as { choices: Array<{ message: { content: string } }> };
    const chunks = await streamOf(await provider.complete(aCall(body, true)));
    expect(contentOf(chunks)).toBe(whole.choices[0].message.content);
    expect(whole.choices[0].message.content).toBe(text);
  });

  it('cuts the answer at max_tokens words with finish_reason "length", streamed or not', async () => {
    const body = aBody({ messages: [{ role: 'user', content: 'one two three four five' }], max_tokens: 3 });
    const whole = jsonOf(await provider.complete(aCall(body, false))).body;
    expect(whole).toMatchObject({
      choices: [{ message: { content: 'one two three' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    });
    const chunks = await streamOf(await provider.complete(aCall(body, true)));
    expect(contentOf(chunks)).toBe('one two three');
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('length');
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  it.each([5, 6, 100])('finishes with "stop" when max_tokens (%p) leaves the answer whole', async (max_tokens) => {
    const reply = echoReply(aBody({ messages: [{ role: 'user', content: 'one two three four five' }], max_tokens }));
    expect(reply).toEqual({ content: 'one two three four five', finishReason: 'stop', promptTokens: 5, completionTokens: 5 });
  });

  it('reads the text parts of a content-part array and ignores the others', async () => {
    const body = aBody({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look at' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'text', text: ' this picture' },
          ],
        },
      ],
    });
    const whole = jsonOf(await provider.complete(aCall(body, false))).body;
    expect(whole).toMatchObject({ choices: [{ message: { content: 'look at this picture' } }], usage: { prompt_tokens: 4, completion_tokens: 4 } });
    expect(contentOf(await streamOf(await provider.complete(aCall(body, true))))).toBe('look at this picture');
  });

  it('answers empty content when there is no user message', async () => {
    const reply = echoReply(
      aBody({
        messages: [
          { role: 'system', content: 'be nice' },
          { role: 'assistant', content: 'hi' },
        ],
      }),
    );
    expect(reply).toEqual({ content: '', finishReason: 'stop', promptTokens: 3, completionTokens: 0 });
  });

  it('stops streaming when the request is aborted: no more words, no finish or usage chunk', async () => {
    const controller = new ClientGone();
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ');
    const answer = await provider.complete(aCall(aBody({ messages: [{ role: 'user', content: words }] }), true, controller));
    if (answer.kind !== 'stream') throw new Error('expected a stream');
    const chunks: Chunk[] = [];
    for await (const payload of answer.events) {
      const chunk = JSON.parse(payload) as Chunk;
      chunks.push(chunk);
      if (chunk.choices[0]?.delta.content === 'w1 ') controller.abort();
    }
    expect(contentOf(chunks)).toBe('w0 w1 ');
    expect(chunks.some((c) => c.choices[0]?.finish_reason !== null && c.choices.length > 0)).toBe(false);
    expect(chunks.some((c) => c.usage !== undefined)).toBe(false);
  });
});

describe('echo helpers', () => {
  it.each([
    ['', 0],
    ['   ', 0],
    ['one', 1],
    [' one  two\tthree\nfour ', 4],
  ])('counts the words of %p as %p', (text, n) => {
    expect(countWords(text)).toBe(n);
  });

  it.each([
    [{ role: 'user', content: 'plain' }, 'plain'],
    [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text' }, { type: 'input_audio' }, null, { type: 'text', text: 'b' }] }, 'ab'],
    [{ role: 'user', content: null }, ''],
    [{ role: 'user' }, ''],
  ])('reads the text of %j', (message, text) => {
    expect(messageText(message as Record<string, unknown>)).toBe(text);
  });
});
