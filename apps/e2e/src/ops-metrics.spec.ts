import { tempPostgresDatabase, TestDatabase } from '@lmarena-bridge/database/testing';
import { createServer, IncomingMessage, Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import OpenAI from 'openai';
import { DashboardClient } from './support/dashboard-client';
import { startPgGate } from './support/pg-gate';
import { scrape, sumOf } from './support/prom-text';
import { RunningServer, startServer, WORKSPACE_ROOT, writeTestConfig } from './support/servers';
import { Stack, startStack } from './support/stack';

const SHARED_KEY = 'shared-key-for-metrics';
const METRICS_TOKEN = 'metrics-scrape-token';
const UP_USAGE = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
const hello = [{ role: 'user' as const, content: 'hi' }];

/** A tiny OpenAI-style upstream that remembers the x-request-id of every request. */
async function headerRecordingUpstream(): Promise<{ url: string; requestIds: Array<string | undefined>; close(): Promise<void> }> {
  const requestIds: Array<string | undefined> = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    requestIds.push(req.headers['x-request-id'] as string | undefined);
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'chatcmpl-x',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: UP_USAGE,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requestIds, close: () => new Promise((r) => server.close(() => r())) };
}

describe('GET /metrics and /readyz on both servers', () => {
  let stack: Stack;
  let upstream: Awaited<ReturnType<typeof headerRecordingUpstream>>;
  let token: { id: number; token: string };

  beforeAll(async () => {
    upstream = await headerRecordingUpstream();
    stack = await startStack(
      {
        api_key: SHARED_KEY,
        metrics: { token: METRICS_TOKEN },
        usage: { flush_interval_ms: 20 },
        providers: { up: { type: 'openai', base_url: upstream.url, timeout_ms: 5000 } },
      },
      { echo: { provider: 'echo' }, up: { provider: 'up', model: 'm' } },
    );
    token = await stack.admin.createToken('metrics');
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${stack.proxy.url}/v1`, maxRetries: 0 });
  const post = (body: unknown, key = SHARED_KEY) =>
    fetch(`${stack.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('counts every chat request by model and status, whoever the caller, and records tokens and timings', async () => {
    for (let i = 0; i < 3; i++) await client(token.token).chat.completions.create({ model: 'echo', messages: hello });
    for (let i = 0; i < 2; i++) await client(SHARED_KEY).chat.completions.create({ model: 'echo', messages: hello });
    const stream = await client(token.token).chat.completions.create({ model: 'echo', messages: hello, stream: true });
    for await (const _ of stream) void _;
    for (let i = 0; i < 2; i++) await client(SHARED_KEY).chat.completions.create({ model: 'up', messages: hello });
    expect((await post({ model: 'not-in-models-json', messages: hello })).status).toBe(404);
    expect((await post({ messages: hello })).status).toBe(400);
    expect((await post({ model: 'echo', messages: hello }, 'sk-wrong')).status).toBe(401);

    const m = await scrape(`${stack.proxy.url}/metrics`, METRICS_TOKEN);
    expect(sumOf(m, 'lmb_proxy_requests_total', { model: 'echo', status: '200' })).toBe(6);
    // Refused from its headers, before the body (and its model) is read: no model label.
    expect(sumOf(m, 'lmb_proxy_requests_total', { model: '(none)', status: '401' })).toBe(1);
    expect(sumOf(m, 'lmb_proxy_requests_total', { model: 'up', status: '200' })).toBe(2);
    expect(sumOf(m, 'lmb_proxy_requests_total', { model: 'other', status: '404' })).toBe(1);
    expect(sumOf(m, 'lmb_proxy_requests_total', { model: '(none)', status: '400' })).toBe(1);
    expect(sumOf(m, 'lmb_proxy_requests_total')).toBe(11);
    // No client-chosen label value: the unknown model name never appears.
    expect(m.samples.some((s) => Object.values(s.labels).includes('not-in-models-json'))).toBe(false);

    expect(sumOf(m, 'lmb_proxy_request_duration_seconds_count')).toBe(11);
    expect(sumOf(m, 'lmb_proxy_request_duration_seconds_bucket', { model: 'up', le: '+Inf' })).toBe(2);
    expect(sumOf(m, 'lmb_proxy_upstream_duration_seconds_count', { model: 'up' })).toBe(2);
    expect(sumOf(m, 'lmb_proxy_upstream_duration_seconds_count', { model: 'echo' })).toBe(6);
    expect(sumOf(m, 'lmb_proxy_ttft_seconds_count', { model: 'echo' })).toBe(1);
    expect(sumOf(m, 'lmb_proxy_tokens_total', { model: 'up', kind: 'prompt' })).toBe(2 * UP_USAGE.prompt_tokens);
    expect(sumOf(m, 'lmb_proxy_tokens_total', { model: 'up', kind: 'completion' })).toBe(2 * UP_USAGE.completion_tokens);
    // The echo rows of the dashboard token carry the same token counts the metrics added up.
    const rows = await stack.usage.waitForRows(token.id, 4);
    expect(rows).toHaveLength(4);
    const echoPrompt = sumOf(m, 'lmb_proxy_tokens_total', { model: 'echo', kind: 'prompt' });
    expect(echoPrompt).toBeGreaterThan(0);
    expect(echoPrompt).toBe((rows.reduce((t, r) => t + Number(r.prompt_tokens), 0) / 4) * 6);

    expect(m.types.get('lmb_proxy_limit_rejections_total')).toBe('counter');
    expect(m.types.get('lmb_usage_queue_rows')).toBe('gauge');
    expect(sumOf(m, 'lmb_bridge_browsers')).toBe(0);
    expect(m.types.get('process_cpu_user_seconds_total')).toBe('counter');
  });

  it('records no usage row for scrapes and probes', async () => {
    const before = stack.usage.count(token.id);
    await fetch(`${stack.proxy.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    await fetch(`${stack.proxy.url}/readyz`, { headers: { authorization: `Bearer ${token.token}` } });
    await client(token.token).chat.completions.create({ model: 'echo', messages: hello });
    const rows = await stack.usage.waitForRows(token.id, before + 1);
    expect(rows.map((r) => r.endpoint).slice(before)).toEqual(['/v1/chat/completions']);
  });

  it('refuses scrapes without the metrics token on both servers', async () => {
    for (const url of [stack.proxy.url, stack.dashboard.url]) {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    }
    const proxyRefusal = (await (await fetch(`${stack.proxy.url}/metrics`)).json()) as { error: { code: string } };
    expect(proxyRefusal.error.code).toBe('invalid_api_key');
  });

  it('counts dashboard requests by route template and status', async () => {
    const before = sumOf(await scrape(`${stack.dashboard.url}/metrics`, METRICS_TOKEN), 'lmb_dashboard_http_requests_total', {
      route: '/api/tokens/:id',
      status: '404',
    });
    for (let i = 0; i < 3; i++) expect((await stack.admin.request('DELETE', `/api/tokens/${900_000 + i}`)).status).toBe(404);
    await stack.admin.request('GET', '/api/tokens');
    const m = await scrape(`${stack.dashboard.url}/metrics`, METRICS_TOKEN);
    expect(sumOf(m, 'lmb_dashboard_http_requests_total', { route: '/api/tokens/:id', status: '404', method: 'DELETE' }) - before).toBe(3);
    expect(sumOf(m, 'lmb_dashboard_http_requests_total', { route: '/api/tokens', status: '200', method: 'GET' })).toBeGreaterThanOrEqual(1);
    expect(m.samples.some((s) => s.labels['route']?.includes('900000'))).toBe(false);
  });

  it('keeps a sane x-request-id, replaces a bad one, returns it and sends it upstream', async () => {
    const kept = await fetch(`${stack.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SHARED_KEY}`, 'x-request-id': 'trace-42.a' },
      body: JSON.stringify({ model: 'up', messages: hello }),
    });
    expect(kept.status).toBe(200);
    expect(kept.headers.get('x-request-id')).toBe('trace-42.a');
    expect(upstream.requestIds.at(-1)).toBe('trace-42.a');
    const replaced = await fetch(`${stack.proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SHARED_KEY}`, 'x-request-id': 'x'.repeat(500) },
      body: JSON.stringify({ model: 'up', messages: hello }),
    });
    const id = replaced.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(upstream.requestIds.at(-1)).toBe(id);
    const dash = await fetch(`${stack.dashboard.url}/api/status`, { headers: { 'x-request-id': 'dash-1' } });
    expect(dash.headers.get('x-request-id')).toBe('dash-1');
  });

  it('the Grafana dashboard queries only metrics the servers expose', async () => {
    const families = new Set([
      ...(await scrape(`${stack.proxy.url}/metrics`, METRICS_TOKEN)).types.keys(),
      ...(await scrape(`${stack.dashboard.url}/metrics`, METRICS_TOKEN)).types.keys(),
    ]);
    const json = readFileSync(join(WORKSPACE_ROOT, 'deploy/grafana-dashboard.json'), 'utf8');
    const used = [...new Set([...json.matchAll(/\b((?:lmb|process)_[a-z_]+)/g)].map((m) => m[1].replace(/_(bucket|sum|count)$/, '')))];
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((name) => !families.has(name))).toEqual([]);
  });

  it('answers /readyz 200 and /healthz on both servers, not the SPA', async () => {
    for (const url of [stack.proxy.url, stack.dashboard.url]) {
      const ready = await fetch(`${url}/readyz`, { headers: { accept: 'text/html,*/*' } });
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', database: 'ok', migrations: 'ok' });
      expect(await (await fetch(`${url}/healthz`, { headers: { accept: 'text/html' } })).json()).toEqual({ status: 'ok' });
    }
  });
});

const pgUrl = process.env['TEST_DATABASE_URL'];
if (!pgUrl) process.stdout.write('\n*** /readyz PostgreSQL outage test skipped: set TEST_DATABASE_URL ***\n\n');
(pgUrl ? describe : describe.skip)('GET /readyz when PostgreSQL goes away', () => {
  it('flips to 503 naming the database on both servers, and back to 200 when it returns', async () => {
    const db: TestDatabase = await tempPostgresDatabase(pgUrl ?? '');
    const gate = await startPgGate(db.url);
    const dir = writeTestConfig({});
    const servers: RunningServer[] = [];
    try {
      const env = { DATABASE_URL: gate.through(db.url) };
      servers.push(await startServer('proxy-api', dir.configPath, env), await startServer('dashboard-api', dir.configPath, env));
      const readyz = async (s: RunningServer) => {
        const res = await fetch(`${s.url}/readyz`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      for (const s of servers) expect(await readyz(s)).toEqual({ status: 200, body: { status: 'ready', database: 'ok', migrations: 'ok' } });
      gate.shut();
      for (const s of servers) {
        const r = await readyz(s);
        expect(r.status).toBe(503);
        expect(r.body).toMatchObject({ status: 'not_ready', database: 'down', migrations: 'unknown' });
        expect(String(r.body['detail'])).toMatch(/^database: /);
        expect(String(r.body['detail'])).not.toContain('postgres://');
        // Liveness does not depend on the database.
        expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      }
      gate.open();
      for (const s of servers) expect((await readyz(s)).status).toBe(200);
      // The dashboard's own client still works afterwards.
      expect((await new DashboardClient(servers[1].url).request('GET', '/api/status')).status).toBe(200);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      await gate.close();
      await db.drop();
      dir.cleanup();
    }
  }, 60_000);
});
