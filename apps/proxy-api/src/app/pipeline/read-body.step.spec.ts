import type { AppConfig } from '@lmarena-bridge/config';
import { once } from 'node:events';
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { BodyLease, ReadBodyStep } from './read-body.step';

const MIB = 1024 * 1024;
const LIMIT = 1 * MIB;
const BUDGET = 2 * MIB;

/** A server whose requests are read by the step; each outcome is answered and kept for the test. */
async function serve(step: ReadBodyStep, onRead: (lease: BodyLease | null, err: unknown, req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer((req, res) => {
    step.read(req, res).then(
      (lease) => onRead(lease, null, req, res),
      (err: unknown) => onRead(null, err, req, res),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** Sends a body with its Content-Length; `answered` resolves with the status. */
function post(server: Server, body: Buffer, headers: Record<string, string | number> = {}) {
  const req = request({
    port: (server.address() as AddressInfo).port,
    host: '127.0.0.1',
    method: 'POST',
    path: '/',
    headers: { 'content-length': body.length, ...headers },
  });
  req.on('error', () => undefined);
  const answered = new Promise<number>((resolve) =>
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }),
  );
  req.end(body);
  return { req, answered };
}

describe('ReadBodyStep', () => {
  const config = { proxy: { max_body_bytes: LIMIT, max_inflight_body_bytes: BUDGET } } as AppConfig;
  let step: ReadBodyStep;
  let server: Server;
  let outcomes: Array<{ lease: BodyLease | null; err: unknown }>;
  let held: Array<{ lease: BodyLease; res: ServerResponse }>;
  let readWaiters: Array<() => void>;
  let holdLeases: boolean;

  beforeEach(async () => {
    step = new ReadBodyStep(config);
    outcomes = [];
    held = [];
    readWaiters = [];
    holdLeases = false;
    server = await serve(step, (lease, err, _req, res) => {
      outcomes.push({ lease, err });
      readWaiters.splice(0).forEach((w) => w());
      if (lease && holdLeases) return void held.push({ lease, res });
      lease?.release();
      res.statusCode = err ? ((err as { status?: number }).status ?? 500) : 200;
      res.end();
    });
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const nextOutcome = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => (outcomes.length >= count ? resolve() : readWaiters.push(check));
      check();
    });

  it('reads a JSON body, whatever its content type, and gives its share back on release', async () => {
    const { answered } = post(server, Buffer.from('{"model":"echo"}'), { 'content-type': 'text/plain' });
    expect(await answered).toBe(200);
    expect(outcomes[0].lease?.body).toEqual({ model: 'echo' });
    expect(step.budget.inUse).toBe(0);
  });

  it('reads compressed bodies through body-parser', async () => {
    const { answered } = post(server, gzipSync('{"model":"zipped"}'), { 'content-encoding': 'gzip' });
    expect(await answered).toBe(200);
    expect(outcomes[0].lease?.body).toEqual({ model: 'zipped' });
  });

  it('refuses a body over max_body_mb with 413 and takes no share for it', async () => {
    const { answered } = post(server, Buffer.alloc(LIMIT + 1, 0x20));
    expect(await answered).toBe(413);
    expect(outcomes[0].err).toMatchObject({ type: 'entity.too.large' });
    expect(step.budget.inUse).toBe(0);
  });

  it("holds a body's Content-Length while its exchange lasts, and answers 503 past max_inflight_body_mb", async () => {
    holdLeases = true;
    const size = Math.floor(LIMIT * 0.9);
    const first = post(server, Buffer.alloc(size, 0x20).fill('[]', 0, 2));
    const second = post(server, Buffer.alloc(size, 0x20).fill('[]', 0, 2));
    await nextOutcome(2);
    expect(step.budget.inUse).toBe(2 * size);

    const third = post(server, Buffer.from('{"model":"x"}'.padEnd(size, ' ')));
    expect(await third.answered).toBe(503);
    expect(outcomes[2].err).toMatchObject({ status: 503, code: 'service_unavailable', message: expect.stringContaining('max_inflight_body_mb') });
    expect(step.budget.inUse).toBe(2 * size);

    for (const { lease, res } of held.splice(0)) {
      lease.release();
      lease.release(); // twice is harmless
      res.end();
    }
    expect([await first.answered, await second.answered]).toEqual([200, 200]);
    expect(step.budget.inUse).toBe(0);
  });

  it('counts a chunked body as the per-request limit (what it may grow to)', async () => {
    holdLeases = true;
    const req = request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST', path: '/' });
    const answered = new Promise<number>((resolve) => req.on('response', (res) => resolve(res.resume().statusCode ?? 0)));
    req.write('{"model":');
    req.end('"chunked"}');
    await nextOutcome(1);
    expect(outcomes[0].lease?.body).toEqual({ model: 'chunked' });
    expect(step.budget.inUse).toBe(LIMIT);
    held[0].lease.release();
    held[0].res.end();
    expect(await answered).toBe(200);
    expect(step.budget.inUse).toBe(0);
  });

  it('gives the share back when the body cannot be read', async () => {
    const { answered } = post(server, Buffer.from('{"model": '));
    expect(await answered).toBe(400);
    expect(outcomes[0].err).toMatchObject({ type: 'entity.parse.failed' });
    expect(step.budget.inUse).toBe(0);
  });
});
