import { authEntities } from '@lmarena-bridge/auth';
import { BridgeBrowsersService, bridgeEntities, BridgeKeysService, BridgeModelsService } from '@lmarena-bridge/bridge';
import { createDataSource, openDatabase } from '@lmarena-bridge/database';
import type { BridgeState } from '@lmarena-bridge/contracts';
import OpenAI from 'openai';
import type { DataSource } from 'typeorm';
import { FakeBrowser, FakeBrowserOptions, Script, Step, textAnswer } from './support/fake-browser';
import { Stack, startStack } from './support/stack';
import { UsageLogRow } from './support/usage-db';

/**
 * The LMArena bridge end to end: the built proxy, `ws` clients playing the userscript (the
 * fake site's answers are scripted per model id), and the official openai client.
 */
const SECRET = 'e2e-shared-bridge-secret';
const MODELS: Record<string, string> = {
  'arena-text': 'uuid-text',
  'arena-reason': 'uuid-reason',
  'arena-image': 'uuid-image',
  'arena-length': 'uuid-length',
  'arena-captcha': 'uuid-403',
  'arena-limited': 'uuid-429',
  'arena-cloudflare': 'uuid-cf',
  'arena-drop': 'uuid-drop',
  'arena-stall': 'uuid-stall',
  'arena-silent': 'uuid-silent',
};
const CLOUDFLARE_PAGE = '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Enable JavaScript and cookies to continue</body></html>';

const SITE: Record<string, Step[]> = {
  'uuid-text': textAnswer(['Hel', 'lo']),
  'uuid-reason': [{ data: 'ag:"thinking"\n' }, { data: 'a0:"Answer"\n' }, { data: 'ad:{"finishReason":"stop"}\n' }, { data: '[DONE]' }],
  'uuid-image': [{ data: 'a2:[{"type":"image","image":"https://x/y.png"}]\n' }, { data: 'ad:{"finishReason":"stop"}\n' }, { data: '[DONE]' }],
  'uuid-length': textAnswer(['cut sh'], 'length'),
  'uuid-403': [{ fail: { error: '{"error":"recaptcha validation failed"}', status: 403 } }],
  'uuid-429': [{ fail: { error: '{"error":"Too Many Requests"}', status: 429 } }],
  'uuid-cf': [{ fail: { error: CLOUDFLARE_PAGE, status: 403 } }],
  'uuid-drop': [{ data: 'a0:"partial "\n' }, { wait: 50 }, 'disconnect'],
  // One delta, then nothing: the client aborts, or the bridge timeout (0.5 s) answers.
  'uuid-stall': [{ data: 'a0:"first"\n' }, 'hang'],
  'uuid-silent': ['hang'],
};
const site: Script = (request) => SITE[String(request.payload.body['modelAId'])] ?? [{ fail: { error: 'unknown model', status: 400 } }];

describe('LMArena bridge through the built proxy', () => {
  let stack: Stack;
  let dataSource: DataSource;
  let wsUrl: string;
  const browsers: FakeBrowser[] = [];

  beforeAll(async () => {
    stack = await startStack({ usage: { flush_interval_ms: 20 }, bridge: { secret: SECRET, timeout_seconds: 0.5, max_in_flight_per_browser: 2 } }, MODELS);
    wsUrl = `ws://127.0.0.1:${stack.proxy.port}/ws`;
    dataSource = await openDatabase(createDataSource(stack.db.target, [...authEntities, ...bridgeEntities]));
  });

  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((b) => b.close()));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await stack?.stop();
  });

  async function aBrowser(options: Partial<FakeBrowserOptions> = {}): Promise<FakeBrowser> {
    const browser = await FakeBrowser.connect({ url: wsUrl, secret: SECRET, script: site, ...options });
    browsers.push(browser);
    return browser;
  }

  async function aClient(name: string): Promise<{ client: OpenAI; tokenId: number }> {
    const token = await stack.admin.createToken(name);
    return { client: new OpenAI({ apiKey: token.token, baseURL: `${stack.proxy.url}/v1`, maxRetries: 0, timeout: 10_000 }), tokenId: token.id };
  }

  async function oneRow(tokenId: number): Promise<UsageLogRow & { usage_estimated?: unknown }> {
    const rows = await stack.usage.waitForRows(tokenId, 1);
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  /** A successful bridge answer's row: tokens counted by the proxy and, where the column exists, marked estimated. */
  function expectCounted(row: UsageLogRow & { usage_estimated?: unknown }, stream: boolean): void {
    expect(row).toMatchObject({ status_code: 200, stream: stream ? 1 : 0, error_message: null });
    expect(row.prompt_tokens).toBeGreaterThan(0);
    expect(row.completion_tokens).toBeGreaterThan(0);
    if ('usage_estimated' in row) expect(row.usage_estimated).toBe(1);
  }

  async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    try {
      await promise;
    } catch (err) {
      if (err instanceof OpenAI.APIError) return err;
      throw err;
    }
    throw new Error('expected the request to fail');
  }

  const hello = [{ role: 'user' as const, content: 'Say hello' }];

  it('streams text', async () => {
    const browser = await aBrowser();
    const { client, tokenId } = await aClient('stream');
    const stream = await client.chat.completions.create({ model: 'arena-text', messages: hello, stream: true });
    let content = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(content).toBe('Hello');
    expect(finish).toBe('stop');
    const [request] = browser.requests();
    expect(request.payload).toMatchObject({ method: 'POST', path: '/nextjs-api/stream/create-evaluation', body: { modelAId: 'uuid-text' } });
    expectCounted(await oneRow(tokenId), true);
  });

  it('answers without streaming, with usage', async () => {
    await aBrowser();
    const { client, tokenId } = await aClient('json');
    const answer = await client.chat.completions.create({ model: 'arena-text', messages: hello });
    expect(answer.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' });
    expect(answer.usage?.prompt_tokens).toBeGreaterThan(0);
    expectCounted(await oneRow(tokenId), false);
  });

  it('relays reasoning as reasoning_content, images as Markdown, and the length finish reason', async () => {
    await aBrowser();
    const { client } = await aClient('kinds');
    const stream = await client.chat.completions.create({ model: 'arena-reason', messages: hello, stream: true });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
    }
    expect({ reasoning, content }).toEqual({ reasoning: 'thinking', content: 'Answer' });
    const image = await client.chat.completions.create({ model: 'arena-image', messages: hello });
    expect(image.choices[0].message.content).toContain('![Image](https://x/y.png)');
    const cut = await client.chat.completions.create({ model: 'arena-length', messages: hello });
    expect(cut.choices[0].finish_reason).toBe('length');
  });

  it('maps the site’s 403 (reCAPTCHA), 429 and Cloudflare page, and reloads the tab on the last', async () => {
    const browser = await aBrowser();
    const { client, tokenId } = await aClient('errors');
    const captcha = await failure(client.chat.completions.create({ model: 'arena-captcha', messages: hello }));
    expect(captcha.status).toBe(502);
    expect(captcha.message).toMatch(/reCAPTCHA/);
    const limited = await failure(client.chat.completions.create({ model: 'arena-limited', messages: hello }));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThan(0);
    const cloudflare = await failure(client.chat.completions.create({ model: 'arena-cloudflare', messages: hello }));
    expect(cloudflare.status).toBe(503);
    await browser.waitFor(() => browser.refreshes() === 1, 'the refresh command');
    const rows = await stack.usage.waitForRows(tokenId, 3);
    expect(rows.map((r) => r.status_code)).toEqual([502, 429, 503]);
  });

  it('ends the stream with an error when the browser disconnects mid-answer, and records 503', async () => {
    await aBrowser();
    const { client, tokenId } = await aClient('drop');
    const stream = await client.chat.completions.create({ model: 'arena-drop', messages: hello, stream: true });
    let content = '';
    const err = await failure(
      (async () => {
        for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
      })(),
    );
    expect(content).toBe('partial ');
    expect(err.message).toMatch(/disconnected/);
    expect(await oneRow(tokenId)).toMatchObject({ status_code: 503, stream: 1 });
  });

  it('sends cancel to the browser when the client goes away', async () => {
    const browser = await aBrowser();
    const { client, tokenId } = await aClient('cancel');
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'arena-stall', messages: hello, stream: true }, { signal: controller.signal });
    const reading = (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) controller.abort();
    })().catch((e: unknown) => e);
    await reading;
    const id = browser.requests()[0].request_id;
    await browser.waitFor(() => browser.cancels().includes(id), 'the cancel');
    await oneRow(tokenId);
  });

  it('answers 504 when the browser stays silent past bridge.timeout_seconds, and cancels there', async () => {
    const browser = await aBrowser();
    const { client, tokenId } = await aClient('timeout');
    const started = Date.now();
    const err = await failure(client.chat.completions.create({ model: 'arena-silent', messages: hello }));
    expect(err.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(browser.cancels()).toEqual([browser.requests()[0].request_id]);
    expect(await oneRow(tokenId)).toMatchObject({ status_code: 504 });
  });

  it('spreads requests over two browsers and answers 503 when both are at their limit', async () => {
    const a = await aBrowser();
    const b = await aBrowser();
    const { client } = await aClient('load');
    // Silent answers time out after 0.5 s: four requests hold both browsers' two slots meanwhile.
    const held = Array.from({ length: 4 }, () => failure(client.chat.completions.create({ model: 'arena-silent', messages: hello })));
    await Promise.race([a, b].map((x) => x.waitFor(() => a.requests().length + b.requests().length === 4, 'four requests relayed')));
    expect([a.requests().length, b.requests().length]).toEqual([2, 2]);
    const busy = await failure(client.chat.completions.create({ model: 'arena-text', messages: hello }));
    expect(busy.status).toBe(503);
    expect(busy.message).toMatch(/busy \(4 requests in flight\)/);
    expect((await Promise.all(held)).map((e) => e.status)).toEqual([504, 504, 504, 504]);
  });

  it('refuses a wrong secret (4401) and a foreign Origin (4403), never sending either a request', async () => {
    const { client } = await aClient('refused');
    const wrong = FakeBrowser.refused({ url: wsUrl, secret: 'not-the-secret', script: site });
    const foreign = FakeBrowser.refused({ url: wsUrl, secret: SECRET, origin: 'https://evil.example', script: site });
    const none = await failure(client.chat.completions.create({ model: 'arena-text', messages: hello }));
    expect(none.status).toBe(503);
    expect(none.message).toMatch(/No browser is connected/);
    const [w, f] = await Promise.all([wrong, foreign]);
    expect([w.code, f.code]).toEqual([4401, 4403]);
    expect([...w.frames, ...f.frames]).toEqual([]);
  });

  it('accepts a bridge key, keeps the reported models, and closes the socket within 1 s of its revocation in the dashboard', async () => {
    const keys = new BridgeKeysService(dataSource);
    const { key, secret } = await keys.create('e2e browser', null);
    const browser = await aBrowser({ secret });
    browser.sendModels([{ id: 'uuid-text', publicName: 'Text Model', organization: 'e2e', capabilities: { outputCapabilities: { text: true } } }]);
    const { client } = await aClient('key');
    const answer = await client.chat.completions.create({ model: 'arena-text', messages: hello });
    expect(answer.choices[0].message.content).toBe('Hello');
    const models = new BridgeModelsService(dataSource);
    expect(await models.list()).toEqual([expect.objectContaining({ id: 'uuid-text', public_name: 'Text Model' })]);
    // The dashboard lists the browser from the row the proxy keeps.
    const state = await stack.admin.request<BridgeState>('GET', '/api/bridge');
    expect(state.body.browsers).toEqual([expect.objectContaining({ browser_id: browser.browserId, key_id: key.id, origin: 'https://arena.ai', in_flight: 0 })]);
    const revokedAt = Date.now();
    expect((await stack.admin.request('DELETE', `/api/bridge/keys/${key.id}`)).status).toBe(204);
    const closed = await browser.closed;
    const elapsed = Date.now() - revokedAt;
    expect(closed.code).toBe(4401);
    expect(elapsed).toBeLessThan(1_000);
    process.stdout.write(`bridge key revocation closed the socket after ${elapsed} ms\n`);
    await expect(FakeBrowser.connect({ url: wsUrl, secret })).rejects.toThrow('4401');
    expect((await stack.admin.request<BridgeState>('GET', '/api/bridge')).body.browsers).toEqual([]);
  });

  // Last: it stops the shared proxy.
  it('on SIGTERM fails pending requests with 503, closes the sockets with 1001 and exits 0', async () => {
    const browser = await aBrowser();
    const { client, tokenId } = await aClient('shutdown');
    const pending = failure(client.chat.completions.create({ model: 'arena-stall', messages: hello }));
    await browser.waitFor(() => browser.requests().length === 1, 'the request');
    const exit = stack.proxy.stop('SIGTERM');
    expect((await pending).status).toBe(503);
    expect((await browser.closed).code).toBe(1001);
    expect(await exit).toBe(0);
    expect(await oneRow(tokenId)).toMatchObject({ status_code: 503 });
    expect(await new BridgeBrowsersService(dataSource).listLive(Date.now())).toEqual([]);
  });
});
