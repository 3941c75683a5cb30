/**
 * `npm run bench:bridge`: what the LMArena bridge adds to a request. A request goes client →
 * built proxy → WebSocket → a fake browser (in this process) that generates the site's answer
 * lines → back through the proxy's parser as OpenAI SSE. The baseline is the same fake browser
 * answering the same lines directly over HTTP. Two answer sizes (1 and 64 text deltas) separate
 * the fixed cost per request from the cost per chunk; at 1 and 16 concurrent streams. The
 * proxy's echo provider (no bridge) is measured alongside: the proxy's own cost on this machine
 * at this moment, so a loaded machine shows in the figures instead of hiding in them.
 */
import { tempSqliteDatabase } from '@lmarena-bridge/database/testing';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FakeBrowser, RequestFrame, Step } from '../../apps/e2e/src/support/fake-browser';
import { startServer, writeTestConfig } from '../../apps/e2e/src/support/servers';
import { pinToCpu } from './cpu';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SIZES = [1, 64] as const;
const SCENARIOS = [
  { concurrency: 1, requests: Number(process.env['BENCH_BRIDGE_C1'] ?? 150) },
  { concurrency: 16, requests: Number(process.env['BENCH_BRIDGE_C16'] ?? 640) },
];
const API_KEY = 'bench-bridge-key';
const SECRET = 'bench-bridge-secret';

/** The site's answer with n text deltas, one WebSocket frame (or HTTP write) each. */
function siteLines(n: number): string[] {
  return [...Array.from({ length: n }, (_, i) => `a0:${JSON.stringify(`tok${i} `)}\n`), 'ad:{"finishReason":"stop"}\n'];
}
const LINES = new Map(SIZES.map((n) => [n, siteLines(n)]));

function browserScript(request: RequestFrame): Step[] {
  const n = Number(String(request.payload.body['modelAId']).replace('bench-uuid-', ''));
  return [...(LINES.get(n as (typeof SIZES)[number]) ?? []).map((data) => ({ data })), { data: '[DONE]' }];
}

/** The fake browser answering over plain HTTP: the same lines, no proxy in between. */
function startDirect(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const lines = LINES.get(Number(req.url?.split('/').pop()) as (typeof SIZES)[number]) ?? [];
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      for (const line of lines) res.write(line);
      res.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    ),
  );
}

/** Time to the last byte of one request, in ms. */
async function timed(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return performance.now() - started;
}

/** `total` requests with `concurrency` in flight; every latency. */
async function run(concurrency: number, total: number, one: () => Promise<number>): Promise<number[]> {
  const latencies: number[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        latencies.push(await one());
      }
    }),
  );
  return latencies;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const db = tempSqliteDatabase();
  const models: Record<string, unknown> = { ...Object.fromEntries(SIZES.map((n) => [`bench-${n}`, `bench-uuid-${n}`])), echo: { provider: 'echo' } };
  const dir = writeTestConfig(
    {
      database: { url: db.url },
      use_dashboard_tokens: false,
      api_key: API_KEY,
      bridge: { secret: SECRET, max_in_flight_per_browser: 64, timeout_seconds: 60 },
    },
    models,
  );
  const proxy = await startServer('proxy-api', dir.configPath, { LOG_LEVEL: 'warn' });
  const direct = await startDirect();
  const pinned = pinToCpu(process.pid, 0) && pinToCpu(proxy.process.pid ?? -1, 1);
  const browser = await FakeBrowser.connect({ url: `ws://127.0.0.1:${proxy.port}/ws`, secret: SECRET, script: browserScript });
  // The fake browser keeps every frame it receives; a benchmark's worth is a few MB at most.
  try {
    const auth = { authorization: `Bearer ${API_KEY}` };
    const viaBridge = (n: number) => () =>
      timed(
        `${proxy.url}/v1/chat/completions`,
        JSON.stringify({ model: `bench-${n}`, stream: true, messages: [{ role: 'user', content: 'Say hello to the benchmark.' }] }),
        auth,
      );
    const viaDirect = (n: number) => () => timed(`${direct.url}/site/${n}`, '{}', {});
    const viaEcho = () =>
      timed(
        `${proxy.url}/v1/chat/completions`,
        JSON.stringify({ model: 'echo', stream: true, messages: [{ role: 'user', content: 'Say hello to the benchmark.' }] }),
        auth,
      );
    // Warm-up: JIT, the proxy's tokenizer (loaded on first use), connection pools.
    for (const n of SIZES) {
      await run(16, 200, viaBridge(n));
      await run(16, 200, viaDirect(n));
    }
    await run(16, 200, viaEcho);
    console.log(`LMArena bridge overhead (Node ${process.version}, median of ${ROUNDS} rounds; p50 time to the last byte)`);
    console.log(pinned ? 'Client and fake browser pinned to CPU 0, proxy to CPU 1.' : 'Could not pin processes to CPUs (taskset): figures are noisier.');
    for (const { concurrency, requests } of SCENARIOS) {
      const p50: Record<string, number[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const n of SIZES) {
          (p50[`bridge ${n}`] ??= []).push(median(await run(concurrency, requests, viaBridge(n))));
          (p50[`direct ${n}`] ??= []).push(median(await run(concurrency, requests, viaDirect(n))));
        }
        (p50['echo'] ??= []).push(median(await run(concurrency, requests, viaEcho)));
      }
      const m = Object.fromEntries(Object.entries(p50).map(([k, v]) => [k, median(v)]));
      const [small, large] = SIZES;
      const perRequest = m[`bridge ${small}`] - m[`direct ${small}`];
      const perChunk = (m[`bridge ${large}`] - m[`bridge ${small}`] - (m[`direct ${large}`] - m[`direct ${small}`])) / (large - small);
      console.log(`\n${concurrency} concurrent stream${concurrency === 1 ? '' : 's'} (${requests} requests per size and round)`);
      for (const n of SIZES)
        console.log(
          `  ${String(n).padStart(2)} chunk${n === 1 ? ' ' : 's'}: via bridge p50 ${m[`bridge ${n}`].toFixed(3)} ms, direct p50 ${m[`direct ${n}`].toFixed(3)} ms`,
        );
      console.log(`  proxy alone (echo provider, stream) p50 ${m['echo'].toFixed(3)} ms`);
      console.log(
        `  added per request: ${perRequest.toFixed(3)} ms (of which beyond the proxy's own cost: ${(m[`bridge ${small}`] - m['echo']).toFixed(3)} ms); added per chunk: ${(perChunk * 1000).toFixed(1)} µs`,
      );
    }
  } finally {
    await browser.close();
    await proxy.stop();
    await direct.close();
    await db.drop();
    dir.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
