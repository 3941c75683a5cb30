import { bridgeEntities, BridgeModelsService } from '@lmarena-bridge/bridge';
import { createDataSource, openDatabase } from '@lmarena-bridge/database';
import type { BridgeState } from '@lmarena-bridge/contracts';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { DataSource } from 'typeorm';
import { allowLocalNetwork, filledUserscript, freePort, installUserscript, launchArenaChromium, openConnectedTab } from '../support/arena-browser';
import { ConsoleWatch, eventually } from '../support/browser';
import { FAKE_MODELS, FAKE_SITE_KEY, FakeArena, RecordedRequest, SESSION_COOKIE, siteLine, startFakeArena } from '../support/fake-arena';
import { Stack, startStack } from '../support/stack';

/**
 * The LMArena bridge in a real browser: Debian Chromium opens the fake arena.ai (HTTPS,
 * self-signed, the host name mapped to 127.0.0.1, so the page's origin really is
 * https://arena.ai:<port>), the BUILT userscript runs in it as a userscript manager would run
 * it, and the official openai client's requests go proxy → /ws → userscript → fake site → back.
 */
const SECRET = 'browser-e2e-bridge-secret';
const CHAT_MODEL = FAKE_MODELS[0];
const IMAGE_MODEL = FAKE_MODELS[2];
const CREATE_PATH = '/nextjs-api/stream/create-evaluation';

describe('browser: the LMArena bridge through the userscript in Chromium', () => {
  let arena: FakeArena;
  let stack: Stack;
  let dataSource: DataSource;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const watch = new ConsoleWatch();
  /** The page's console lines from the userscript, across reloads. */
  const bridgeLog: string[] = [];

  const connections = () => bridgeLog.filter((line) => line.includes('[LMArena Bridge] connected to')).length;

  beforeAll(async () => {
    arena = await startFakeArena();
    const proxyPort = await freePort();
    stack = await startStack(
      { usage: { flush_interval_ms: 20 }, bridge: { secret: SECRET, allowed_origins: [arena.origin], public_url: `ws://127.0.0.1:${proxyPort}/ws` } },
      { 'arena-model': CHAT_MODEL.id, 'arena-image': IMAGE_MODEL.id },
      { PROXY_PORT: String(proxyPort) },
    );
    dataSource = await openDatabase(createDataSource(stack.db.target, bridgeEntities));
    browser = await launchArenaChromium(arena);
    context = await browser.newContext();
    // What the user clicks "Allow" for when Chromium asks (see the test without it below).
    await allowLocalNetwork(context, arena);
    await installUserscript(context, arena, sharedSecretScript());
    page = watch.attach(await context.newPage(), 'arena');
    page.on('console', (msg) => {
      if (msg.text().startsWith('[LMArena Bridge]')) bridgeLog.push(msg.text());
    });
    await page.goto(`${arena.origin}/`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dataSource?.destroy();
    await stack?.stop();
    await arena?.close();
  });

  afterEach(() => watch.assertClean());

  /** The built script filled in with the configured shared secret (a scripted setup). */
  const sharedSecretScript = () => filledUserscript(`ws://127.0.0.1:${stack.proxy.port}/ws`, SECRET);

  async function aClient(name: string): Promise<{ client: OpenAI; tokenId: number }> {
    const token = await stack.admin.createToken(name);
    return { client: new OpenAI({ apiKey: token.token, baseURL: `${stack.proxy.url}/v1`, maxRetries: 0, timeout: 20_000 }), tokenId: token.id };
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

  /** The request the fake site gets next (call before sending). */
  function nextSiteRequest(): Promise<RecordedRequest> {
    return arena.request(arena.requests.length);
  }

  /** What a real site request from the page looks like: same origin, cookies, one fresh token. */
  function expectFromThePage(request: RecordedRequest, modelId: string): void {
    expect(request.problem).toBeNull();
    expect(request.path).toBe(CREATE_PATH);
    expect(request.httpVersion).toBe('2.0');
    expect(request.headers['origin']).toBe(arena.origin);
    expect(request.headers['sec-fetch-site']).toBe('same-origin');
    expect(request.headers['content-type']).toBe('text/plain;charset=UTF-8');
    expect(request.headers['cookie']).toContain(`${SESSION_COOKIE}=`);
    expect(request.body).toMatchObject({ mode: 'direct', modelAId: modelId });
    const token = arena.tokens.find((t) => t.token === request.body?.['recaptchaV3Token']);
    expect(token).toMatchObject({ siteKey: FAKE_SITE_KEY, action: 'chat_submit', used: true });
  }

  /**
   * Chromium logs "Failed to load resource: … status of N" for a site error the test provokes:
   * allow it, and resolve once it was seen (it can reach us after the proxy's answer).
   */
  function expectFailedLoad(status: number): Promise<unknown> {
    watch.allow(status, CREATE_PATH);
    return page.waitForEvent('console', (msg) => msg.type() === 'error' && msg.text().includes(`status of ${status}`));
  }

  const hello = [{ role: 'user' as const, content: 'Say hello' }];

  it('connects from https://arena.ai:<port> and reports the page’s model list', async () => {
    await eventually('the userscript connected', async () => connections() === 1, 20_000);
    const models = new BridgeModelsService(dataSource);
    const listed = await eventually('the reported models stored', async () => {
      const list = await models.list();
      return list.length === FAKE_MODELS.length && list;
    });
    expect(listed.map((m) => [m.id, m.public_name]).sort()).toEqual(FAKE_MODELS.map((m) => [m.id, m.publicName]).sort());
    expect(bridgeLog.join('\n')).not.toContain(SECRET);
  }, 30_000);

  it('without the local network access permission, Chromium blocks the socket and the script says what to allow', async () => {
    const denied = await browser.newContext();
    try {
      await installUserscript(denied, arena, sharedSecretScript());
      const tab = await denied.newPage();
      const blocked = tab.waitForEvent('console', (msg) => msg.type() === 'error' && msg.text().includes('ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS'));
      const hint = tab.waitForEvent('console', (msg) =>
        msg.text().includes('If the browser asked to let this site access devices on your local network, allow it.'),
      );
      await tab.goto(`${arena.origin}/`);
      expect((await blocked).text()).toContain(`WebSocket connection to 'ws://127.0.0.1:${stack.proxy.port}/ws' failed`);
      expect((await hint).text()).toMatch(/^\[LMArena Bridge\] cannot reach ws:\/\/127\.0\.0\.1:\d+\/ws/);
    } finally {
      await denied.close();
    }
  });

  it('streams an answer: proxy → WebSocket → userscript in Chromium → fake site → back', async () => {
    const { client, tokenId } = await aClient('stream');
    arena.answer({ kind: 'stream', lines: [siteLine.text('Hel'), siteLine.text('lo'), siteLine.text(' from the tab'), siteLine.finish('stop')] });
    const siteRequest = nextSiteRequest();
    const stream = await client.chat.completions.create({ model: 'arena-model', messages: hello, stream: true });
    const deltas: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) deltas.push(chunk.choices[0].delta.content);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas.join('')).toBe('Hello from the tab');
    expect(finish).toBe('stop');
    const request = await siteRequest;
    expectFromThePage(request, CHAT_MODEL.id);
    expect(await request.settled).toBe('completed');
    const [row] = await stack.usage.waitForRows(tokenId, 1);
    expect(row).toMatchObject({ status_code: 200, stream: 1, model: 'arena-model', error_message: null });
  });

  it('answers without streaming, with reasoning, and an image model’s picture as Markdown', async () => {
    const { client } = await aClient('json');
    arena.answer({ kind: 'stream', lines: [siteLine.reasoning('Thinking…'), siteLine.heartbeat(), siteLine.text('Done.'), siteLine.finish('stop')] });
    const answer = await client.chat.completions.create({ model: 'arena-model', messages: hello });
    expect(answer.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Done.', reasoning_content: 'Thinking…' }, finish_reason: 'stop' });
    expect(answer.usage?.completion_tokens).toBeGreaterThan(0);

    // The image model's modality comes from the capabilities the userscript reported.
    arena.answer({ kind: 'stream', lines: [siteLine.image('https://images.arena.test/cat.png'), siteLine.finish('stop')] });
    const siteRequest = nextSiteRequest();
    const image = await client.chat.completions.create({ model: 'arena-image', messages: [{ role: 'user', content: 'Draw a cat' }] });
    expect(image.choices[0].message.content).toContain('![Image](https://images.arena.test/cat.png)');
    const request = await siteRequest;
    expectFromThePage(request, IMAGE_MODEL.id);
    expect(request.body?.['modality']).toBe('image');
  });

  it('aborts the page’s fetch when the client goes away (the site sees the request end)', async () => {
    const { client } = await aClient('cancel');
    arena.answer({ kind: 'hang', lines: [siteLine.text('first words')] });
    const siteRequest = nextSiteRequest();
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'arena-model', messages: hello, stream: true }, { signal: controller.signal });
    let content = '';
    // The openai client either ends the iteration or throws on abort: both mean "client gone".
    await (async () => {
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta?.content ?? '';
        if (content) controller.abort();
      }
    })().catch(() => undefined);
    expect(content).toBe('first words');
    const request = await siteRequest;
    expect(await request.settled).toBe('aborted');
    expect(request.aborted).toBe(true);
  });

  it('passes a site rate limit on as 429 with the site’s Retry-After', async () => {
    const { client } = await aClient('limited');
    arena.answer({ kind: 'status', status: 429, body: '{"error":"Too Many Requests"}', headers: { 'retry-after': '12' } });
    const logged = expectFailedLoad(429);
    const limited = await failure(client.chat.completions.create({ model: 'arena-model', messages: hello }));
    expect(limited.status).toBe(429);
    expect(limited.headers?.get('retry-after')).toBe('12');
    await logged;
  });

  it('answers 502 with what to do when the site rejects the reCAPTCHA token', async () => {
    const { client, tokenId } = await aClient('captcha');
    arena.answer({ kind: 'captcha-reject' });
    const logged = expectFailedLoad(403);
    const siteRequest = nextSiteRequest();
    const err = await failure(client.chat.completions.create({ model: 'arena-model', messages: hello }));
    await logged;
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/reCAPTCHA.*arena\.ai tab.*challenge/);
    expect((await siteRequest).answeredWith).toBe('captcha-reject');
    const [row] = await stack.usage.waitForRows(tokenId, 1);
    expect(row.status_code).toBe(502);
  });

  it('on a Cloudflare page answers 503, the tab reloads, the script reconnects and serves again', async () => {
    const { client } = await aClient('cloudflare');
    const loadsBefore = arena.pageLoads();
    const connectionsBefore = connections();
    arena.answer({ kind: 'cloudflare' });
    const logged = expectFailedLoad(403);
    const err = await failure(client.chat.completions.create({ model: 'arena-model', messages: hello }));
    await logged;
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/Cloudflare/);
    await arena.waitForPageLoads(loadsBefore + 1);
    await eventually('the reloaded tab reconnected', async () => connections() === connectionsBefore + 1, 20_000);

    arena.answer({ kind: 'stream', lines: [siteLine.text('Back again.'), siteLine.finish('stop')] });
    const answer = await client.chat.completions.create({ model: 'arena-model', messages: hello });
    expect(answer.choices[0].message.content).toBe('Back again.');
  }, 60_000);
  it('installs from the dashboard: the downloaded script connects with its own bridge key, is listed, and stops on revoke', async () => {
    const download = await stack.admin.requestText('POST', '/api/bridge/userscript', { name: 'e2e laptop' });
    expect(download.status).toBe(201);
    expect(download.text).toMatch(/^\/\/ ==UserScript==/);
    expect(download.text).not.toContain('"__LMB_PROXY_URL__"');
    expect(download.text).not.toContain('"__LMB_BRIDGE_KEY__"');
    expect(download.text).toContain(JSON.stringify(`ws://127.0.0.1:${stack.proxy.port}/ws`));

    const installed = await browser.newContext();
    try {
      await allowLocalNetwork(installed, arena);
      await installUserscript(installed, arena, download.text);
      const tab = await openConnectedTab(installed, arena);

      const state = await eventually('the dashboard lists the new browser', async () => {
        const res = await stack.admin.request<BridgeState>('GET', '/api/bridge');
        return res.body.browsers.some((b) => b.key_id !== null) && res.body;
      });
      const key = state.keys.find((k) => k.name === 'e2e laptop');
      expect(key).toBeDefined();
      expect(state.browsers.find((b) => b.key_id === key?.id)).toMatchObject({ origin: arena.origin, version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
      // The shared-secret tab of the other tests is listed too, without a key.
      expect(state.browsers.some((b) => b.key_id === null && b.origin === arena.origin)).toBe(true);

      const refused = tab.waitForEvent('console', (msg) => msg.type() === 'error' && msg.text().includes('refused the bridge key'));
      expect((await stack.admin.request('DELETE', `/api/bridge/keys/${key?.id}`)).status).toBe(204);
      expect((await refused).text()).toMatch(/download the userscript again.*retrying in 60 s/);
    } finally {
      await installed.close();
    }
  }, 60_000);
});
