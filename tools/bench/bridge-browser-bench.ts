/**
 * `npm run bench:bridge-browser`: what the LMArena bridge adds, measured with the real parts
 * including the browser (`bench:bridge` measures the proxy side with a `ws` fake browser). The fake
 * arena site (HTTP/2, in this process), the built proxy and dashboard, Debian Chromium running
 * the built userscript in a tab of the fake site. Each round the same answer (CHUNKS lines) is
 * fetched two ways:
 *   direct  — in the tab, exactly what the userscript does (mint a token, fetch, read the stream);
 *   bridged — the openai client → proxy → /ws → userscript → site → back.
 * Added ms per request = median bridged − median direct time to the last line; added ms per
 * chunk = median over lines of (received − written by the site) bridged − the same direct.
 * Site and client share this process's clock; the tab's Date.now() is the same system clock.
 */
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import {
  allowLocalNetwork,
  filledUserscript,
  freePort,
  installUserscript,
  launchArenaChromium,
  openConnectedTab,
} from '../../apps/e2e/src/support/arena-browser';
import { FAKE_MODELS, FakeArena, RecordedRequest, siteLine, startFakeArena } from '../../apps/e2e/src/support/fake-arena';
import { startStack } from '../../apps/e2e/src/support/stack';

const CHUNKS = Number(process.env['BENCH_CHUNKS'] ?? 20);
const CHUNK_DELAY_MS = Number(process.env['BENCH_CHUNK_DELAY_MS'] ?? 5);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 10);
const CONCURRENCY = [1, 16];
const SECRET = 'bench-bridge-secret';
const MODEL = FAKE_MODELS[0];
const PATH = '/nextjs-api/stream/create-evaluation';

/** One fetched answer: when it was started and when each line arrived (Date.now()). */
interface Timing {
  marker: string;
  startedAt: number;
  receivedAt: number[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A UUIDv7: 48-bit ms timestamp, version 7, variant 10. */
function uuidv7(): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(Date.now(), 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Line i of every answer carries "w<i> ", so its arrival can be told in any chunking. */
const WORDS = Array.from({ length: CHUNKS }, (_, i) => `w${i} `);

function queueAnswers(arena: FakeArena, count: number): void {
  for (let i = 0; i < count; i++) {
    arena.answer({ kind: 'stream', delayMs: CHUNK_DELAY_MS, lines: [...WORDS.map((w) => siteLine.text(w)), siteLine.finish('stop')] });
  }
}

/** `count` answers fetched in the tab at once, the way the userscript fetches them. */
function directBatch(page: Page, markers: string[]): Promise<Timing[]> {
  const bodies = markers.map((marker) => ({
    marker,
    body: {
      id: uuidv7(),
      mode: 'direct',
      modelAId: MODEL.id,
      userMessageId: uuidv7(),
      modelAMessageId: uuidv7(),
      modelBMessageId: uuidv7(),
      userMessage: { content: `user: ${marker}`, experimental_attachments: [], metadata: {} },
      modality: 'chat',
    },
  }));
  return page.evaluate(
    async ({ bodies, words, path }) => {
      const enterprise = (window as unknown as { grecaptcha: { enterprise: { execute(k: string, o: { action: string }): Promise<string> } } }).grecaptcha
        .enterprise;
      const key = /render=([\w-]+)/.exec(document.querySelector<HTMLScriptElement>('script[src*="enterprise.js"]')?.src ?? '')?.[1] ?? '';
      return Promise.all(
        bodies.map(async ({ marker, body }) => {
          const startedAt = Date.now();
          const token = await enterprise.execute(key, { action: 'chat_submit' });
          const res = await fetch(path, {
            method: 'POST',
            credentials: 'include',
            headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
            body: JSON.stringify({ ...body, recaptchaV3Token: token }),
          });
          if (!res.ok || !res.body) throw new Error(`direct fetch answered ${res.status}`);
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          const receivedAt: number[] = [];
          let text = '';
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            text += decoder.decode(value, { stream: true });
            while (receivedAt.length < words.length && text.includes(`a0:"${words[receivedAt.length]}"`)) receivedAt.push(Date.now());
          }
          return { marker, startedAt, receivedAt };
        }),
      );
    },
    { bodies, words: WORDS, path: PATH },
  );
}

async function bridgedOne(client: OpenAI, marker: string): Promise<Timing> {
  const startedAt = Date.now();
  const stream = await client.chat.completions.create({ model: 'arena-model', messages: [{ role: 'user', content: marker }], stream: true });
  const receivedAt: number[] = [];
  let text = '';
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    while (receivedAt.length < WORDS.length && text.includes(WORDS.slice(0, receivedAt.length + 1).join(''))) receivedAt.push(Date.now());
  }
  return { marker, startedAt, receivedAt };
}

/** The site's record of the request that carried `marker` in its prompt. */
function siteRecord(arena: FakeArena, marker: string): RecordedRequest {
  const found = arena.requests.find((r) => JSON.stringify(r.body?.['userMessage'] ?? '').includes(marker));
  if (!found) throw new Error(`the site saw no request for ${marker}`);
  return found;
}

interface Figures {
  total: number;
  chunkLatency: number;
}

function figuresOf(arena: FakeArena, timings: Timing[]): Figures {
  const totals: number[] = [];
  const latencies: number[] = [];
  for (const t of timings) {
    if (t.receivedAt.length !== CHUNKS) throw new Error(`${t.marker}: ${t.receivedAt.length} of ${CHUNKS} lines arrived`);
    const written = siteRecord(arena, t.marker).writtenAt;
    totals.push(t.receivedAt[CHUNKS - 1] - t.startedAt);
    t.receivedAt.forEach((at, i) => latencies.push(at - written[i]));
  }
  return { total: median(totals), chunkLatency: median(latencies) };
}

async function main(): Promise<void> {
  const arena = await startFakeArena();
  const proxyPort = await freePort();
  const stack = await startStack(
    { usage: { flush_interval_ms: 200 }, bridge: { secret: SECRET, allowed_origins: [arena.origin], max_in_flight_per_browser: 32 } },
    { 'arena-model': MODEL.id },
    { PROXY_PORT: String(proxyPort), LOG_LEVEL: 'warn' },
  );
  const browser = await launchArenaChromium(arena);
  try {
    const context = await browser.newContext();
    await allowLocalNetwork(context, arena);
    await installUserscript(context, arena, filledUserscript(`ws://127.0.0.1:${stack.proxy.port}/ws`, SECRET));
    const page = await openConnectedTab(context, arena);
    const token = await stack.admin.createToken('bench');
    const client = new OpenAI({ apiKey: token.token, baseURL: `${stack.proxy.url}/v1`, maxRetries: 0, timeout: 60_000 });
    let n = 0;
    const markers = (count: number) => Array.from({ length: count }, () => `bench-${++n}-${randomBytes(3).toString('hex')}`);

    // Warm-up: JIT, the tokenizer's first load, HTTP/2 and WebSocket set-up.
    queueAnswers(arena, 8);
    await directBatch(page, markers(4));
    await Promise.all(markers(4).map((m) => bridgedOne(client, m)));

    console.log(
      `LMArena bridge overhead (Chromium ${browser.version()}, Node ${process.version}; ${CHUNKS} lines per answer, ${CHUNK_DELAY_MS} ms apart; median of ${ROUNDS} rounds)`,
    );
    console.log(
      `  ${'streams'.padEnd(9)}${'direct ms'.padStart(11)}${'bridged ms'.padStart(12)}${'added/request'.padStart(15)}${'chunk direct'.padStart(14)}${'chunk bridged'.padStart(15)}${'added/chunk'.padStart(13)}`,
    );
    for (const concurrency of CONCURRENCY) {
      const direct: Timing[] = [];
      const bridged: Timing[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        queueAnswers(arena, concurrency);
        direct.push(...(await directBatch(page, markers(concurrency))));
        queueAnswers(arena, concurrency);
        bridged.push(...(await Promise.all(markers(concurrency).map((m) => bridgedOne(client, m)))));
      }
      const d = figuresOf(arena, direct);
      const b = figuresOf(arena, bridged);
      const f = (x: number, w: number) => x.toFixed(1).padStart(w);
      console.log(
        `  ${String(concurrency).padEnd(9)}${f(d.total, 11)}${f(b.total, 12)}${f(b.total - d.total, 15)}${f(d.chunkLatency, 14)}${f(b.chunkLatency, 15)}${f(b.chunkLatency - d.chunkLatency, 13)}`,
      );
    }
  } finally {
    await browser.close();
    await stack.stop();
    await arena.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
