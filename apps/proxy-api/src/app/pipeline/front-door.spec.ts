import { TokensService, UsersService } from '@lmarena-bridge/auth';
import { loadConfig } from '@lmarena-bridge/config';
import { UsageLogEntity, UsageRecorder } from '@lmarena-bridge/usage';
import { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createProxyApp } from '../create-app';
import { CHAT_COMPLETIONS_PATH, isChatCompletions } from './front-door';
import { ProxyPipeline } from './proxy-pipeline';
import type { IncomingMessage } from 'node:http';

const SHARED_KEY = 'sk-shared-front-door-key';
/** The front door serves the canonical path; Express routes the other spellings to ChatController, which runs the same pipeline. */
const FRONT_DOOR = CHAT_COMPLETIONS_PATH;
const EXPRESS_ROUTE = `${CHAT_COMPLETIONS_PATH}/`;
const hello = { model: 'echo', messages: [{ role: 'user', content: 'hello front door' }] };

describe('front door (POST /v1/chat/completions without Express) and the Express route: one pipeline', () => {
  let dir: string;
  let app: NestExpressApplication;
  let token: string;
  let expressHandle: jest.SpyInstance;
  let pipelineRuns: jest.SpyInstance;
  /** What the proxy logged, one JSON line each, at the default level. */
  const logLines: string[] = [];
  const level = process.env['LOG_LEVEL'];

  beforeAll(async () => {
    delete process.env['LOG_LEVEL'];
    dir = mkdtempSync(join(tmpdir(), 'lmb-front-door-'));
    writeFileSync(
      join(dir, 'config.jsonc'),
      JSON.stringify({ database: { url: 'sqlite:proxy.db' }, api_key: SHARED_KEY, usage: { flush_interval_ms: 60_000 } }),
    );
    writeFileSync(join(dir, 'models.json'), '{ "echo": { "provider": "echo" } }');
    const config = loadConfig({ cwd: dir, env: {} });
    const logStream = new Writable({
      write: (chunk, _e, done) => {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    app = await createProxyApp(config, { logStream });
    const user = await app.get(UsersService).create({ username: 'door', email: 'door@example.com', password: 'correct horse battery', role: 'user' });
    token = (await app.get(TokensService).create(user.id, { name: 'door' })).token;
    // Express 5's app function hands every request to app.handle.
    expressHandle = jest.spyOn(app.getHttpAdapter().getInstance() as unknown as { handle: () => void }, 'handle');
    pipelineRuns = jest.spyOn(app.get(ProxyPipeline), 'run');
  });
  afterAll(async () => {
    if (level !== undefined) process.env['LOG_LEVEL'] = level;
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    expressHandle.mockClear();
    pipelineRuns.mockClear();
  });

  const post = (path: string, auth?: string) => {
    const req = request(app.getHttpServer()).post(path).set('content-type', 'application/json');
    return auth ? req.set('authorization', `Bearer ${auth}`) : req;
  };

  it('answers the canonical path without Express, other spellings through it, both with the same pipeline', async () => {
    expect((await post(FRONT_DOOR, token).send(hello)).status).toBe(200);
    expect(expressHandle).not.toHaveBeenCalled();
    expect((await post(`${FRONT_DOOR}?x=1`, token).send(hello)).status).toBe(200);
    expect(expressHandle).not.toHaveBeenCalled();
    expect(pipelineRuns).toHaveBeenCalledTimes(2);
    expect((await post(EXPRESS_ROUTE, token).send(hello)).status).toBe(200);
    expect(expressHandle).toHaveBeenCalledTimes(1);
    expect(pipelineRuns).toHaveBeenCalledTimes(3);
    expect((await request(app.getHttpServer()).get('/v1/models').set('authorization', `Bearer ${token}`)).status).toBe(200);
    expect(expressHandle).toHaveBeenCalledTimes(2);
    expect(pipelineRuns).toHaveBeenCalledTimes(3);
  });

  it.each([
    ['POST', '/v1/chat/completions', true],
    ['POST', '/v1/chat/completions?stream=1', true],
    ['POST', '/v1/chat/completions/', false],
    ['POST', '/v1/chat/completionsx', false],
    ['GET', '/v1/chat/completions', false],
  ])('takes %s %s on the fast path: %p', (method, url, fast) => {
    expect(isChatCompletions({ method, url } as IncomingMessage)).toBe(fast);
  });

  // Each case: what to send; both paths must give the same status, headers that matter and body.
  it.each<[string, (path: string) => request.Test]>([
    ['no Authorization header', (p) => post(p).send(hello)],
    ['a Basic Authorization header', (p) => post(p).set('authorization', 'Basic dXNlcjpwYXNz').send(hello)],
    ['a token in the query string only', (p) => post(`${p}?access_token=${SHARED_KEY}`).send(hello)],
    ['an unknown sk-lmarena token (passport strategy)', (p) => post(p, 'sk-lmarena-unknown').send(hello)],
    ['the shared api_key', (p) => post(p, SHARED_KEY).send(hello)],
    ['a body that is not JSON (body-parser)', (p) => post(p, token).send('{"model": "echo", "messages": [')],
    ['a body over the limit', (p) => post(p, token).send(JSON.stringify({ ...hello, pad: 'x'.repeat(21 * 1024 * 1024) }))],
    ['a fake gzip body', (p) => post(p, token).set('content-encoding', 'gzip').send('not gzip at all')],
    ['an unknown model (handler)', (p) => post(p, token).send({ ...hello, model: 'nope' })],
    ['a missing messages field (validation)', (p) => post(p, token).send({ model: 'echo' })],
    [
      'a stream',
      (p) =>
        post(p, token)
          .send({ ...hello, stream: true })
          .buffer(true)
          .parse((res, done) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => done(null, text.replace(/"(id|created)":("[^"]*"|\d+)/g, '"$1":0')));
          }),
    ],
  ])('answers %s alike on both paths', async (_name, send) => {
    const [front, routed] = [await send(FRONT_DOOR), await send(EXPRESS_ROUTE)];
    const shape = (res: request.Response) => ({
      status: res.status,
      type: res.headers['content-type'],
      auth: res.headers['www-authenticate'],
      body: typeof res.body === 'object' ? JSON.stringify(res.body).replace(/"(id|created)":("[^"]*"|\d+)/g, '"$1":0') : res.body,
    });
    expect(shape(front)).toEqual(shape(routed));
    expect(front.status).not.toBe(500);
  });

  it('records the same usage row for a request on either path', async () => {
    const recorder = app.get(UsageRecorder);
    const logs = app.get(DataSource).getRepository(UsageLogEntity);
    await recorder.flush();
    const before = await logs.count();
    await post(FRONT_DOOR, token).send({ ...hello, model: 'nope' });
    await post(EXPRESS_ROUTE, token).send({ ...hello, model: 'nope' });
    await post(FRONT_DOOR, token).send(hello);
    await post(EXPRESS_ROUTE, token).send(hello);
    await recorder.flush();
    const rows = (await logs.find({ order: { id: 'ASC' } })).slice(before);
    const comparable = rows.map((r) => ({
      model: r.model,
      status: r.statusCode,
      stream: r.stream,
      prompt: r.promptTokens,
      completion: r.completionTokens,
      error: r.errorMessage,
      token: r.tokenId,
      endpoint: r.endpoint,
    }));
    expect(comparable).toHaveLength(4);
    expect(comparable[0]).toEqual({ ...comparable[1], endpoint: FRONT_DOOR });
    expect(comparable[1].endpoint).toBe(EXPRESS_ROUTE);
    expect(comparable[0]).toMatchObject({ model: 'nope', status: 404, error: expect.stringContaining('nope') });
    expect(comparable[2]).toEqual({ ...comparable[3], endpoint: FRONT_DOOR });
    expect(comparable[2]).toMatchObject({ model: 'echo', status: 200, error: null });
    expect(comparable[2].prompt).toBeGreaterThan(0);
    expect(comparable[2].completion).toBeGreaterThan(0);
  });

  it('writes no log line for an accepted request at the default level, on any proxied path (usage_logs has each)', async () => {
    const before = logLines.length;
    expect((await post(FRONT_DOOR, token).send(hello)).status).toBe(200);
    expect((await post(EXPRESS_ROUTE, token).send(hello)).status).toBe(200);
    expect((await post(FRONT_DOOR, SHARED_KEY).send(hello)).status).toBe(200);
    expect((await post('/v1/embeddings', token).send({ model: 'echo', input: 'hello' })).status).toBe(200);
    expect((await post('/v1/completions', token).send({ model: 'echo', prompt: 'hello' })).status).toBe(200);
    expect((await post('/v1/responses', token).send({ model: 'echo', input: 'hello' })).status).toBe(200);
    const messages = await post('/v1/messages', token).send({ model: 'echo', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] });
    expect(messages.status).toBe(200);
    expect(logLines.slice(before)).toEqual([]);
    // The level is info and the stream is the proxy's: a route outside the pipeline still has its access line.
    expect((await request(app.getHttpServer()).get('/v1/models').set('authorization', `Bearer ${token}`)).status).toBe(200);
    expect(logLines.slice(before)).toEqual([expect.stringContaining('"url":"/v1/models"')]);
  });
});
