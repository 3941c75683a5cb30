import { createServer, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { answerClientErrors, nestErrorBody } from './client-errors';

/** Writes raw bytes and reads everything until the server closes. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(out));
  });
}

describe('answerClientErrors', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    answerClientErrors(server, nestErrorBody);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const body = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as unknown;

  it('answers bytes the HTTP parser refuses with 400 in the given JSON shape and closes', async () => {
    const answer = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('Connection: close\r\n');
    expect(answer).toContain('X-Content-Type-Options: nosniff\r\n');
    expect(body(answer)).toEqual({ statusCode: 400, error: 'Bad Request', message: 'The request is not valid HTTP/1.1.' });
  });

  it('answers headers over the limit with 431', async () => {
    const answer = await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(body(answer)).toMatchObject({ statusCode: 431, error: 'Request Header Fields Too Large' });
  });

  it('leaves valid requests alone', async () => {
    expect(await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/);
  });
});
