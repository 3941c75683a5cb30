import type { AppConfig } from '@lmarena-bridge/config';
import { UsageNote } from '@lmarena-bridge/usage';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { OpenAiExceptionFilter } from '../errors/openai-exception.filter';
import { ProxyError } from '../errors/proxy-error';
import { FailStep } from './fail.step';

const config = { proxy: { max_body_bytes: 1024 * 1024 } } as AppConfig;

describe('FailStep', () => {
  let server: Server;
  let port: number;
  let fail: (req: IncomingMessage, res: ServerResponse) => void;
  let notes: UsageNote[];
  /** Bytes of request bodies the server read (it reads none itself). */
  let bytesRead: number;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.socket.once('close', () => (bytesRead += req.socket.bytesRead));
      fail(req, res);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    notes = [];
    bytesRead = 0;
  });

  const step = new FailStep(new OpenAiExceptionFilter(config));
  const failingWith = (err: unknown, before?: (res: ServerResponse) => void) => {
    fail = (req, res) => {
      const note = new UsageNote('/v1/chat/completions');
      notes.push(note);
      before?.(res);
      step.run(err, req, res, note);
    };
  };

  /** A raw HTTP request over its own socket: the answer's head and whether the server closed the socket. */
  async function rawPost(declaredLength: number, sent: number): Promise<{ head: string; closed: boolean; socket: Socket }> {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined); // the server may reset an upload it did not read
    await once(socket, 'connect');
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declaredLength}\r\n\r\n`);
    if (sent > 0) socket.write(Buffer.alloc(sent, 0x20));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    let closed = false;
    // The server may end a refused upload with a reset: the socket closes either way.
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(() => (closed = true));
    // The answer is complete when its body (Content-Length) is in.
    await new Promise<void>((resolve) => {
      const check = () => {
        const at = text.indexOf('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(text);
        if (at !== -1 && length && text.length >= at + 4 + Number(length[1])) resolve();
        else socket.once('data', check);
      };
      check();
    });
    if (/connection: close/i.test(text)) await ended;
    return { head: text.slice(0, text.indexOf('\r\n\r\n')), closed, socket };
  }

  it('answers the error in the OpenAI shape and notes its message', async () => {
    failingWith(ProxyError.modelNotFound('nope'));
    const { head, socket } = await rawPost(2, 2);
    expect(head).toMatch(/^HTTP\/1.1 404/);
    expect(head).not.toMatch(/connection: close/i);
    expect(notes[0]).toMatchObject({ errorMessage: expect.stringContaining('nope'), statusCode: null });
    socket.destroy();
  });

  it('answers a refusal before a large upload arrived with Connection: close, reads none of it and closes the connection', async () => {
    failingWith(ProxyError.unauthorized('Missing API key'));
    const size = 8 * 1024 * 1024;
    const sent = 1024 * 1024;
    const { head, closed } = await rawPost(size, sent);
    expect(head).toMatch(/^HTTP\/1.1 401/);
    expect(head).toMatch(/connection: close/i);
    expect(closed).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    // What Node had buffered before the answer, not the upload (the client sent 1 MiB of it).
    expect(bytesRead).toBeLessThan(sent / 2);
  });

  it('keeps the connection when what is left of the body is small enough to discard', async () => {
    failingWith(ProxyError.unauthorized('Missing API key'));
    const { head, closed, socket } = await rawPost(1000, 0);
    expect(head).toMatch(/^HTTP\/1.1 401/);
    expect(head).not.toMatch(/connection: close/i);
    expect(closed).toBe(false);
    socket.destroy();
  });

  it('ends a started stream with an SSE error event and notes the error status for the row', async () => {
    failingWith(ProxyError.timeout('too slow'), (res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.write('data: {}\n\n');
    });
    const socket = connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    while (!text.includes('[DONE]')) await once(socket, 'data');
    socket.destroy();
    expect(text).toContain('"code":"upstream_timeout"');
    expect(notes[0]).toMatchObject({ statusCode: 504, errorMessage: 'too slow' });
  });

  it('notes nothing when the client is gone', async () => {
    failingWith(Object.assign(new Error('aborted'), { name: 'AbortError' }), (res) => res.destroy());
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'close');
    expect(notes[0]).toMatchObject({ errorMessage: null, statusCode: null });
  });
});
