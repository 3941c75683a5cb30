import { Agent, createServer, request, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { once } from 'node:events';
import { trackForGracefulStop } from './graceful-stop';

/** One keep-alive request; resolves with the status and Connection header, or the error code. */
function send(port: number, agent: Agent): Promise<{ status?: number; connection?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'POST', agent, headers: { 'content-type': 'text/plain' } }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode, connection: String(res.headers.connection) }));
      res.once('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.once('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end('hello');
  });
}

describe('trackForGracefulStop', () => {
  let server: Server;
  let port: number;

  beforeEach(async () => {
    server = createServer((req, res) => {
      req.resume();
      // Answer on a later turn, as a real handler does.
      req.once('end', () => setImmediate(() => res.end('ok')));
    });
  });
  afterEach(() => {
    if (server.listening) server.close();
  });

  const listen = async () => {
    const stop = trackForGracefulStop(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    return stop;
  };

  it('drains keep-alive load without a single reset: answers come with Connection: close, later connections are refused', async () => {
    const stop = await listen();
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const results: Array<{ status?: number; connection?: string; error?: string }> = [];
    let draining: Promise<void> | null = null;
    let drainedAtAnswer = -1;
    const worker = async () => {
      for (;;) {
        const result = await send(port, agent);
        results.push(result);
        if (results.length === 400 && !draining) {
          drainedAtAnswer = results.length;
          draining = stop.drain();
        }
        if (result.error) return;
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    await draining;
    agent.destroy();

    const errors = results.filter((r) => r.error).map((r) => r.error);
    expect(errors.filter((e) => e !== 'ECONNREFUSED')).toEqual([]);
    expect(errors).toHaveLength(32); // each worker stops at its first refusal, after the listener closed
    const answered = results.filter((r) => r.status === 200);
    expect(answered.length).toBeGreaterThanOrEqual(drainedAtAnswer);
    // Answers after the stop began told the client to close.
    expect(answered.slice(drainedAtAnswer).every((r) => r.connection === 'close')).toBe(true);
    expect(server.listening).toBe(false);
  });

  it('ends an idle keep-alive connection cleanly (FIN, no reset) and resolves once it is gone', async () => {
    const stop = await listen();
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'data');
    const errors: string[] = [];
    socket.on('error', (err: NodeJS.ErrnoException) => errors.push(err.code ?? err.message));
    const ended = once(socket, 'end');
    await stop.drain();
    await ended;
    socket.destroy();
    expect(errors).toEqual([]);
  });

  it('resolves at once when nothing is connected', async () => {
    const stop = await listen();
    await stop.drain();
    expect(server.listening).toBe(false);
  });
});
