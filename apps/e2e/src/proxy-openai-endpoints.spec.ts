import OpenAI from 'openai';
import { DashboardClient } from './support/dashboard-client';
import { FAKE_ANSWER, FakeUpstream, startFakeUpstream } from './support/fake-openai';
import { expectSchema } from './support/schemas';
import { RunningServer } from './support/servers';
import { Stack, startStack } from './support/stack';
import { UsageDb, UsageLogRow } from './support/usage-db';

const MODELS: Record<string, unknown> = {
  echo: { provider: 'echo' },
  arena: 'some-lmarena-model',
  // chat-only upstream (Responses translated to chat), aliased: answers must say "chat-alias"
  'chat-alias': { provider: 'chatonly', model: 'normal' },
  // an upstream that speaks Responses and embeddings (passthrough)
  'full-alias': { provider: 'full', model: 'normal' },
  'refused-key': { provider: 'chatonly', model: 'refuse-key' },
};

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather of a city',
  strict: false,
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

describe('the rest of the OpenAI API surface through the official openai client', () => {
  let chatOnly: FakeUpstream;
  let full: FakeUpstream;
  let stack: Stack;
  let proxy: RunningServer;
  let admin: DashboardClient;
  let usage: UsageDb;

  beforeAll(async () => {
    [chatOnly, full] = await Promise.all([startFakeUpstream(), startFakeUpstream({ responses: true })]);
    stack = await startStack(
      {
        usage: { flush_interval_ms: 20 },
        providers: {
          chatonly: { type: 'openai', base_url: chatOnly.url, api_key_env: 'CHATONLY_KEY', timeout_ms: 5000 },
          full: { type: 'openai', base_url: full.url, api_key_env: 'FULL_KEY', timeout_ms: 5000, responses: true },
        },
      },
      MODELS,
      { CHATONLY_KEY: 'k1', FULL_KEY: '' },
    );
    ({ proxy, admin, usage } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([chatOnly?.close(), full?.close()]);
  });

  async function aClient(name: string): Promise<{ client: OpenAI; tokenId: number }> {
    const token = await admin.createToken(name);
    return { client: new OpenAI({ apiKey: token.token, baseURL: `${proxy.url}/v1`, maxRetries: 0, timeout: 10_000 }), tokenId: token.id };
  }

  async function rows(tokenId: number, n: number): Promise<UsageLogRow[]> {
    const found = await usage.waitForRows(tokenId, n);
    expect(found).toHaveLength(n);
    return found;
  }

  it('warns at start-up about a provider whose key variable is empty, naming the variable only', () => {
    expect(proxy.output()).toContain('provider \\"full\\": the environment variable FULL_KEY (api_key_env) is unset or empty');
    expect(proxy.output()).not.toContain('CHATONLY_KEY (api_key_env)');
  });

  it('retrieves one model, and 404 model_not_found for an unknown one', async () => {
    const { client } = await aClient('retrieve');
    const model = await client.models.retrieve('chat-alias');
    expect(model).toMatchObject({ id: 'chat-alias', object: 'model', owned_by: 'chatonly' });
    expectSchema('Model', model);
    const err = await client.models.retrieve('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('answers chat with the public name of an aliased model (JSON and stream)', async () => {
    const { client } = await aClient('alias');
    const json = await client.chat.completions.create({ model: 'chat-alias', messages: [{ role: 'user', content: 'hi' }] });
    expect(json.model).toBe('chat-alias');
    const stream = await client.chat.completions.create({ model: 'chat-alias', messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const chunk of stream) expect(chunk.model).toBe('chat-alias');
  });

  it('embeds with echo (floats and base64) and through an upstream, recording /v1/embeddings', async () => {
    const { client, tokenId } = await aClient('embed');
    const floats = await client.embeddings.create({ model: 'echo', input: ['one two three', 'four'], encoding_format: 'float' });
    expectSchema('CreateEmbeddingResponse', floats);
    expect(floats.data.map((d) => d.embedding.length)).toEqual([256, 256]);
    expect(floats.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    // The client's default asks for base64 and decodes it: the same vector as floats.
    const decoded = await client.embeddings.create({ model: 'echo', input: 'one two three' });
    decoded.data[0].embedding.forEach((v, i) => expect(v).toBeCloseTo(floats.data[0].embedding[i], 6));
    const upstream = await client.embeddings.create({ model: 'full-alias', input: 'x', encoding_format: 'float' });
    expect(upstream).toMatchObject({ model: 'full-alias', data: [{ embedding: [0.6, 0.8, 0] }] });
    expect(full.requests.at(-1)).toMatchObject({ model: 'normal', input: 'x' });
    const err = await client.embeddings.create({ model: 'arena', input: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('unsupported_endpoint');
    const recorded = await rows(tokenId, 4);
    expect(recorded.map((r) => [r.endpoint, r.model, r.status_code, r.prompt_tokens])).toEqual([
      ['/v1/embeddings', 'echo', 200, 4],
      ['/v1/embeddings', 'echo', 200, 3],
      ['/v1/embeddings', 'full-alias', 200, FAKE_ANSWER.promptTokens],
      ['/v1/embeddings', 'arena', 400, null],
    ]);
  });

  it('answers legacy completions (echo JSON and stream, upstream passthrough), recording /v1/completions', async () => {
    const { client, tokenId } = await aClient('completions');
    const json = await client.completions.create({ model: 'echo', prompt: 'Say this is a test', max_tokens: 3 });
    expectSchema('CreateCompletionResponse', json);
    expect(json.choices[0]).toMatchObject({ text: 'Say this is', finish_reason: 'length' });
    let text = '';
    for await (const chunk of await client.completions.create({ model: 'echo', prompt: 'stream me please', stream: true })) {
      expectSchema('CreateCompletionResponse', chunk);
      text += chunk.choices[0]?.text ?? '';
    }
    expect(text).toBe('stream me please');
    const upstream = await client.completions.create({ model: 'full-alias', prompt: 'x' });
    expect(upstream).toMatchObject({ model: 'full-alias', choices: [{ text: FAKE_ANSWER.content }] });
    const recorded = await rows(tokenId, 3);
    expect(recorded.map((r) => [r.endpoint, r.stream, r.prompt_tokens, r.completion_tokens])).toEqual([
      ['/v1/completions', 0, 5, 3],
      ['/v1/completions', 1, 3, 3],
      ['/v1/completions', 0, FAKE_ANSWER.promptTokens, FAKE_ANSWER.completionTokens],
    ]);
  });

  it('creates responses translated to chat (echo, chat-only upstream) and passed through (Responses upstream)', async () => {
    const { client, tokenId } = await aClient('responses');
    const echo = await client.responses.create({ model: 'echo', instructions: 'Be brief', input: 'Hello there', store: true });
    expectSchema('Response', echo);
    expect(echo).toMatchObject({
      status: 'completed',
      model: 'echo',
      store: false,
      output_text: 'Hello there',
      usage: { input_tokens: 4, output_tokens: 2, total_tokens: 6 },
    });
    const translated = await client.responses.create({ model: 'chat-alias', input: 'hi' });
    expect(translated).toMatchObject({ model: 'chat-alias', output_text: FAKE_ANSWER.content });
    expect(chatOnly.requests.at(-1)).toMatchObject({ model: 'normal', messages: [{ role: 'user', content: 'hi' }] });
    const passed = await client.responses.create({ model: 'full-alias', input: 'hi' });
    expectSchema('Response', passed);
    expect(passed).toMatchObject({ model: 'full-alias', output_text: FAKE_ANSWER.content });
    expect(full.requests.at(-1)).toEqual({ model: 'normal', input: 'hi' });
    const cut = await client.responses.create({ model: 'echo', input: 'one two three four', max_output_tokens: 2 });
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output_text: 'one two' });
    const stateful = await client.responses.create({ model: 'echo', input: 'x', previous_response_id: 'resp_1' }).catch((e: unknown) => e);
    expect(stateful).toBeInstanceOf(OpenAI.BadRequestError);
    expect((stateful as Error).message).toContain('stateless');
    const recorded = await rows(tokenId, 5);
    expect(recorded.map((r) => [r.endpoint, r.model, r.status_code])).toEqual([
      ['/v1/responses', 'echo', 200],
      ['/v1/responses', 'chat-alias', 200],
      ['/v1/responses', 'full-alias', 200],
      ['/v1/responses', 'echo', 200],
      ['/v1/responses', 'echo', 400],
    ]);
    expect(recorded[2]).toMatchObject({ prompt_tokens: FAKE_ANSWER.promptTokens, completion_tokens: FAKE_ANSWER.completionTokens });
  });

  it('runs a function tool round trip over the Responses API, streamed, on a chat-only upstream', async () => {
    const { client, tokenId } = await aClient('responses-tools');
    const stream = client.responses.stream({ model: 'chat-alias', input: 'Weather in Paris?', tools: [WEATHER_TOOL] });
    const types: string[] = [];
    let args = '';
    for await (const event of stream) {
      expectSchema('ResponseStreamEvent', event);
      types.push(event.type);
      if (event.type === 'response.function_call_arguments.delta') args += event.delta;
    }
    const first = await stream.finalResponse();
    expect(args).toBe('{"location":"Paris"}');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.function_call_arguments.done');
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"location":"Paris"}', call_id: 'call_fake_1' });
    if (call?.type !== 'function_call') throw new Error('no function call');
    const second = await client.responses.create({
      model: 'chat-alias',
      tools: [WEATHER_TOOL],
      input: [{ role: 'user', content: 'Weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: '18C and sunny' }],
    });
    expect(second.output_text).toBe(FAKE_ANSWER.content);
    expect(chatOnly.requests.at(-1)?.['messages']).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_fake_1', content: '18C and sunny' },
    ]);
    const recorded = await rows(tokenId, 2);
    expect(recorded.map((r) => [r.endpoint, r.stream, r.prompt_tokens, r.completion_tokens])).toEqual([
      ['/v1/responses', 1, FAKE_ANSWER.promptTokens, FAKE_ANSWER.completionTokens],
      ['/v1/responses', 0, FAKE_ANSWER.promptTokens, FAKE_ANSWER.completionTokens],
    ]);
  });

  it('streams text over the Responses API (translated and passed through) with typed events and sequence numbers', async () => {
    const { client } = await aClient('responses-stream');
    for (const model of ['echo', 'full-alias']) {
      const stream = client.responses.stream({ model, input: 'Hello from upstream' });
      const events = [];
      for await (const event of stream) {
        expectSchema('ResponseStreamEvent', event);
        events.push(event);
      }
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      const final = await stream.finalResponse();
      expect(final.output.flatMap((o) => (o.type === 'message' ? o.content.map((c) => (c.type === 'output_text' ? c.text : '')) : [])).join('')).toBe(
        'Hello from upstream',
      );
      expect(final.model).toBe(model);
      expect(events.filter((e) => e.type === 'response.output_text.delta').length).toBeGreaterThan(1);
    }
  });

  it("turns the upstream refusing the proxy's key into 502 naming the variable", async () => {
    const { client } = await aClient('refused');
    const err = await client.chat.completions.create({ model: 'refused-key', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((err as Error).message).toContain('check CHATONLY_KEY');
    expect((err as Error).message).not.toContain('k1');
  });
});
