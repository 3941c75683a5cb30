import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { ClientGone } from '../providers/chat-provider';
import { BridgeGateway } from './bridge-gateway';
import { BridgeHub } from './bridge-hub.service';
import { bridgeConfig, FakeKeys, FakeModels, FakeStates, FAST_TIMINGS, until } from './testing/bridge-fakes';

const PAYLOAD = {
  method: 'POST' as const,
  path: '/nextjs-api/stream/create-evaluation',
  body: {},
};

interface Client {
  ws: WebSocket;
  frames: Array<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

describe('BridgeGateway on a real HTTP server', () => {
  let server: Server;
  let keys: FakeKeys;
  let hub: BridgeHub;
  let gateway: BridgeGateway;
  let url: string;

  async function serve(bridge: Parameters<typeof bridgeConfig>[0] = {}): Promise<void> {
    keys = new FakeKeys();
    keys.add('lmb-bridge-key-1', 1);
    const config = bridgeConfig({
      allowed_origins: ['https://arena.ai', 'https://lmarena.ai'],
      ...bridge,
    });
    hub = new BridgeHub(config, FAST_TIMINGS, keys, new FakeModels(), new FakeStates(), async () => 1);
    gateway = new BridgeGateway(config, FAST_TIMINGS, keys, hub);
    server = createServer((_req, res) => res.end('http'));
    gateway.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function stop(): Promise<void> {
    await gateway.onApplicationShutdown();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  beforeEach(() => serve());

  afterEach(() => stop());

  function open(path = '/ws', origin = 'https://arena.ai'): Client {
    const ws = new WebSocket(`${url}${path}`, { headers: { origin } });
    const frames: Array<Record<string, unknown>> = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.on('error', () => undefined);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    return { ws, frames, closed };
  }

  async function hello(client: Client, secret: string): Promise<void> {
    await once(client.ws, 'open');
    client.ws.send(
      JSON.stringify({
        type: 'hello',
        secret,
        version: '1.2.3',
        origin: 'https://arena.ai',
      }),
    );
  }

  it('welcomes a browser presenting the configured secret', async () => {
    const client = open();
    await hello(client, 'shared-secret');
    await until(() => client.frames.length > 0, 'the welcome');
    expect(client.frames[0]).toMatchObject({
      type: 'welcome',
      browser_id: expect.any(String),
    });
    expect(hub.size).toBe(1);
  });

  it('welcomes a browser presenting an active bridge key and notes its use', async () => {
    const client = open('/ws', 'https://lmarena.ai');
    await hello(client, 'lmb-bridge-key-1');
    await until(() => client.frames.length > 0, 'the welcome');
    expect(client.frames[0]['type']).toBe('welcome');
    await until(() => keys.touched.length === 1, 'the touch');
    expect(keys.touched).toEqual([1]);
  });

  it.each([
    [
      'a wrong secret',
      JSON.stringify({
        type: 'hello',
        secret: 'nope',
        version: '1',
        origin: 'x',
      }),
    ],
    ['an empty secret', JSON.stringify({ type: 'hello', secret: '', version: '1', origin: 'x' })],
    ['a frame that is not a hello', JSON.stringify({ request_id: 'r', data: 'x' })],
    ['garbage', 'not json at all'],
    [
      'an oversized hello',
      JSON.stringify({
        type: 'hello',
        secret: 'shared-secret',
        version: 'x'.repeat(5000),
        origin: 'x',
      }),
    ],
  ])('closes with 4401 on %s and never registers the socket', async (_what, frame) => {
    const client = open();
    await once(client.ws, 'open');
    client.ws.send(frame);
    expect((await client.closed).code).toBe(4401);
    expect(client.frames).toEqual([]);
    expect(hub.size).toBe(0);
    await expect(hub.open(PAYLOAD, new ClientGone())).rejects.toMatchObject({
      status: 503,
    });
  });

  it('drops a socket streaming a huge first frame before ws has buffered it', async () => {
    const client = open();
    await once(client.ws, 'open');
    client.ws.send(
      JSON.stringify({
        type: 'hello',
        secret: 'shared-secret',
        version: 'x'.repeat(1 << 20),
        origin: 'x',
      }),
    );
    expect((await client.closed).code).toBe(1006); // terminated: no close frame for this one
    expect(hub.size).toBe(0);
  });

  it('closes with 4401 when no hello arrives in time', async () => {
    const client = open();
    expect((await client.closed).code).toBe(4401);
    expect(hub.size).toBe(0);
  });

  it('closes with 4403 a socket from another origin, before any hello', async () => {
    for (const origin of ['https://evil.example', 'https://arena.ai.evil.example', '']) {
      const client = open('/ws', origin);
      client.ws.on('open', () =>
        client.ws.send(
          JSON.stringify({
            type: 'hello',
            secret: 'shared-secret',
            version: '1',
            origin: 'https://arena.ai',
          }),
        ),
      );
      expect((await client.closed).code).toBe(4403);
      expect(client.frames).toEqual([]);
    }
    expect(hub.size).toBe(0);
  });

  it('closes with 1013 (retry later) when the key cannot be checked', async () => {
    keys.failing = true;
    const client = open();
    await hello(client, 'lmb-bridge-key-1');
    expect((await client.closed).code).toBe(1013);
  });

  it('answers 404 to upgrades on other paths', async () => {
    for (const path of ['/', '/ws/', '/wsx', '/v1/ws']) {
      const ws = new WebSocket(`${url}${path}`, {
        headers: { origin: 'https://arena.ai' },
      });
      ws.on('error', () => undefined); // terminate() below, before the handshake ended
      const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
      expect(res.statusCode).toBe(404);
      ws.terminate();
    }
  });

  it('relays a request end to end and fails it with 503 when the socket closes', async () => {
    const client = open();
    await hello(client, 'shared-secret');
    await until(() => hub.size === 1, 'registration');
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    await until(() => client.frames.some((f) => 'payload' in f), 'the payload');
    const id = client.frames.find((f) => 'payload' in f)?.['request_id'];
    client.ws.send(JSON.stringify({ request_id: id, data: 'a0:"hi"\n' }));
    const it = exchange.data[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toEqual({
      value: 'a0:"hi"\n',
      done: false,
    });
    client.ws.close();
    await expect(it.next()).rejects.toMatchObject({
      status: 503,
      code: 'upstream_unavailable',
    });
    await until(() => hub.size === 0, 'the browser dropped');
  });

  it('closes authenticated sockets with 1001 and refuses new ones at shutdown', async () => {
    const client = open();
    await hello(client, 'shared-secret');
    await until(() => hub.size === 1, 'registration');
    await gateway.onApplicationShutdown();
    expect((await client.closed).code).toBe(1001);
  });

  it('does not time out a request whose frame arrived while the event loop was blocked', async () => {
    await stop();
    await serve({ timeout_seconds: 0.05 });
    const client = open();
    await hello(client, 'shared-secret');
    await until(() => client.frames.length === 1, 'the welcome');
    // In an I/O callback (the poll phase, as a request handler loading a tokenizer would be):
    // answer completely, then stay busy for twice the timeout. The next loop turn starts with
    // the due timer while the answer still waits unread in the socket. (Nothing is sent after
    // the busy spell: on a loaded machine its delivery alone could outlast a 50 ms timeout.)
    client.ws.once('message', (raw) => {
      const id = (JSON.parse(raw.toString()) as { request_id: string }).request_id;
      client.ws.send(JSON.stringify({ request_id: id, data: 'a0:"hi"\n' }));
      client.ws.send(JSON.stringify({ request_id: id, data: '[DONE]' }));
      const busyUntil = Date.now() + 100;
      while (Date.now() < busyUntil) {
        // busy
      }
    });
    const exchange = await hub.open(PAYLOAD, new ClientGone());
    const it = exchange.data[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toEqual({
      value: 'a0:"hi"\n',
      done: false,
    });
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });
});
