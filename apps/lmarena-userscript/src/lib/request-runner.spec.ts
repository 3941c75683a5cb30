import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import type { BrowserFrame } from './protocol';
import { RequestRunner } from './request-runner';

/** A local site: each test sets how it answers; it records what it got and whether the client went away. */
interface Seen {
  method: string;
  path: string;
  contentType: string;
  body: Record<string, unknown>;
  aborted: Promise<void>;
}

describe('RequestRunner against a real HTTP server', () => {
  let server: Server;
  let base: string;
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const aborted = new Promise<void>((resolve) => res.on('close', () => !res.writableFinished && resolve()));
        seen.push({ method: req.method ?? '', path: req.url ?? '', contentType: String(req.headers['content-type']), body: JSON.parse(raw), aborted });
        handler(req, res);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => (seen.length = 0));

  function aRunner(mintToken = async () => 'tok-1') {
    const frames: BrowserFrame[] = [];
    let onFrame = () => undefined as void;
    const runner = new RequestRunner({
      // The page resolves the path against its origin; here the test server is the origin.
      fetch: (input, init) => fetch(`${base}${String(input)}`, init),
      mintToken,
      send: (frame) => {
        frames.push(frame);
        onFrame();
      },
    });
    const frameCount = (n: number) =>
      new Promise<void>((resolve) => {
        onFrame = () => frames.length >= n && resolve();
        onFrame();
      });
    return { runner, frames, frameCount };
  }

  const PAYLOAD = { method: 'POST', path: '/nextjs-api/stream/create-evaluation', body: { id: 'e1', modelAId: 'm' } };

  it('adds the token, posts text/plain JSON and relays each piece as it arrives, then [DONE]', async () => {
    let release: () => void = () => undefined;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // "é" is split across two writes: the decoder must carry the half character over.
      const e = Buffer.from('é');
      res.write(Buffer.concat([Buffer.from('a0:"caf'), e.subarray(0, 1)]));
      release = () => {
        res.write(Buffer.concat([e.subarray(1), Buffer.from('"\n')]));
        res.end('ad:{"finishReason":"stop"}\n');
      };
    };
    const { runner, frames, frameCount } = aRunner();
    const done = runner.run('r1', PAYLOAD);
    await frameCount(1);
    // The first piece is relayed before the answer is complete.
    expect(frames).toEqual([{ request_id: 'r1', data: 'a0:"caf' }]);
    release();
    await done;
    expect(
      frames
        .map((f) => ('data' in f ? f.data : null))
        .join('|')
        .replace(/\|/g, ''),
    ).toBe('a0:"caf' + 'é"\nad:{"finishReason":"stop"}\n[DONE]');
    expect(frames[frames.length - 1]).toEqual({ request_id: 'r1', data: '[DONE]' });
    expect(seen[0]).toMatchObject({
      method: 'POST',
      path: PAYLOAD.path,
      contentType: 'text/plain;charset=UTF-8',
      body: { id: 'e1', modelAId: 'm', recaptchaV3Token: 'tok-1' },
    });
    expect(runner.inFlight).toBe(0);
  });

  it('sends a non-2xx answer as an error with its status and body text', async () => {
    handler = (_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"error":"recaptcha validation failed"}');
    };
    const { runner, frames } = aRunner();
    await runner.run('r2', PAYLOAD);
    expect(frames).toEqual([{ request_id: 'r2', data: { error: '{"error":"recaptcha validation failed"}', status: 403 } }]);
  });

  it("uses the status text when an error answer has no body, and keeps a 429's Retry-After", async () => {
    handler = (_req, res) => {
      res.writeHead(429, 'Too Many Requests', { 'retry-after': '7' });
      res.end();
    };
    const { runner, frames } = aRunner();
    await runner.run('r3', PAYLOAD);
    expect(frames).toEqual([{ request_id: 'r3', data: { error: 'Too Many Requests (Retry-After: 7)', status: 429 } }]);
  });

  it('reports status 0 when the fetch itself fails or no token can be minted', async () => {
    const failing = new RequestRunner({
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      mintToken: async () => 't',
      send: (f) => frames.push(f),
    });
    const frames: BrowserFrame[] = [];
    await failing.run('r4', PAYLOAD);
    expect(frames).toEqual([{ request_id: 'r4', data: { error: 'Failed to fetch', status: 0 } }]);

    const { runner, frames: noToken } = aRunner(async () => {
      throw new Error('grecaptcha is not loaded');
    });
    await runner.run('r5', PAYLOAD);
    expect(noToken).toEqual([{ request_id: 'r5', data: { error: 'reCAPTCHA token: grecaptcha is not loaded', status: 0 } }]);
    expect(seen).toHaveLength(0);
  });

  it('cancel aborts the fetch (the site sees the connection go) and nothing more is sent', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('a0:"partial"\n'); // and then hangs
    };
    const { runner, frames, frameCount } = aRunner();
    const done = runner.run('r6', PAYLOAD);
    await frameCount(1);
    runner.cancel('r6');
    await seen[0].aborted;
    await done;
    expect(frames).toEqual([{ request_id: 'r6', data: 'a0:"partial"\n' }]);
    expect(runner.inFlight).toBe(0);
  });

  it('cancelAll aborts every request in flight', async () => {
    handler = (_req, res) => res.writeHead(200).write('a0:"x"\n');
    const { runner, frames, frameCount } = aRunner();
    const runs = [runner.run('a', PAYLOAD), runner.run('b', PAYLOAD)];
    await frameCount(2);
    expect(runner.inFlight).toBe(2);
    runner.cancelAll();
    await Promise.all([...runs, ...seen.map((s) => s.aborted)]);
    expect(frames).toHaveLength(2);
    expect(runner.inFlight).toBe(0);
  });
});
