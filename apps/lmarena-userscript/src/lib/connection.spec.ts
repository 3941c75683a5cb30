import { once } from 'node:events';
import { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { BridgeConnection, CLOSE_BAD_SECRET, CLOSE_BAD_ORIGIN, SocketLike } from './connection';
import type { Logger } from './log';
import type { ServerFrame } from './protocol';

/** A tiny proxy: records the frames each connection sends and lets the test answer. */
class TinyHub {
  readonly server: WebSocketServer;
  readonly sockets: WebSocket[] = [];
  readonly frames: Array<{ socket: number; frame: Record<string, unknown> }> = [];
  private waiters: Array<() => void> = [];

  constructor() {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.server.on('connection', (socket) => {
      const index = this.sockets.push(socket) - 1;
      socket.on('message', (data) => {
        this.frames.push({ socket: index, frame: JSON.parse(data.toString()) });
        this.changed();
      });
      this.changed();
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws`;
  }

  /** Wakes the waiters (also called on every log line). */
  changed(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once the condition holds (re-checked on every connection and frame). */
  async until<T>(check: () => T | undefined | false): Promise<T> {
    for (;;) {
      const value = check();
      if (value) return value;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function recordingLogger(onLine: () => void): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (line: string) => {
    lines.push(line);
    onLine();
  };
  return { lines, info: (m) => add(`info ${m}`), warn: (m) => add(`warn ${m}`), error: (m) => add(`error ${m}`) };
}

describe('BridgeConnection against a real WebSocket server', () => {
  let hub: TinyHub;
  let connection: BridgeConnection | null = null;

  beforeEach(async () => {
    hub = new TinyHub();
    await once(hub.server, 'listening');
  });
  afterEach(async () => {
    connection?.stop();
    await hub.close();
  });

  function connect(extra: { onDisconnect?: () => void; url?: string } = {}) {
    const received: ServerFrame[] = [];
    const log = recordingLogger(() => hub.changed());
    connection = new BridgeConnection({
      url: extra.url ?? hub.url,
      secret: 'bk-secret',
      version: '9.9.9',
      origin: 'https://arena.ai',
      openSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      log,
      onFrame: (f) => received.push(f),
      random: () => 0,
      ...extra,
    });
    connection.start();
    return { received, log };
  }

  it('says hello first, answers ping with pong and passes the other frames on', async () => {
    const { received, log } = connect();
    const hello = await hub.until(() => hub.frames[0]);
    expect(hello.frame).toEqual({ type: 'hello', secret: 'bk-secret', version: '9.9.9', origin: 'https://arena.ai' });

    const socket = hub.sockets[0];
    socket.send(JSON.stringify({ type: 'welcome', browser_id: 'b-1' }));
    socket.send(JSON.stringify({ type: 'ping' }));
    await hub.until(() => hub.frames.find((f) => f.frame['type'] === 'pong'));
    socket.send(JSON.stringify({ request_id: 'r', payload: { method: 'POST', path: '/p', body: {} } }));
    socket.send(JSON.stringify({ type: 'cancel', request_id: 'r' }));
    socket.send(JSON.stringify({ command: 'refresh' }));
    socket.send('garbage');
    socket.send(JSON.stringify({ type: 'ping' }));
    await hub.until(() => hub.frames.filter((f) => f.frame['type'] === 'pong').length === 2);

    expect(received).toEqual([
      { kind: 'welcome', browserId: 'b-1' },
      { kind: 'request', requestId: 'r', payload: { method: 'POST', path: '/p', body: {} } },
      { kind: 'cancel', requestId: 'r' },
      { kind: 'refresh' },
    ]);
    expect(connection?.connected).toBe(true);
    expect(log.lines).toContain(`info connected to ${hub.url} (browser b-1)`);
    expect(log.lines.join('\n')).not.toContain('bk-secret');
  });

  it('reconnects after the proxy drops the connection, and reports the disconnect', async () => {
    let disconnects = 0;
    const { log } = connect({ onDisconnect: () => disconnects++ });
    await hub.until(() => hub.frames[0]);
    hub.sockets[0].close(1011, 'restarting');
    const second = await hub.until(() => hub.frames.find((f) => f.socket === 1));
    expect(second.frame['type']).toBe('hello');
    expect(disconnects).toBe(1);
    expect(log.lines.find((l) => l.startsWith('warn'))).toBe(`warn disconnected from ${hub.url} (close 1011: restarting); reconnecting in 0.8 s.`);
  });

  it('when the proxy cannot be reached, says so with a hint and keeps trying', async () => {
    const url = hub.url;
    await hub.close();
    const { log } = connect({ url });
    await hub.until(() => log.lines.some((l) => l.startsWith('warn')));
    const warning = log.lines.find((l) => l.startsWith('warn')) ?? '';
    expect(warning.startsWith(`warn cannot reach ${url} (close `)).toBe(true);
    expect(
      warning.endsWith('); reconnecting in 0.8 s. Is the proxy running? If the browser asked to let this site access devices on your local network, allow it.'),
    ).toBe(true);
    hub = new TinyHub();
    await once(hub.server, 'listening');
  });

  it.each([
    [CLOSE_BAD_SECRET, /refused the bridge key.*retrying in 60 s/],
    [CLOSE_BAD_ORIGIN, /does not allow this page's origin https:\/\/arena\.ai.*retrying in 60 s/],
  ])('after a refusal (close %i) says why and retries only slowly', async (code, message) => {
    const { log } = connect();
    await hub.until(() => hub.frames[0]);
    hub.sockets[0].close(code, 'refused');
    await hub.until(() => log.lines.find((l) => l.startsWith('error')));
    expect(log.lines.find((l) => l.startsWith('error'))).toMatch(message);
    expect(connection?.connected).toBe(false);
  });

  it('drops frames sent while not connected instead of throwing', async () => {
    connect();
    expect(() => connection?.send({ type: 'pong' })).not.toThrow();
    await hub.until(() => hub.frames[0]);
    expect(hub.frames.map((f) => f.frame['type'])).toEqual(['hello']);
  });
});
