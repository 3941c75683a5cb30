import { ProxyError } from '../errors/proxy-error';
import { ClientGone } from '../providers/chat-provider';
import { BridgeRelayError, SitePayload } from '../providers/lmarena/bridge-transport';
import type { BrowserIdentity } from './bridge-browser';
import { BridgeHub, DISCONNECTED_MESSAGE, NO_BROWSER_MESSAGE } from './bridge-hub.service';
import { BridgeTimings } from './bridge-timings';
import { bridgeConfig, FakeKeys, FakeModels, FakeSocket, FakeStates, FAST_TIMINGS, until } from './testing/bridge-fakes';

const PAYLOAD: SitePayload = {
  method: 'POST',
  path: '/nextjs-api/stream/create-evaluation',
  body: { modelAId: 'm-1' },
};
const SECRET_BROWSER: BrowserIdentity = {
  keyId: null,
  origin: 'https://arena.ai',
  version: '1.0.0',
};

async function collect(data: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const text of data) out.push(text);
  return out;
}

async function failure(data: AsyncIterable<string>): Promise<unknown> {
  try {
    await collect(data);
  } catch (err) {
    return err;
  }
  throw new Error('expected the relayed answer to fail');
}

describe('BridgeHub', () => {
  let keys: FakeKeys;
  let states: FakeStates;
  let models: FakeModels;
  let epoch: number;
  let epochReads: number;
  let hub: BridgeHub;

  function makeHub(bridge: Parameters<typeof bridgeConfig>[0] = {}, timings: Partial<BridgeTimings> = {}): BridgeHub {
    hub = new BridgeHub(bridgeConfig(bridge), { ...FAST_TIMINGS, ...timings }, keys, models, states, async () => {
      epochReads++;
      return epoch;
    });
    return hub;
  }

  function connect(identity: BrowserIdentity = SECRET_BROWSER) {
    const socket = new FakeSocket();
    const browser = hub.register(socket, identity);
    return { socket, browser };
  }

  beforeEach(() => {
    keys = new FakeKeys();
    states = new FakeStates();
    models = new FakeModels();
    epoch = 1;
    epochReads = 0;
    makeHub();
  });

  afterEach(async () => {
    await hub.shutdown();
  });

  it('welcomes a registered browser with its id and writes its state row', async () => {
    const { socket, browser } = connect();
    expect(socket.sent[0]).toEqual({ type: 'welcome', browser_id: browser.id });
    await hub.stateSettled();
    expect(states.rows.get(browser.id)).toMatchObject({
      instanceId: hub.instanceId,
      keyId: null,
      origin: 'https://arena.ai',
      version: '1.0.0',
      inFlight: 0,
    });
  });

  it('answers 503 with what to do when no browser is connected', async () => {
    await expect(hub.open(PAYLOAD, new ClientGone())).rejects.toMatchObject({
      status: 503,
      code: 'upstream_unavailable',
      message: NO_BROWSER_MESSAGE,
    });
  });

  it('sends the payload and relays data frames until [DONE]', async () => {
    const { socket, browser } = connect();
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    expect(exchange.browserId).toBe(browser.id);
    const [request] = socket.requests();
    expect(request.payload).toEqual(PAYLOAD);
    const answer = collect(exchange.data);
    hub.onFrame(browser, JSON.stringify({ request_id: request.request_id, data: 'a0:"Hel"\n' }));
    hub.onFrame(browser, JSON.stringify({ request_id: request.request_id, data: 'a0:"lo"\n' }));
    hub.onFrame(browser, JSON.stringify({ request_id: request.request_id, data: '[DONE]' }));
    await expect(answer).resolves.toEqual(['a0:"Hel"\n', 'a0:"lo"\n']);
    expect(browser.inFlight).toBe(0);
  });

  it('turns a failure frame into BridgeRelayError with the site status', async () => {
    const { socket, browser } = connect();
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    const id = socket.requests()[0].request_id;
    hub.onFrame(
      browser,
      JSON.stringify({
        request_id: id,
        data: { error: 'recaptcha validation failed', status: 403 },
      }),
    );
    const err = await failure(exchange.data);
    expect(err).toBeInstanceOf(BridgeRelayError);
    expect(err).toMatchObject({
      status: 403,
      message: 'recaptcha validation failed',
    });
  });

  it('ignores frames for unknown or finished requests and garbage frames', async () => {
    const { socket, browser } = connect();
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    const id = socket.requests()[0].request_id;
    hub.onFrame(browser, JSON.stringify({ request_id: 'someone-else', data: 'a0:"x"\n' }));
    hub.onFrame(browser, 'not json');
    hub.onFrame(browser, JSON.stringify([1, 2]));
    hub.onFrame(browser, JSON.stringify({ request_id: id, data: 'a0:"ok"\n' }));
    hub.onFrame(browser, JSON.stringify({ request_id: id, data: '[DONE]' }));
    hub.onFrame(browser, JSON.stringify({ request_id: id, data: 'a0:"late"\n' }));
    await expect(collect(exchange.data)).resolves.toEqual(['a0:"ok"\n']);
  });

  it('gives each request to the least busy browser, the longest idle among equals', async () => {
    const a = connect();
    const b = connect();
    const gone = new ClientGone();
    const first = await hub.open(PAYLOAD, gone);
    const second = await hub.open(PAYLOAD, gone);
    expect(new Set([first.browserId, second.browserId])).toEqual(new Set([a.browser.id, b.browser.id]));
    // Both busy with one: the next goes to the one assigned longest ago.
    const third = await hub.open(PAYLOAD, gone);
    expect(third.browserId).toBe(first.browserId);
    // Finish one of b's: b is now the least busy.
    const bSocket = b.browser.id === first.browserId ? b.socket : a.socket;
    const other = b.browser.id === first.browserId ? a : b;
    hub.onFrame(
      other.browser,
      JSON.stringify({
        request_id: other.socket.requests()[0].request_id,
        data: '[DONE]',
      }),
    );
    expect(bSocket.requests()).toHaveLength(2);
    const fourth = await hub.open(PAYLOAD, gone);
    expect(fourth.browserId).toBe(other.browser.id);
  });

  it('answers 503 naming the in-flight count when every browser is at its limit', async () => {
    makeHub({ max_in_flight_per_browser: 1 });
    connect();
    connect();
    await hub.open(PAYLOAD, new ClientGone());
    await hub.open(PAYLOAD, new ClientGone());
    await expect(hub.open(PAYLOAD, new ClientGone())).rejects.toMatchObject({
      status: 503,
      code: 'upstream_unavailable',
      message: 'Every connected LMArena browser is busy (2 requests in flight); retry shortly or open another arena.ai tab.',
    });
  });

  it('fails only the disconnected browser’s requests with 503', async () => {
    const a = connect();
    const b = connect();
    const onA = await hub.open(PAYLOAD, new ClientGone());
    const onB = await hub.open(PAYLOAD, new ClientGone());
    const [lost, kept] = onA.browserId === a.browser.id ? [onA, onB] : [onB, onA];
    const keptSide = kept.browserId === a.browser.id ? a : b;
    const lostAnswer = failure(lost.data);
    const keptAnswer = collect(kept.data);
    hub.drop(lost.browserId === a.browser.id ? a.browser : b.browser, 'socket closed');
    const err = await lostAnswer;
    expect(err).toBeInstanceOf(ProxyError);
    expect(err).toMatchObject({
      status: 503,
      code: 'upstream_unavailable',
      message: DISCONNECTED_MESSAGE,
    });
    hub.onFrame(
      keptSide.browser,
      JSON.stringify({
        request_id: keptSide.socket.requests()[0].request_id,
        data: 'a0:"still here"\n',
      }),
    );
    hub.onFrame(
      keptSide.browser,
      JSON.stringify({
        request_id: keptSide.socket.requests()[0].request_id,
        data: '[DONE]',
      }),
    );
    await expect(keptAnswer).resolves.toEqual(['a0:"still here"\n']);
    expect(hub.size).toBe(1);
  });

  it('times out a silent request with 504 and cancels it at the browser', async () => {
    makeHub({ timeout_seconds: 0.05 });
    const { socket } = connect();
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    const err = await failure(exchange.data);
    expect(err).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect(socket.sent).toContainEqual({
      type: 'cancel',
      request_id: socket.requests()[0].request_id,
    });
  });

  it('restarts the silence timer on every data frame', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      makeHub({ timeout_seconds: 1 });
      const { socket, browser } = connect();
      const exchange = await hub.open(PAYLOAD, new ClientGone());
      const id = socket.requests()[0].request_id;
      const answer = collect(exchange.data);
      // Five frames 800 ms apart: 4 s in all, each gap under the 1 s limit.
      for (let i = 0; i < 5; i++) {
        jest.advanceTimersByTime(800);
        hub.onFrame(browser, JSON.stringify({ request_id: id, data: `a0:"${i}"\n` }));
      }
      hub.onFrame(browser, JSON.stringify({ request_id: id, data: '[DONE]' }));
      await expect(answer).resolves.toHaveLength(5);
      expect(socket.sent.some((f) => f['type'] === 'cancel')).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  it('sends cancel and ends the data quietly when the client goes away', async () => {
    const { socket, browser } = connect();
    const gone = new ClientGone();
    const exchange = await hub.open(PAYLOAD, gone);
    const id = socket.requests()[0].request_id;
    const answer = collect(exchange.data);
    hub.onFrame(browser, JSON.stringify({ request_id: id, data: 'a0:"Hel"\n' }));
    gone.abort();
    await expect(answer).resolves.toEqual(['a0:"Hel"\n']);
    expect(socket.sent).toContainEqual({ type: 'cancel', request_id: id });
    expect(browser.inFlight).toBe(0);
  });

  it('sends nothing to any browser for a client that is already gone', async () => {
    const { socket } = connect();
    const gone = new ClientGone();
    gone.abort();
    const exchange = await hub.open(PAYLOAD, gone);
    await expect(collect(exchange.data)).resolves.toEqual([]);
    expect(socket.requests()).toHaveLength(0);
  });

  it('cancels at the browser when the reader stops early', async () => {
    const { socket, browser } = connect();
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    const id = socket.requests()[0].request_id;
    hub.onFrame(browser, JSON.stringify({ request_id: id, data: 'a0:"one"\n' }));
    for await (const text of exchange.data) {
      expect(text).toBe('a0:"one"\n');
      break;
    }
    expect(socket.sent).toContainEqual({ type: 'cancel', request_id: id });
    expect(browser.inFlight).toBe(0);
  });

  it('pauses the socket while the reader is behind and resumes when it catches up', async () => {
    const { socket, browser } = connect();
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    const id = socket.requests()[0].request_id;
    const chunk = 'x'.repeat(300 << 10);
    for (let i = 0; i < 4; i++) hub.onFrame(browser, JSON.stringify({ request_id: id, data: chunk }));
    expect(socket.paused).toBe(true);
    hub.onFrame(browser, JSON.stringify({ request_id: id, data: '[DONE]' }));
    const texts = await collect(exchange.data);
    expect(texts.join('').length).toBe(4 * chunk.length);
    expect(socket.paused).toBe(false);
  });

  it('refresh() and noteError() reach the browser serving the exchange', async () => {
    const { socket, browser } = connect();
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    exchange.refresh();
    expect(socket.sent).toContainEqual({ command: 'refresh' });
    exchange.noteError('Cloudflare challenge page');
    await until(() => states.rows.get(browser.id)?.lastError === 'Cloudflare challenge page', 'the coalesced state write');
  });

  it('coalesces in-flight changes into few state writes', async () => {
    makeHub({}, { stateCoalesceMs: 50 });
    const { socket, browser } = connect();
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    const id = socket.requests()[0].request_id;
    hub.onFrame(browser, JSON.stringify({ request_id: id, data: '[DONE]' }));
    await collect(exchange.data);
    await until(() => states.writes.length >= 2, 'the coalesced write');
    await hub.stateSettled();
    // One row on connect, then one write for open + finish together.
    expect(states.writes).toEqual([`upsert ${browser.id} 0`, `upsert ${browser.id} 0`]);
  });

  it('rewrites an idle browser’s row at every heartbeat and removes it on disconnect', async () => {
    makeHub({}, { heartbeatMs: 10 });
    const { browser } = connect();
    await until(() => states.writes.filter((w) => w.startsWith('upsert')).length >= 3, 'two heartbeats');
    const seen = states.rows.get(browser.id)?.seenAt ?? 0;
    expect(seen).toBeGreaterThan(browser.connectedAt - 1);
    hub.drop(browser, 'socket closed');
    await hub.stateSettled();
    expect(states.rows.has(browser.id)).toBe(false);
    expect(states.writes.at(-1)).toBe(`remove ${browser.id}`);
  });

  it('keeps relaying when the database fails', async () => {
    states.failing = true;
    models.failing = true;
    const { socket, browser } = connect();
    hub.onFrame(
      browser,
      JSON.stringify({
        type: 'models',
        models: [{ id: 'm-1', publicName: 'One' }],
      }),
    );
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    hub.onFrame(
      browser,
      JSON.stringify({
        request_id: socket.requests()[0].request_id,
        data: '[DONE]',
      }),
    );
    await expect(collect(exchange.data)).resolves.toEqual([]);
    expect(hub.siteModel('m-1')).toEqual({ id: 'm-1', publicName: 'One' });
  });

  it('keeps reported models in memory and saves them', async () => {
    const { browser } = connect();
    const model = {
      id: 'uuid-1',
      publicName: 'GPT Test',
      organization: 'openai',
      capabilities: { outputCapabilities: { image: true } },
    };
    hub.onFrame(
      browser,
      JSON.stringify({
        type: 'models',
        models: [model, { publicName: 'no id' }],
      }),
    );
    expect(hub.siteModel('uuid-1')).toEqual(model);
    expect(hub.siteModel('nope')).toBeUndefined();
    await until(() => models.saved.length === 1, 'the models write');
    expect(models.saved[0]).toEqual([model]);
    // The same list again (another tab, a reload) is not written again; a changed one is.
    hub.onFrame(browser, JSON.stringify({ type: 'models', models: [model] }));
    const other = { id: 'uuid-2', publicName: 'Other' };
    hub.onFrame(browser, JSON.stringify({ type: 'models', models: [model, other] }));
    await until(() => models.saved.length === 2, 'the changed list written');
    expect(models.saved[1]).toEqual([model, other]);
    expect(hub.siteModel('uuid-2')).toEqual(other);
  });

  it('answers ping with pong, pings browsers and drops one that fell silent', async () => {
    makeHub({}, { pingMs: 10, silenceMs: 40 });
    const { socket, browser } = connect();
    hub.onFrame(browser, JSON.stringify({ type: 'ping' }));
    expect(socket.sent).toContainEqual({ type: 'pong' });
    // Opened at once (no await before it): the browser cannot have been dropped yet.
    const exchange = hub.open(PAYLOAD, new ClientGone());
    const lost = exchange.then((e) => failure(e.data));
    await until(() => socket.sent.some((f) => f['type'] === 'ping'), 'a ping');
    await until(() => socket.terminated, 'the silent browser dropped');
    expect(await lost).toMatchObject({ status: 503 });
    expect(hub.size).toBe(0);
  });

  it('closes the browsers of a revoked key with 4401 once the auth epoch moves', async () => {
    keys.add('bk-a', 7);
    keys.add('bk-b', 8);
    const a = connect({ ...SECRET_BROWSER, keyId: 7 });
    const b = connect({ ...SECRET_BROWSER, keyId: 8 });
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    const onRevoked = exchange.browserId === a.browser.id;
    await until(() => keys.touched.length === 2, 'the key touches');
    keys.revoked.add(7);
    // Without an epoch move nothing is re-checked (each poll costs one row read).
    const before = epochReads;
    await until(() => epochReads >= before + 3, 'three more polls');
    expect(a.socket.closed).toBeNull();
    epoch = 2;
    await until(() => a.socket.closed !== null, 'the revoked browser closed');
    expect(a.socket.closed).toEqual({
      code: 4401,
      reason: 'bridge key revoked',
    });
    expect(b.socket.closed).toBeNull();
    if (onRevoked) expect(await failure(exchange.data)).toMatchObject({ status: 503 });
  });

  it('closes a browser whose key was revoked between its hello and its registration', async () => {
    keys.add('bk-a', 7);
    keys.revoked.add(7);
    const { socket } = connect({ ...SECRET_BROWSER, keyId: 7 });
    await until(() => socket.closed !== null, 'the late check');
    expect(socket.closed?.code).toBe(4401);
  });

  it('shuts down: pending requests fail with 503, sockets close with 1001, rows removed', async () => {
    const { socket } = connect();
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    const lost = failure(exchange.data);
    await hub.shutdown();
    expect(await lost).toMatchObject({
      status: 503,
      code: 'upstream_unavailable',
    });
    expect(socket.closed?.code).toBe(1001);
    expect(states.writes).toContain(`removeInstance ${hub.instanceId}`);
    expect(states.rows.size).toBe(0);
    await expect(hub.open(PAYLOAD, new ClientGone())).rejects.toMatchObject({
      status: 503,
    });
  });
});
