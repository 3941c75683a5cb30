import bodyParser from 'body-parser';
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { BodyMiddleware, jsonBodyReader } from './json-body-reader';

const LIMIT = 1024;

/** What a reader made of a request: the body, or the error's type and status. */
type Outcome = { body: unknown } | { type: unknown; status: unknown };

/** Two servers on one port pair: each answers with what its reader produced. */
async function serve(reader: BodyMiddleware): Promise<Server> {
  const server = createServer((req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    reader(req, res, (err?: unknown) => {
      const outcome: Outcome = err ? { type: (err as { type?: unknown }).type, status: (err as { status?: unknown }).status } : { body: req.body ?? null };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(outcome));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function send(server: Server, body: Buffer | string, headers: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', path: '/', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(JSON.parse(text) as Outcome));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('jsonBodyReader', () => {
  const fallbackCalls = { count: 0 };
  const parser = bodyParser.json({ limit: LIMIT, type: () => true }) as BodyMiddleware;
  let fast: Server;
  let reference: Server;

  beforeAll(async () => {
    fast = await serve(
      jsonBodyReader(LIMIT, (req, res, next) => {
        fallbackCalls.count += 1;
        parser(req, res, next);
      }),
    );
    reference = await serve(parser);
  });
  afterAll(() => {
    fast.close();
    reference.close();
  });
  beforeEach(() => (fallbackCalls.count = 0));

  const json = (body: Buffer | string, extra: Record<string, string> = {}) => ({
    body,
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...extra },
  });

  it.each<[string, { body: Buffer | string; headers: Record<string, string> }, boolean]>([
    ['an object', json('{"model":"echo","messages":[{"role":"user","content":"hi"}]}'), false],
    ['an array', json('[1,2]'), false],
    ['leading whitespace', json(' \n\t{"a":1}'), false],
    ['an empty body', json(''), false],
    ['a UTF-8 byte order mark', json(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é"}')])), false],
    ['invalid UTF-8 bytes', json(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])), false],
    ['multi-byte text', json('{"content":"日本語 🎉 ünïcödé"}'), false],
    ['a lone surrogate escape', json('{"content":"\\ud800"}'), false],
    ['a JSON string (strict mode)', json('"just a string"'), false],
    ['a number (strict mode)', json('42'), false],
    ['whitespace only', json('   '), false],
    ['invalid JSON', json('{"model": "echo", "messages": ['), false],
    ['trailing garbage', json('{"a":1} x'), false],
    ['charset=utf-8, quoted and in capitals', json('{"a":1}', { 'content-type': 'application/json; charset="UTF-8"' }), false],
    ['no content type', { body: '{"a":1}', headers: { 'content-length': '7' } }, false],
    [
      'a quoted charset=utf-8 beside the real charset=latin1',
      json('{"a":"\u00e9"}', { 'content-type': 'application/json; x="charset=utf-8"; charset=latin1' }),
      true,
    ],
    ['exactly the limit', json(`{"a":"${'x'.repeat(LIMIT - 8)}"}`), false],
    ['over the limit', json(`{"a":"${'x'.repeat(LIMIT)}"}`), true],
    ['a gzip body', json(gzipSync('{"a":1}'), { 'content-encoding': 'gzip' }), true],
    ['a fake gzip body', json('{"a":1}', { 'content-encoding': 'gzip' }), true],
    ['an unknown content encoding', json('{"a":1}', { 'content-encoding': 'snappy' }), true],
    ['charset=latin1', json('{"a":1}', { 'content-type': 'application/json; charset=latin1' }), true],
    ['charset=utf-16le', json(Buffer.from('{"a":1}', 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' }), true],
    ['a chunked body', { body: '{"a":1}', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, true],
  ])('reads %s as body-parser does', async (_name, { body, headers }, fallsBack) => {
    const [mine, theirs] = [await send(fast, body, headers), await send(reference, body, headers)];
    expect(mine).toEqual(theirs);
    expect(fallbackCalls.count).toBe(fallsBack ? 1 : 0);
  });

  it('reports a client that stops sending mid-body as request.aborted, and keeps serving', async () => {
    const seen = new Promise<unknown>((resolve) => {
      const server = createServer((req, res) =>
        jsonBodyReader(LIMIT, () => resolve('fallback'))(req, res, (err?: unknown) => {
          resolve((err as { type?: unknown } | undefined)?.type);
          res.end();
          server.close();
        }),
      );
      server.listen(0, '127.0.0.1', () => {
        const socket = connect((server.address() as AddressInfo).port, '127.0.0.1', () => {
          socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"model":');
          setTimeout(() => socket.destroy(), 50);
        });
      });
    });
    await expect(seen).resolves.toBe('request.aborted');
    // The fast server is still up after the aborted request (no unhandled 'error' event).
    await expect(send(fast, '{"a":1}', { 'content-length': '7' })).resolves.toEqual({ body: { a: 1 } });
  });
});
