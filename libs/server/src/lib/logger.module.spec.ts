import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pinoHttp from 'pino-http';
import pino from 'pino';
import { pinoHttpOptions } from './logger.module';

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

  it('honours LOG_LEVEL', () => {
    expect(pinoHttpOptions('x', { LOG_LEVEL: 'warn' }).level).toBe('warn');
  });
});
