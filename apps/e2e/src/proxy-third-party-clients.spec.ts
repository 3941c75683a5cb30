import { OpenAIEmbeddings, ChatOpenAI } from '@langchain/openai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DashboardClient } from './support/dashboard-client';
import { FAKE_ANSWER, FakeUpstream, startFakeUpstream } from './support/fake-openai';
import { RunningServer, WORKSPACE_ROOT } from './support/servers';
import { Stack, startStack } from './support/stack';
import { UsageDb } from './support/usage-db';

const MODELS: Record<string, unknown> = {
  echo: { provider: 'echo' },
  'tools-model': { provider: 'chatonly', model: 'normal' },
};

describe('third-party clients: the Vercel AI SDK and @langchain/openai', () => {
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

  it('AI SDK: openai(model) (Responses), openai.chat(model), embed, embedMany, streamText with tools on both paths', async () => {
    const token = await admin.createToken('ai-sdk');
    // The AI SDK is ESM only: it runs in its own Node process (clients/ai-sdk-client.mjs).
    const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, 'clients', 'ai-sdk-client.mjs')], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, PROXY_URL: proxy.url, API_KEY: token.token, TOOLS_MODEL: 'tools-model' },
      timeout: 30_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(out).toEqual({
      responses: { text: 'Hello from the AI SDK', finishReason: 'stop', inputTokens: 5, outputTokens: 5 },
      chat: { text: 'Hello from the chat path', finishReason: 'stop', inputTokens: 5, outputTokens: 5 },
      embed: { length: 256, tokens: 5 },
      embedMany: { count: 2, lengths: [256, 256], tokens: 3 },
      streamTextToolsResponses: { finishReason: 'tool-calls', calls: [{ name: 'get_weather', input: { location: 'Paris' } }], sawToolInputDelta: true },
      streamTextToolsChat: { finishReason: 'tool-calls', calls: [{ name: 'get_weather', input: { location: 'Paris' } }], sawToolInputDelta: true },
      streamText: { text: 'streamed words here', usage: 3 },
    });
    const rows = await usage.waitForRows(token.id, 7);
    expect(rows.map((r) => [r.endpoint, r.status_code])).toEqual([
      ['/v1/responses', 200],
      ['/v1/chat/completions', 200],
      ['/v1/embeddings', 200],
      ['/v1/embeddings', 200],
      ['/v1/responses', 200],
      ['/v1/chat/completions', 200],
      ['/v1/responses', 200],
    ]);
  });

  it('LangChain: ChatOpenAI chat and tool calls, OpenAIEmbeddings', async () => {
    const token = await admin.createToken('langchain');
    const configuration = { baseURL: `${proxy.url}/v1` };
    const chat = new ChatOpenAI({ model: 'echo', apiKey: token.token, configuration, maxRetries: 0 });
    expect((await chat.invoke('Hello from LangChain')).content).toBe('Hello from LangChain');
    const withTools = new ChatOpenAI({ model: 'tools-model', apiKey: token.token, configuration, maxRetries: 0 }).bindTools([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'The weather of a city',
          parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
        },
      },
    ]);
    const called = await withTools.invoke('Weather in Paris?');
    expect(called.tool_calls).toEqual([expect.objectContaining({ name: 'get_weather', args: { location: 'Paris' }, id: 'call_fake_1' })]);
    const embeddings = new OpenAIEmbeddings({ model: 'echo', apiKey: token.token, configuration, maxRetries: 0 });
    const vectors = await embeddings.embedDocuments(['first doc', 'second']);
    expect(vectors.map((v) => v.length)).toEqual([256, 256]);
    expect((await embeddings.embedQuery('first doc'))[0]).toBeCloseTo(vectors[0][0], 6);
    const rows = await usage.waitForRows(token.id, 4);
    expect(rows.map((r) => [r.endpoint, r.model, r.status_code])).toEqual([
      ['/v1/chat/completions', 'echo', 200],
      ['/v1/chat/completions', 'tools-model', 200],
      ['/v1/embeddings', 'echo', 200],
      ['/v1/embeddings', 'echo', 200],
    ]);
    expect(rows[1]).toMatchObject({ prompt_tokens: FAKE_ANSWER.promptTokens, completion_tokens: FAKE_ANSWER.completionTokens });
  });
});
