import OpenAI from 'openai';
import { DashboardClient } from './support/dashboard-client';
import { FAKE_ANSWER, FakeUpstream, startFakeUpstream } from './support/fake-openai';
import { RunningServer } from './support/servers';
import { Stack, startStack } from './support/stack';
import { UsageDb, UsageLogRow } from './support/usage-db';

const UPSTREAM_KEY = 'upstream-secret-key';
const MODELS: Record<string, unknown> = {
  echo: { provider: 'echo' },
  arena: 'some-lmarena-model',
  up: { provider: 'fake', model: 'normal' },
  'up-400': { provider: 'fake', model: 'error-400' },
  'up-500': { provider: 'fake', model: 'error-500-json' },
  'up-500-text': { provider: 'fake', model: 'error-500-text' },
  'up-invalid': { provider: 'fake', model: 'invalid-json' },
  'up-garbage': { provider: 'fake', model: 'garbage-sse' },
  'up-reset': { provider: 'fake', model: 'reset-before-headers' },
  'up-reset-mid': { provider: 'fake', model: 'reset-mid-stream' },
  'up-stall': { provider: 'fake', model: 'stall-headers' },
  'up-stall-mid': { provider: 'fake', model: 'stall-mid-stream' },
  'up-slow': { provider: 'fake', model: 'slow-stream' },
  refused: { provider: 'closed', model: 'normal' },
};

describe('proxy chat completions through the official openai client', () => {
  let upstream: FakeUpstream;
  let stack: Stack;
  let proxy: RunningServer;
  let admin: DashboardClient;
  let usage: UsageDb;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    stack = await startStack(
      {
        usage: { flush_interval_ms: 20 },
        providers: {
          fake: { type: 'openai', base_url: upstream.url, api_key_env: 'FAKE_UPSTREAM_KEY', timeout_ms: 1500 },
          // Nothing listens on port 9 of loopback: connection refused.
          closed: { type: 'openai', base_url: 'http://127.0.0.1:9/v1', timeout_ms: 1500 },
        },
      },
      MODELS,
      { FAKE_UPSTREAM_KEY: UPSTREAM_KEY },
    );
    ({ proxy, admin, usage } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  /** A fresh token and client per test, so each test's usage rows are its own. */
  async function aClient(name: string): Promise<{ client: OpenAI; tokenId: number; secret: string }> {
    const token = await admin.createToken(name);
    return { client: new OpenAI({ apiKey: token.token, baseURL: `${proxy.url}/v1`, maxRetries: 0, timeout: 10_000 }), tokenId: token.id, secret: token.token };
  }

  async function oneRow(tokenId: number): Promise<UsageLogRow> {
    const rows = await usage.waitForRows(tokenId, 1);
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    return { chunks, content: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('') };
  }

  const hello = [{ role: 'user' as const, content: 'Hello there, general Kenobi' }];

  it('writes no log line per accepted request at the default level (info): usage_logs holds each', async () => {
    const { client } = await aClient('quiet-log');
    const before = proxy.output().length;
    for (let i = 0; i < 5; i++) await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: `hello ${i}` }] });
    await client.embeddings.create({ model: 'echo', input: 'hello' });
    await client.responses.create({ model: 'echo', input: 'hello' });
    expect(proxy.output().slice(before)).toBe('');
  });

  it('lists the models', async () => {
    const { client } = await aClient('models');
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(Object.keys(MODELS));
  });

  it('echo answers non-stream with exact content and usage, recorded', async () => {
    const { client, tokenId } = await aClient('echo-json');
    const answer = await client.chat.completions.create({ model: 'echo', messages: hello });
    expect(answer.choices[0].message.content).toBe('Hello there, general Kenobi');
    expect(answer.usage).toEqual({ prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });
    expect(await oneRow(tokenId)).toMatchObject({
      model: 'echo',
      endpoint: '/v1/chat/completions',
      stream: 0,
      status_code: 200,
      prompt_tokens: 4,
      completion_tokens: 4,
      error_message: null,
    });
  });

  it('echo streams word by word; usage chunk only with include_usage', async () => {
    const { client, tokenId } = await aClient('echo-stream');
    const plain = await collect(await client.chat.completions.create({ model: 'echo', messages: hello, stream: true }));
    expect(plain.content).toBe('Hello there, general Kenobi');
    expect(plain.chunks.length).toBeGreaterThanOrEqual(6);
    expect(plain.chunks.some((c) => c.usage)).toBe(false);
    const withUsage = await collect(
      await client.chat.completions.create({ model: 'echo', messages: hello, stream: true, stream_options: { include_usage: true } }),
    );
    expect(withUsage.chunks.at(-1)?.usage).toEqual({ prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });
    const rows = await usage.waitForRows(tokenId, 2);
    for (const row of rows) {
      expect(row).toMatchObject({ stream: 1, status_code: 200, prompt_tokens: 4, completion_tokens: 4 });
      expect(row.ttft_ms).toBeGreaterThan(0);
      expect(row.response_time_ms).toBeGreaterThanOrEqual(row.ttft_ms ?? 0);
    }
  });

  it('forwards to an openai upstream with its model id and key; usage exact', async () => {
    const { client, tokenId } = await aClient('up-json');
    const answer = await client.chat.completions.create({ model: 'up', messages: hello, temperature: 0.5, user: 'passthrough-field' });
    expect(answer.choices[0].message.content).toBe(FAKE_ANSWER.content);
    expect(answer.usage?.prompt_tokens).toBe(FAKE_ANSWER.promptTokens);
    const sent = upstream.requests.at(-1);
    expect(sent).toMatchObject({ model: 'normal', temperature: 0.5, user: 'passthrough-field' });
    expect(upstream.authorizations.at(-1)).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(await oneRow(tokenId)).toMatchObject({ model: 'up', status_code: 200, prompt_tokens: 11, completion_tokens: 4, stream: 0 });
  });

  it('asks the upstream for usage when streaming and hides it from a client that did not ask', async () => {
    const { client, tokenId } = await aClient('up-stream');
    const plain = await collect(await client.chat.completions.create({ model: 'up', messages: hello, stream: true }));
    expect(plain.content).toBe(FAKE_ANSWER.content);
    expect(plain.chunks.some((c) => c.usage)).toBe(false);
    expect(upstream.requests.at(-1)?.['stream_options']).toEqual({ include_usage: true });
    const asked = await collect(await client.chat.completions.create({ model: 'up', messages: hello, stream: true, stream_options: { include_usage: true } }));
    expect(asked.chunks.at(-1)?.usage?.completion_tokens).toBe(FAKE_ANSWER.completionTokens);
    const rows = await usage.waitForRows(tokenId, 2);
    expect(rows.map((r) => [r.stream, r.status_code, r.prompt_tokens, r.completion_tokens])).toEqual([
      [1, 200, 11, 4],
      [1, 200, 11, 4],
    ]);
  });

  it('keeps the upstream connection after a stream ends with [DONE]: sequential streams reuse it', async () => {
    const { client } = await aClient('up-stream-reuse');
    const stream = () => client.chat.completions.create({ model: 'up', messages: hello, stream: true });
    await collect(await stream());
    const before = upstream.connections;
    for (let i = 0; i < 20; i++) expect((await collect(await stream())).content).toBe(FAKE_ANSWER.content);
    // One stream at a time: the pool's idle connection serves the next one (the proxy stops
    // parsing at [DONE] but lets the upstream response end instead of aborting it).
    expect(upstream.connections - before).toBeLessThanOrEqual(1);
  });

  it('unknown model: NotFoundError, recorded as 404', async () => {
    const { client, tokenId } = await aClient('unknown-model');
    await expect(client.chat.completions.create({ model: 'no-such-model', messages: hello })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(await oneRow(tokenId)).toMatchObject({ model: 'no-such-model', status_code: 404, error_message: expect.stringContaining('does not exist') });
  });

  it('bad body after authentication: 400 in the OpenAI shape, recorded', async () => {
    const { secret, tokenId } = await aClient('bad-body');
    const res = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { message: expect.stringContaining('"messages"'), type: 'invalid_request_error', param: 'messages', code: 'invalid_request' },
    });
    expect(await oneRow(tokenId)).toMatchObject({ status_code: 400, model: 'echo' });
  });

  it('refuses missing, unknown, revoked and expired tokens with AuthenticationError', async () => {
    const missing = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'echo', messages: hello }) });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');

    const unknown = new OpenAI({ apiKey: `sk-lmarena-${'A'.repeat(43)}`, baseURL: `${proxy.url}/v1`, maxRetries: 0 });
    await expect(unknown.chat.completions.create({ model: 'echo', messages: hello })).rejects.toMatchObject({
      status: 401,
      message: expect.stringContaining('not recognised'),
    });

    const revoked = await aClient('to-revoke');
    await revoked.client.chat.completions.create({ model: 'echo', messages: hello });
    await admin.revokeToken(revoked.tokenId);
    // The proxy's cache notices within a second (epoch poll every 250 ms).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const err = await revoked.client.chat.completions.create({ model: 'echo', messages: hello }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as Error).message).toContain('revoked');

    const soon = await admin.createToken('expiring', { expires_at: new Date(Date.now() + 1500).toISOString() });
    const expiring = new OpenAI({ apiKey: soon.token, baseURL: `${proxy.url}/v1`, maxRetries: 0 });
    await expiring.chat.completions.create({ model: 'echo', messages: hello });
    await new Promise((resolve) => setTimeout(resolve, Date.parse(soon.expires_at ?? '') - Date.now() + 10));
    await expect(expiring.chat.completions.create({ model: 'echo', messages: hello })).rejects.toMatchObject({
      status: 401,
      message: expect.stringContaining('expired'),
    });
    // Refused requests are not billed to anyone.
    expect(usage.count(revoked.tokenId)).toBe(1);
  });

  it('refuses a revoked token within 1 second of the dashboard answering', async () => {
    const { client, tokenId } = await aClient('revocation-bound');
    await client.chat.completions.create({ model: 'echo', messages: hello }); // now cached
    await admin.revokeToken(tokenId);
    const revokedAt = Date.now();
    let refusedAfter = -1;
    while (Date.now() - revokedAt < 1000) {
      const ok = await client.chat.completions.create({ model: 'echo', messages: hello }).then(
        () => true,
        () => false,
      );
      if (!ok) {
        refusedAfter = Date.now() - revokedAt;
        break;
      }
    }
    expect(refusedAfter).toBeGreaterThanOrEqual(0);
    expect(refusedAfter).toBeLessThan(1000);
  });

  it.each([
    ['up-400', 400, OpenAI.BadRequestError, 'Upstream says: bad temperature'],
    ['up-500', 500, OpenAI.InternalServerError, 'Upstream exploded'],
    ['up-500-text', 502, OpenAI.APIError, 'without a JSON error body'],
    ['up-invalid', 502, OpenAI.APIError, 'invalid JSON'],
    ['up-reset', 502, OpenAI.APIError, 'failed'],
    ['refused', 502, OpenAI.APIError, 'ECONNREFUSED'],
    ['up-stall', 504, OpenAI.APIError, 'did not answer within 1500 ms'],
    ['arena', 503, OpenAI.APIError, 'No browser is connected'],
  ])('%s: the client gets %i and the row records it', async (model, status, type, message) => {
    const { client, tokenId } = await aClient(`fault-${model}`);
    const err = await client.chat.completions.create({ model, messages: hello }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ status });
    expect((err as Error).message).toContain(message);
    expect(await oneRow(tokenId)).toMatchObject({ model, status_code: status, error_message: expect.stringContaining(message) });
  });

  it.each([
    ['up-reset-mid', 502, 'failed'],
    ['up-stall-mid', 504, 'did not answer within'],
    ['up-garbage', 502, 'invalid stream event'],
  ])('%s while streaming: a final error event, recorded as %i', async (model, status, message) => {
    const { client, tokenId } = await aClient(`stream-fault-${model}`);
    const stream = await client.chat.completions.create({ model, messages: hello, stream: true }).catch((e: unknown) => e);
    let err: unknown = stream instanceof Error ? stream : null;
    if (!err)
      err = await collect(stream as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>).then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain(message);
    expect(await oneRow(tokenId)).toMatchObject({ model, stream: 1, status_code: status, error_message: expect.stringContaining(message) });
  });

  it('a client abort stops the upstream and is recorded as 499', async () => {
    const { client, tokenId } = await aClient('abort');
    const abortedBefore = upstream.aborted;
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'up-slow', messages: hello, stream: true }, { signal: controller.signal });
    let seen = 0;
    // The client library ends the iteration quietly (or with an abort error) once aborted.
    await (async () => {
      for await (const _ of stream) {
        if (++seen === 3) controller.abort();
      }
    })().catch(() => undefined);
    expect(seen).toBe(3);
    const row = await oneRow(tokenId);
    expect(row).toMatchObject({ model: 'up-slow', stream: 1, status_code: 499 });
    expect(row.response_time_ms).toBeGreaterThan(0);
    const deadline = Date.now() + 3000;
    while (upstream.aborted === abortedBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(upstream.aborted).toBe(abortedBefore + 1);
  });
});
