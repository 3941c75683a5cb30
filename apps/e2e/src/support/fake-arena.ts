import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A local stand-in for arena.ai (docs/lmarena.md, "Site: …"): the HTML page with the embedded
 * model list and the reCAPTCHA script, a fake `grecaptcha.enterprise`, and the chat endpoints,
 * which check what the real site checks (login cookie, single-use captcha token, UUIDv7 ids,
 * known model, modality) and answer from a queue the test scripts. Served over HTTPS (HTTP/2,
 * as the real site, so a tab is not held to six requests at a time; HTTP/1.1 for other
 * clients) with a self-signed certificate for arena.ai / lmarena.ai, so a browser mapped there
 * sees the real origin.
 */

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

export const FAKE_SITE_KEY = '6LfakeArenaSiteKeyForTheBridgeTests00000';
export const SESSION_COOKIE = 'arena-auth-session';

export interface FakeModel {
  id: string;
  publicName: string;
  organization: string;
  provider: string;
  capabilities: { inputCapabilities: Record<string, unknown>; outputCapabilities: Record<string, unknown> };
}

/** UUIDv7-shaped model ids, as the site's. */
export const FAKE_MODELS: FakeModel[] = [
  {
    id: '0199b2c4-1a2b-7c3d-8e4f-a1b2c3d4e5f6',
    publicName: 'fake-chat-pro',
    organization: 'fakeorg',
    provider: 'fakeprovider',
    capabilities: { inputCapabilities: { text: true, image: true }, outputCapabilities: { text: true } },
  },
  {
    id: '0199b2c4-1a2b-7c3d-8e4f-a1b2c3d4e5f7',
    publicName: 'fake-search "web"',
    organization: 'fakeorg',
    provider: 'fakeprovider',
    capabilities: { inputCapabilities: { text: true }, outputCapabilities: { text: true, search: true } },
  },
  {
    id: '0199b2c4-1a2b-7c3d-8e4f-a1b2c3d4e5f8',
    publicName: 'fake-image-gen',
    organization: 'pixels',
    provider: 'pixelprovider',
    capabilities: { inputCapabilities: { text: true }, outputCapabilities: { image: { aspectRatios: ['1:1'] } } },
  },
];

/** Lines of the site's answer stream. */
export const siteLine = {
  text: (delta: string) => `a0:${JSON.stringify(delta)}`,
  reasoning: (delta: string) => `ag:${JSON.stringify(delta)}`,
  image: (url: string) => `a2:${JSON.stringify([{ type: 'image', image: url }])}`,
  heartbeat: () => `a2:${JSON.stringify([{ type: 'heartbeat' }])}`,
  error: (message: string) => `a3:${JSON.stringify(message)}`,
  finish: (finishReason = 'stop') => `ad:${JSON.stringify({ finishReason })}`,
};

export const CLOUDFLARE_PAGE =
  '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body><h1>arena.ai</h1>' +
  '<p>Enable JavaScript and cookies to continue</p><script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>';

/** How the site answers one chat request; queued by the test with `answer()`. */
export type ScriptedAnswer =
  /** 200 and the lines, each flushed after `delayMs` (default 15). */
  | { kind: 'stream'; lines: string[]; delayMs?: number }
  /** 200, the lines, then nothing: the request stays open until the client aborts it. */
  | { kind: 'hang'; lines: string[] }
  /** Any status with a body (e.g. 429 with Retry-After, 400). */
  | { kind: 'status'; status: number; body: string; contentType?: string; headers?: Record<string, string> }
  /** 403 {"error":"recaptcha validation failed"}, whatever the token. */
  | { kind: 'captcha-reject' }
  /** 403 with Cloudflare's challenge page. */
  | { kind: 'cloudflare' };

export const DEFAULT_ANSWER: ScriptedAnswer = {
  kind: 'stream',
  lines: [siteLine.text('Hello'), siteLine.text(' from the fake arena.'), siteLine.finish('stop')],
};

export interface RecordedRequest {
  method: string;
  path: string;
  /** '2.0' from a browser (ALPN), '1.1' from clients without HTTP/2. */
  httpVersion: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body (null if it did not parse). */
  body: Record<string, unknown> | null;
  /** Why the site refused it before the scripted answer (null when it was valid). */
  problem: string | null;
  /** What it was answered with: a scripted kind, or the status of a refusal. */
  answeredWith: ScriptedAnswer['kind'] | number;
  /** Date.now() at each answer line written. */
  writtenAt: number[];
  /** True once the client went away before the answer ended. */
  aborted: boolean;
  /** Resolves when the exchange is over: the answer was sent, or the client aborted. */
  settled: Promise<'completed' | 'aborted'>;
}

export interface IssuedToken {
  token: string;
  siteKey: string;
  action: string;
  used: boolean;
}

export interface FakeArena {
  port: number;
  /** `https://arena.ai:<port>`: the page's origin in a browser that maps arena.ai to 127.0.0.1. */
  origin: string;
  models: FakeModel[];
  /** Queues answers for the next chat requests, in order; an empty queue answers DEFAULT_ANSWER. */
  answer(...answers: ScriptedAnswer[]): void;
  /** Every chat request (create/post-to evaluation), valid or not. */
  requests: RecordedRequest[];
  /** Resolves with chat request number `index` (0-based) once it has arrived. */
  request(index: number): Promise<RecordedRequest>;
  /** How many times GET / was served. */
  pageLoads(): number;
  /** Resolves once GET / has been served `count` times. */
  waitForPageLoads(count: number): Promise<void>;
  tokens: IssuedToken[];
  close(): Promise<void>;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CREATE_PATH = '/nextjs-api/stream/create-evaluation';
const POST_TO_PATH = /^\/nextjs-api\/stream\/post-to-evaluation\/([0-9a-f-]{36})$/;

/** A self-signed certificate for arena.ai and lmarena.ai (and www.), made with the openssl CLI. */
function makeCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'lmb-fake-arena-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=arena.ai',
        '-addext',
        'subjectAltName=DNS:arena.ai,DNS:www.arena.ai,DNS:lmarena.ai,DNS:www.lmarena.ai,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function modalityOf(model: FakeModel): string {
  const output = model.capabilities.outputCapabilities;
  if (output['image']) return 'image';
  if (output['search']) return 'search';
  return 'chat';
}

/** The page, as Next.js ships it: the model list inside a flight-data JS string literal. */
function pageHtml(models: FakeModel[]): string {
  const row = `7:["$","$L4",null,${JSON.stringify({ initialModels: models, initialModelAId: models[0]?.id })}]\n`;
  const literal = JSON.stringify(row).replace(/</g, '\\u003c');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>LMArena (fake)</title>
<script src="/recaptcha/enterprise.js?render=${FAKE_SITE_KEY}" async></script>
</head><body><main><h1>Fake arena</h1><p>Signed in.</p></main>
<script>(self.__next_f=self.__next_f||[]).push([0])</script>
<script>self.__next_f.push([1,${literal}])</script>
</body></html>`;
}

/** A fake grecaptcha.enterprise: tokens come from the server, which records them for the check. */
const ENTERPRISE_JS = `(() => {
  const waiting = [];
  let loaded = false;
  window.grecaptcha = window.grecaptcha || {};
  window.grecaptcha.enterprise = {
    ready(cb) { if (loaded) setTimeout(cb, 0); else waiting.push(cb); },
    async execute(siteKey, options) {
      if (!options || typeof options.action !== 'string') throw new Error('grecaptcha: options.action missing');
      const res = await fetch('/recaptcha/token?k=' + encodeURIComponent(siteKey) + '&action=' + encodeURIComponent(options.action), { method: 'POST' });
      return res.text();
    },
  };
  // Like the real script: ready callbacks run once the library has initialised.
  setTimeout(() => { loaded = true; waiting.splice(0).forEach((cb) => cb()); }, 30);
})();`;

/** Writes one answer line and notes when (for the bridge's per-chunk latency). */
function writeLine(record: RecordedRequest, res: Response, line: string): void {
  record.writtenAt.push(Date.now());
  // The two response classes share write(), but not one signature TypeScript can call.
  if (res instanceof Http2ServerResponse) res.write(`${line}\n`);
  else res.write(`${line}\n`);
}

function readBody(req: Request): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => resolve(raw));
    req.on('error', reject);
  });
}

function cookieOf(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}

export async function startFakeArena(options: { models?: FakeModel[] } = {}): Promise<FakeArena> {
  const models = options.models ?? FAKE_MODELS;
  const queue: ScriptedAnswer[] = [];
  const requests: RecordedRequest[] = [];
  const tokens: IssuedToken[] = [];
  const sessions = new Set<string>();
  const evaluations = new Set<string>();
  const usedIds = new Set<string>();
  const open = new Set<Response>();
  const connections = new Set<Http2Session | import('node:net').Socket>();
  let pageLoads = 0;
  const waiters = new Set<() => void>();
  const changed = () => waiters.forEach((w) => w());
  const until = (check: () => boolean) =>
    new Promise<void>((resolve) => {
      const waiter = () => {
        if (!check()) return;
        waiters.delete(waiter);
        resolve();
      };
      waiters.add(waiter);
      waiter();
    });

  /** Why the site would refuse this chat request, or null. */
  function problemWith(path: string, evaluation: string | null, body: Record<string, unknown> | null): { status: number; error: string } | null {
    if (!body) return { status: 400, error: 'Invalid JSON body' };
    const token = tokens.find((t) => t.token === body['recaptchaV3Token']);
    if (!token || token.used || token.siteKey !== FAKE_SITE_KEY || token.action !== 'chat_submit') return { status: 403, error: 'recaptcha validation failed' };
    token.used = true;
    const ids = ['id', 'userMessageId', 'modelAMessageId', 'modelBMessageId'].map((k) => body[k]);
    if (!ids.every((id) => typeof id === 'string' && UUID_V7.test(id))) return { status: 400, error: 'ids must be UUIDv7' };
    const messageIds = ids.slice(1) as string[];
    if (new Set(messageIds).size !== messageIds.length || messageIds.some((id) => usedIds.has(id))) return { status: 400, error: 'Message id already exists' };
    if (path === CREATE_PATH) {
      if (body['mode'] !== 'direct') return { status: 400, error: 'mode must be "direct"' };
      if (usedIds.has(body['id'] as string)) return { status: 400, error: 'Evaluation id already exists' };
    } else if (!evaluation || evaluation !== body['id'] || !evaluations.has(evaluation)) return { status: 400, error: 'Unknown evaluation' };
    const model = models.find((m) => m.id === body['modelAId']);
    if (!model) return { status: 400, error: 'Unknown model' };
    const message = body['userMessage'] as Record<string, unknown> | undefined;
    if (typeof message?.['content'] !== 'string' || message['content'] === '' || !Array.isArray(message['experimental_attachments'])) {
      return { status: 400, error: 'userMessage.content and experimental_attachments are required' };
    }
    if (body['modality'] !== modalityOf(model)) return { status: 400, error: `modality must be "${modalityOf(model)}" for this model` };
    for (const id of ids as string[]) usedIds.add(id);
    evaluations.add(body['id'] as string);
    return null;
  }

  async function chat(req: Request, res: Response, path: string, evaluation: string | null): Promise<void> {
    const raw = await readBody(req);
    let body: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = null;
    }
    let settle: (how: 'completed' | 'aborted') => void = () => undefined;
    const record: RecordedRequest = {
      method: req.method ?? '',
      path,
      httpVersion: req.httpVersion,
      headers: req.headers,
      body,
      problem: null,
      answeredWith: 0,
      writtenAt: [],
      aborted: false,
      settled: new Promise((resolve) => (settle = resolve)),
    };
    res.on('close', () => {
      open.delete(res);
      if (!res.writableEnded) record.aborted = true;
      settle(record.aborted ? 'aborted' : 'completed');
      changed();
    });
    open.add(res);

    const session = cookieOf(req, SESSION_COOKIE);
    const refusal =
      !session || !sessions.has(session)
        ? { status: 401, error: 'Unauthorized' }
        : !String(req.headers['content-type']).startsWith('text/plain')
          ? { status: 400, error: 'Content-Type must be text/plain' }
          : problemWith(path, evaluation, body);
    requests.push(record);
    changed();
    if (refusal) {
      record.problem = refusal.error;
      record.answeredWith = refusal.status;
      res.writeHead(refusal.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: refusal.error }));
      return;
    }
    const answer = queue.shift() ?? DEFAULT_ANSWER;
    record.answeredWith = answer.kind;
    switch (answer.kind) {
      case 'captcha-reject':
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"recaptcha validation failed"}');
        return;
      case 'cloudflare':
        res.writeHead(403, { 'content-type': 'text/html; charset=UTF-8', 'cf-mitigated': 'challenge' }).end(CLOUDFLARE_PAGE);
        return;
      case 'status':
        res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json', ...answer.headers }).end(answer.body);
        return;
      case 'hang':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        for (const line of answer.lines) writeLine(record, res, line);
        return;
      case 'stream': {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        for (const line of answer.lines) {
          await new Promise((resolve) => setTimeout(resolve, answer.delayMs ?? 15));
          if (record.aborted) return;
          writeLine(record, res, line);
        }
        res.end();
        return;
      }
    }
  }

  function handle(req: Request, res: Response): void {
    const url = new URL(req.url ?? '/', 'https://arena.ai');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/') {
      pageLoads++;
      changed();
      // Signing in is simulated: the page sets the session cookie the chat endpoints require.
      const session = cookieOf(req, SESSION_COOKIE) ?? randomBytes(12).toString('hex');
      sessions.add(session);
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'set-cookie': `${SESSION_COOKIE}=${session}; Path=/; Secure; HttpOnly; SameSite=Lax`,
        'cache-control': 'no-store',
      });
      res.end(pageHtml(models));
      return;
    }
    if (req.method === 'GET' && path === '/recaptcha/enterprise.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(ENTERPRISE_JS);
      return;
    }
    if (req.method === 'POST' && path === '/recaptcha/token') {
      const token = `fake-recaptcha-${randomUUID()}`;
      tokens.push({ token, siteKey: url.searchParams.get('k') ?? '', action: url.searchParams.get('action') ?? '', used: false });
      res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
      return;
    }
    if (req.method === 'GET' && path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const postTo = POST_TO_PATH.exec(path);
    if (req.method === 'POST' && (path === CREATE_PATH || postTo)) {
      void chat(req, res, path, postTo ? postTo[1] : null).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(err) }));
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
  }

  const server = createSecureServer({ ...makeCertificate(), allowHTTP1: true }, handle);
  server.on('session', (session) => {
    connections.add(session);
    session.on('close', () => connections.delete(session));
  });
  server.on('secureConnection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    origin: `https://arena.ai:${port}`,
    models,
    answer: (...answers) => void queue.push(...answers),
    requests,
    request: async (index) => {
      await until(() => requests.length > index);
      return requests[index];
    },
    pageLoads: () => pageLoads,
    waitForPageLoads: (count) => until(() => pageLoads >= count),
    tokens,
    close: () => {
      for (const res of open) res.destroy();
      for (const connection of connections) connection.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
