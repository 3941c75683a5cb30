import { loadConfig } from '@lmarena-bridge/config';
import { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createProxyApp } from './create-app';

interface Operation {
  security?: Array<Record<string, string[]>>;
  tags?: string[];
  responses: Record<string, unknown>;
}

describe("the proxy's OpenAPI document (GET /docs-json)", () => {
  let dir: string;
  let app: NestExpressApplication;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lmb-proxy-swagger-'));
    writeFileSync(join(dir, 'config.jsonc'), '{ "database": { "url": "sqlite:proxy.db" } }');
    writeFileSync(join(dir, 'models.json'), '{ "echo": { "provider": "echo" } }');
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    app = await createProxyApp(loadConfig({ cwd: dir, env: {} }), { logStream: quiet });
    doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body;
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('declares Bearer without a bearerFormat (the tokens are not JWTs) and the x-api-key header', () => {
    expect(doc.components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', description: expect.stringContaining('sk-lmarena-') },
      'x-api-key': { type: 'apiKey', in: 'header', name: 'x-api-key', description: expect.stringContaining('sk-lmarena-') },
    });
  });

  it('documents every endpoint with the authentication it really takes', () => {
    const security = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op.security ?? null]),
    );
    expect(Object.fromEntries(security)).toEqual({
      'GET /healthz': null,
      // Bearer only when metrics.token is set; documented, since a scraper must then send it.
      'GET /metrics': [{ bearer: [] }],
      'GET /readyz': null,
      'GET /v1/models': null,
      'GET /v1/models/{id}': null,
      'POST /v1/chat/completions': [{ bearer: [] }],
      'POST /v1/embeddings': [{ bearer: [] }],
      'POST /v1/completions': [{ bearer: [] }],
      'POST /v1/responses': [{ bearer: [] }],
      // Either header: Anthropic's SDKs send x-api-key, others a Bearer token.
      'POST /v1/messages': expect.arrayContaining([{ bearer: [] }, { 'x-api-key': [] }]),
    });
    expect(doc.paths['/v1/messages']['post'].security).toHaveLength(2);
  });

  it('tags each endpoint by its API and lists its error answers', () => {
    const tags = (path: string, method = 'post') => doc.paths[path][method].tags;
    expect([tags('/v1/embeddings'), tags('/v1/completions'), tags('/v1/responses'), tags('/v1/messages'), tags('/v1/models/{id}', 'get')]).toEqual([
      ['embeddings'],
      ['completions'],
      ['responses'],
      ['anthropic'],
      ['models'],
    ]);
    for (const path of ['/v1/embeddings', '/v1/completions', '/v1/responses', '/v1/messages']) {
      expect({ path, codes: Object.keys(doc.paths[path]['post'].responses) }).toEqual({ path, codes: expect.arrayContaining(['200', '400', '401', '404']) });
    }
    expect(Object.keys(doc.paths['/v1/models/{id}']['get'].responses)).toEqual(['200', '404']);
  });
});
