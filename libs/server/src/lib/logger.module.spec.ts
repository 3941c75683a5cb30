import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pinoHttp from 'pino-http';
import pino from 'pino';
import { pinoHttpOptions, wantsPrettyLogs } from './logger.module';

describe('pinoHttpOptions', () => {
  let server: Server;
  let lines: string[];

  beforeEach(async () => {
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const options = pinoHttpOptions('test', { NODE_ENV: 'production', LOG_LEVEL: 'info' });
    const logger = pino({ ...options, transport: undefined } as pino.LoggerOptions, sink);
    const middleware = pinoHttp({ ...options, logger });
    server = createServer((req, res) => {
      middleware(req, res);
      res.setHeader('Set-Cookie', 'session=cookie-secret-value; HttpOnly');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

  it('logs requests without credentials: authorization, cookies and set-cookie are redacted', async () => {
    await fetch(url('/v1/models'), {
      headers: { authorization: 'Bearer sk-lmarena-SECRETSECRET', cookie: 'session=abc-session-secret', 'x-api-key': 'key-secret' },
    });
    const log = lines.join('');
    expect(log).toContain('"url":"/v1/models"');
    expect(log).toContain('[redacted]');
    for (const secret of ['SECRETSECRET', 'abc-session-secret', 'key-secret', 'cookie-secret-value']) {
      expect(log).not.toContain(secret);
    }
  });

  it('does not log health checks', async () => {
    await fetch(url('/healthz'));
    expect(lines.join('')).not.toContain('/healthz');
  });

  it('gives every request an id: a sane x-request-id is kept, anything else replaced; logged and returned', async () => {
    const kept = await fetch(url('/v1/models'), { headers: { 'x-request-id': 'abc-123.def' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123.def');
    expect(lines.join('')).toContain('"reqId":"abc-123.def"');
    const replaced = await fetch(url('/v1/models'), { headers: { 'x-request-id': 'bad id with spaces' } });
    const id = replaced.headers.get('x-request-id') ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await fetch(url('/v1/models'));
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers.get('x-request-id')).not.toBe(id);
  });

  it('does not log probes and scrapes', async () => {
    await fetch(url('/readyz'));
    await fetch(url('/metrics?x=1'));
    expect(lines.join('')).not.toMatch(/readyz|metrics/);
  });

  it('honours LOG_LEVEL', () => {
    expect(pinoHttpOptions('x', { LOG_LEVEL: 'warn' }).level).toBe('warn');
  });
});

describe('wantsPrettyLogs', () => {
  const installed = () => true;
  it('is pretty on a terminal and JSON on a pipe or file', () => {
    expect(wantsPrettyLogs({}, true, installed)).toBe(true);
    expect(wantsPrettyLogs({ NODE_ENV: 'production' }, true, installed)).toBe(true);
    expect(wantsPrettyLogs({}, false, installed)).toBe(false);
  });
  it('obeys LOG_FORMAT', () => {
    expect(wantsPrettyLogs({ LOG_FORMAT: 'json' }, true, installed)).toBe(false);
    expect(wantsPrettyLogs({ LOG_FORMAT: 'pretty' }, false, installed)).toBe(true);
  });
  it('falls back to JSON when pino-pretty is not installed (a production install)', () => {
    expect(wantsPrettyLogs({}, true, () => false)).toBe(false);
  });
});
