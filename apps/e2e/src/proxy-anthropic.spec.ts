import Anthropic from '@anthropic-ai/sdk';
import { DashboardClient } from './support/dashboard-client';
import { FAKE_ANSWER, FakeUpstream, startFakeUpstream } from './support/fake-openai';
import { expectSchema } from './support/schemas';
import { RunningServer } from './support/servers';
import { Stack, startStack } from './support/stack';
import { UsageDb, UsageLogRow } from './support/usage-db';

const MODELS: Record<string, unknown> = {
  echo: { provider: 'echo' },
  arena: 'some-lmarena-model',
  'claude-alias': { provider: 'chatonly', model: 'normal' },
  'claude-broken': { provider: 'chatonly', model: 'reset-mid-stream' },
};
const WEATHER = {
  name: 'get_weather',
  description: 'The weather of a city',
  input_schema: { type: 'object' as const, properties: { location: { type: 'string' } }, required: ['location'] },
};

describe('Anthropic Messages API through the official @anthropic-ai/sdk', () => {
  let upstream: FakeUpstream;
  let stack: Stack;
  let proxy: RunningServer;
  let admin: DashboardClient;
  let usage: UsageDb;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    stack = await startStack(
      { usage: { flush_interval_ms: 20 }, providers: { chatonly: { type: 'openai', base_url: upstream.url, timeout_ms: 5000 } } },
      MODELS,
    );
    ({ proxy, admin, usage } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  async function aClient(name: string, auth: 'x-api-key' | 'bearer' = 'x-api-key'): Promise<{ client: Anthropic; tokenId: number }> {
    const token = await admin.createToken(name);
    const keys = auth === 'x-api-key' ? { apiKey: token.token } : { apiKey: null, authToken: token.token };
    return { client: new Anthropic({ ...keys, baseURL: proxy.url, maxRetries: 0, timeout: 10_000 }), tokenId: token.id };
  }

  async function rows(tokenId: number, n: number): Promise<UsageLogRow[]> {
    const found = await usage.waitForRows(tokenId, n);
    expect(found).toHaveLength(n);
    return found;
  }

  it('creates a message with x-api-key and with Bearer, system and multi-turn, recording /v1/messages', async () => {
    const { client, tokenId } = await aClient('create');
    const message = await client.messages.create({
      model: 'echo',
      max_tokens: 64,
      system: [{ type: 'text', text: 'Be brief' }],
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'Hello there Claude' },
      ],
    });
    expectSchema('Message', message, 'anthropic');
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'echo',
      content: [{ type: 'text', text: 'Hello there Claude' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 7, output_tokens: 3 },
    });
    const cut = await client.messages.create({ model: 'echo', max_tokens: 2, messages: [{ role: 'user', content: 'one two three' }] });
    expect(cut).toMatchObject({ stop_reason: 'max_tokens', content: [{ text: 'one two' }] });
    const bearer = (await aClient('bearer', 'bearer')).client;
    expect((await bearer.messages.create({ model: 'claude-alias', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })).content).toEqual([
      { type: 'text', text: FAKE_ANSWER.content },
    ]);
    const recorded = await rows(tokenId, 2);
    expect(recorded.map((r) => [r.endpoint, r.model, r.status_code, r.prompt_tokens, r.completion_tokens])).toEqual([
      ['/v1/messages', 'echo', 200, 7, 3],
      ['/v1/messages', 'echo', 200, 3, 2],
    ]);
  });

  it("streams a message: the SDK's events and final message, each event valid", async () => {
    const { client, tokenId } = await aClient('stream');
    const stream = client.messages.stream({ model: 'echo', max_tokens: 64, messages: [{ role: 'user', content: 'stream these words please' }] });
    const types: string[] = [];
    for await (const event of stream) {
      expectSchema('MessageStreamEvent', event, 'anthropic');
      types.push(event.type);
    }
    const final = await stream.finalMessage();
    expect(final).toMatchObject({
      model: 'echo',
      content: [{ type: 'text', text: 'stream these words please' }],
      stop_reason: 'end_turn',
      usage: { output_tokens: 4 },
    });
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(types.filter((t) => t === 'content_block_delta').length).toBe(4);
    const [row] = await rows(tokenId, 1);
    expect(row).toMatchObject({ endpoint: '/v1/messages', stream: 1, status_code: 200, prompt_tokens: 4, completion_tokens: 4 });
    expect(row.ttft_ms).toBeGreaterThanOrEqual(1);
  });

  it("uses tools: tool_use from the upstream's tool call (JSON and stream), tool_result back as a tool message", async () => {
    const { client } = await aClient('tools');
    const first = await client.messages.create({
      model: 'claude-alias',
      max_tokens: 100,
      tools: [WEATHER],
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expectSchema('Message', first, 'anthropic');
    expect(first).toMatchObject({
      model: 'claude-alias',
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', id: 'call_fake_1', name: 'get_weather', input: { location: 'Paris' } }],
    });
    const streamed = await client.messages
      .stream({ model: 'claude-alias', max_tokens: 100, tools: [WEATHER], messages: [{ role: 'user', content: 'Weather in Paris?' }] })
      .finalMessage();
    expect(streamed).toMatchObject({ stop_reason: 'tool_use', content: [{ type: 'tool_use', name: 'get_weather', input: { location: 'Paris' } }] });
    const second = await client.messages.create({
      model: 'claude-alias',
      max_tokens: 100,
      tools: [WEATHER],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_fake_1', content: '18C' }] },
      ],
    });
    expect(second).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: FAKE_ANSWER.content }] });
    expect(upstream.requests.at(-1)).toMatchObject({
      model: 'normal',
      max_tokens: 100,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER.input_schema } }],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_fake_1', content: '18C' },
      ],
    });
  });

  it("answers errors in Anthropic's shape: the SDK's error classes", async () => {
    const bad = new Anthropic({ apiKey: 'sk-lmarena-not-a-token', baseURL: proxy.url, maxRetries: 0 });
    const unauth = await bad.messages.create({ model: 'echo', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(unauth).toBeInstanceOf(Anthropic.AuthenticationError);
    expectSchema('ErrorResponse', (unauth as InstanceType<typeof Anthropic.AuthenticationError>).error, 'anthropic');
    const { client } = await aClient('errors');
    const missing = await client.messages.create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const invalid = await client.messages
      .create({ model: 'echo', messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(Anthropic.BadRequestError);
    expect((invalid as Error).message).toContain('max_tokens');
    const offline = await client.messages.create({ model: 'arena', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(offline).toBeInstanceOf(Anthropic.APIError);
    expect((offline as InstanceType<typeof Anthropic.APIError>).status).toBe(503);
    expect((offline as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('ends a stream that fails midway with an error event the SDK throws', async () => {
    const { client, tokenId } = await aClient('broken');
    const stream = client.messages.stream({ model: 'claude-broken', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as Error).message).toContain('api_error');
    const [row] = await rows(tokenId, 1);
    expect(row).toMatchObject({ endpoint: '/v1/messages', status_code: 502 });
  });
});
