import { AppConfig, ConfigModule, loadConfig } from '@lmarena-bridge/config';
import { Controller, Get, HttpException, INestApplication, Logger, Param, ParseIntPipe, Res } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createProxyApp } from '../create-app';
import { bodyParserError } from './body-parser-error';
import { OpenAiExceptionFilter } from './openai-exception.filter';
import { ProxyError } from './proxy-error';

const LIMIT = 1024 * 1024;
const SECRET_DETAIL = 'connect ECONNREFUSED postgres://admin:hunter2@db.internal:5432';

/** An error object as body-parser creates it (http-errors with a `type`). */
function aBodyParserError(type: string, status = 400): Error {
  return Object.assign(new Error(`body-parser says ${type}`), { type, status, statusCode: status, expose: true });
}

/** The expected status and `{"error":{message,type,param,code}}` body; no message: any string. */
const errorBody = (status: number, type: string, code: string, message: string | RegExp = /./, param: string | null = null) => ({
  status,
  body: { error: { message: typeof message === 'string' ? message : expect.stringMatching(message), type, param, code } },
});

describe('bodyParserError', () => {
  it.each<[string, unknown]>([
    ['entity.parse.failed', errorBody(400, 'invalid_request_error', 'invalid_json', 'The request body is not valid JSON.')],
    ['entity.too.large', errorBody(413, 'invalid_request_error', 'payload_too_large', `The request body is larger than the limit of ${LIMIT} bytes.`)],
    ['encoding.unsupported', errorBody(400, 'invalid_request_error', 'invalid_request', /encoding is not supported/)],
    ['charset.unsupported', errorBody(400, 'invalid_request_error', 'invalid_request', /encoding is not supported/)],
    ['request.size.invalid', errorBody(400, 'invalid_request_error', 'invalid_request', 'The request body could not be read.')],
  ])("turns body-parser's %s into the OpenAI error shape", (type, expected) => {
    const mapped = bodyParserError(aBodyParserError(type), LIMIT);
    expect(mapped).toBeInstanceOf(ProxyError);
    const err = mapped as ProxyError;
    expect({ status: err.status, body: err.body() }).toEqual(expected);
  });

  it('leaves an aborted request and errors without a type as they are', () => {
    const aborted = aBodyParserError('request.aborted');
    const plain = new Error('plain');
    expect(bodyParserError(aborted, LIMIT)).toBe(aborted);
    expect(bodyParserError(plain, LIMIT)).toBe(plain);
    expect(bodyParserError(null, LIMIT)).toBeNull();
    expect(bodyParserError('text', LIMIT)).toBe('text');
  });
});

@Controller('t')
class ThrowingController {
  @Get('proxy-error')
  proxyError(): never {
    throw new ProxyError(429, 'rate_limit_error', 'rate_limit_exceeded', 'Too many requests: retry in 3 s.', null, { 'Retry-After': '3' });
  }

  @Get('unauthorized')
  unauthorized(): never {
    throw ProxyError.unauthorized('The API key has been revoked.');
  }

  @Get('model-not-allowed')
  modelNotAllowed(): never {
    throw ProxyError.modelNotAllowed('gpt-x');
  }

  @Get('http/:status')
  http(@Param('status', ParseIntPipe) status: number): never {
    throw new HttpException(`plain http ${status}`, status);
  }

  @Get('body-parser/:type')
  bodyParser(@Param('type') type: string): never {
    throw aBodyParserError(type, type === 'entity.too.large' ? 413 : 400);
  }

  @Get('crash')
  crash(): never {
    throw new Error(SECRET_DETAIL);
  }

  @Get('crash-not-error')
  crashNotError(): never {
    throw { detail: SECRET_DETAIL };
  }

  /** Fails after the 200 and the first event went out, as an upstream stream can. */
  @Get('stream/:how')
  async stream(@Param('how') how: string, @Res() res: Response): Promise<void> {
    res.status(200).setHeader('content-type', 'text/event-stream');
    res.write('data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n');
    await new Promise((resolve) => setImmediate(resolve));
    throw how === 'upstream' ? ProxyError.timeout('The upstream "up" did not answer within 5 ms.') : new Error(SECRET_DETAIL);
  }
}

describe('OpenAiExceptionFilter', () => {
  let app: INestApplication;
  /** What `answer` returned for each error (what the pipeline's fail step notes for usage). */
  let answered: Array<{ message: string; status: number } | null>;
  let logged: jest.SpyInstance;

  beforeAll(async () => {
    const config = { proxy: { max_body_bytes: LIMIT } } as unknown as AppConfig;
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config)],
      controllers: [ThrowingController],
      providers: [{ provide: APP_FILTER, useClass: OpenAiExceptionFilter }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    const answer = OpenAiExceptionFilter.prototype.answer;
    jest.spyOn(OpenAiExceptionFilter.prototype, 'answer').mockImplementation(function (
      this: OpenAiExceptionFilter,
      err: unknown,
      req: IncomingMessage,
      res: ServerResponse,
    ) {
      const error = answer.call(this, err, req, res);
      answered.push(error && { message: error.message, status: error.status });
      return error;
    });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    jest.restoreAllMocks();
  });
  beforeEach(() => {
    answered = [];
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => logged.mockRestore());

  const get = (path: string) => request(app.getHttpServer()).get(path);

  it('answers a ProxyError with its status, OpenAI body and headers, and returns it for the usage note', async () => {
    const res = await get('/t/proxy-error');
    expect({ status: res.status, body: res.body }).toEqual(errorBody(429, 'rate_limit_error', 'rate_limit_exceeded', 'Too many requests: retry in 3 s.'));
    expect(res.headers['retry-after']).toBe('3');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(answered).toEqual([{ message: 'Too many requests: retry in 3 s.', status: 429 }]);
  });

  it('answers 401 with WWW-Authenticate and 403 with the param named', async () => {
    const unauthorized = await get('/t/unauthorized');
    expect({ status: unauthorized.status, body: unauthorized.body }).toEqual(
      errorBody(401, 'invalid_request_error', 'invalid_api_key', 'The API key has been revoked.'),
    );
    expect(unauthorized.headers['www-authenticate']).toBe('Bearer');
    const forbidden = await get('/t/model-not-allowed');
    expect({ status: forbidden.status, body: forbidden.body }).toEqual(
      errorBody(403, 'permission_error', 'model_not_allowed', /may not use the model "gpt-x"/, 'model'),
    );
  });

  it.each<[string, unknown]>([
    ['entity.parse.failed', errorBody(400, 'invalid_request_error', 'invalid_json', 'The request body is not valid JSON.')],
    ['entity.too.large', errorBody(413, 'invalid_request_error', 'payload_too_large', `The request body is larger than the limit of ${LIMIT} bytes.`)],
  ])('maps a body-parser error (%s)', async (type, expected) => {
    const res = await get(`/t/body-parser/${type}`);
    expect({ status: res.status, body: res.body }).toEqual(expected);
  });

  it.each<[number, unknown]>([
    [404, errorBody(404, 'invalid_request_error', 'not_found', 'Unknown path: GET /t/http/404')],
    [401, errorBody(401, 'invalid_request_error', 'invalid_api_key', 'The API key is not recognised.')],
    [413, errorBody(413, 'invalid_request_error', 'payload_too_large')],
    [400, errorBody(400, 'invalid_request_error', 'invalid_request', 'plain http 400')],
    [418, errorBody(418, 'invalid_request_error', 'http_418', 'plain http 418')],
    [503, errorBody(503, 'server_error', 'http_503', 'plain http 503')],
  ])('maps an HttpException %p', async (status, expected) => {
    const res = await get(`/t/http/${status}`);
    expect({ status: res.status, body: res.body }).toEqual(expected);
  });

  it('answers an unknown route 404 not_found in the OpenAI shape', async () => {
    const res = await request(app.getHttpServer()).post('/v2/nothing/here');
    expect({ status: res.status, body: res.body }).toEqual(errorBody(404, 'invalid_request_error', 'not_found', 'Unknown path: POST /v2/nothing/here'));
  });

  it.each(['/t/crash', '/t/crash-not-error'])('answers an unexpected failure (%s) 500 internal_error without its details, and logs them', async (path) => {
    const res = await get(path);
    expect({ status: res.status, body: res.body }).toEqual(errorBody(500, 'server_error', 'internal_error', 'The proxy failed to handle this request.'));
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toContain('ECONNREFUSED');
    expect(answered).toEqual([{ message: 'The proxy failed to handle this request.', status: 500 }]);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0][0])).toContain(`GET ${path}`);
  });

  it('ends a stream that already started with an SSE error event and [DONE], recording the error status', async () => {
    const res = await get('/t/stream/upstream')
      .buffer(true)
      .parse((r, done) => {
        let text = '';
        r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        r.on('end', () => done(null, text));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const error = { error: { message: 'The upstream "up" did not answer within 5 ms.', type: 'upstream_error', param: null, code: 'upstream_timeout' } };
    expect(res.body).toBe(`data: {"choices":[{"delta":{"content":"Hel"}}]}\n\ndata: ${JSON.stringify(error)}\n\ndata: [DONE]\n\n`);
    expect(answered).toEqual([{ status: 504, message: error.error.message }]);
  });

  it('does not leak an internal error into a started stream either', async () => {
    const res = await get('/t/stream/crash')
      .buffer(true)
      .parse((r, done) => {
        let text = '';
        r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        r.on('end', () => done(null, text));
      });
    const events = String(res.body).split('\n\n').filter(Boolean);
    expect(events.slice(1)).toEqual([
      `data: ${JSON.stringify({ error: { message: 'The proxy failed to handle this request.', type: 'server_error', param: null, code: 'internal_error' } })}`,
      'data: [DONE]',
    ]);
    expect(String(res.body)).not.toContain('hunter2');
    expect(answered).toEqual([expect.objectContaining({ status: 500 })]);
  });
});

describe('errors of the real proxy app (body reading, unknown routes, authentication)', () => {
  const KEY = 'sk-shared-errors-key';
  let dir: string;
  let app: NestExpressApplication;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lmb-proxy-errors-'));
    writeFileSync(join(dir, 'config.jsonc'), `{ "database": { "url": "sqlite:proxy.db" }, "api_key": "${KEY}", "proxy": { "max_body_mb": 1 } }`);
    writeFileSync(join(dir, 'models.json'), '{ "echo": { "provider": "echo" } }');
    const config = loadConfig({ cwd: dir, env: {} });
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    app = await createProxyApp(config, { logStream: quiet });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = () => request(app.getHttpServer()).post('/v1/chat/completions').set('content-type', 'application/json');
  /** The body is read only once the caller is known: body errors need a valid key. */
  const authorized = () => post().set('authorization', `Bearer ${KEY}`);

  it('answers a body that is not JSON 400 invalid_json', async () => {
    const res = await authorized().send('{"model": "echo", "messages": [');
    expect({ status: res.status, body: res.body }).toEqual(errorBody(400, 'invalid_request_error', 'invalid_json', 'The request body is not valid JSON.'));
  });

  it('answers a body over max_body_mb 413 payload_too_large', async () => {
    const res = await authorized().send(JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'x'.repeat(LIMIT) }] }));
    expect({ status: res.status, body: res.body }).toEqual(
      errorBody(413, 'invalid_request_error', 'payload_too_large', `The request body is larger than the limit of ${LIMIT} bytes.`),
    );
  });

  it('answers an unknown path 404 not_found', async () => {
    const res = await request(app.getHttpServer()).get('/v1/nothing');
    expect({ status: res.status, body: res.body }).toEqual(errorBody(404, 'invalid_request_error', 'not_found', 'Unknown path: GET /v1/nothing'));
  });

  it('answers a request without a token 401 invalid_api_key', async () => {
    const res = await post().send({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] });
    expect({ status: res.status, body: res.body }).toEqual(errorBody(401, 'invalid_request_error', 'invalid_api_key'));
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });
});
