import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the body had arrived. */
  at: number;
}

/**
 * A webhook receiver on 127.0.0.1 for the tests: records every request, answers `status`, and
 * can go down and come back on the same port (to test retries).
 */
export class TestReceiver {
  readonly received: Received[] = [];
  status = 200;
  private server: Server | null = null;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  port = 0;

  static async start(): Promise<TestReceiver> {
    const r = new TestReceiver();
    await r.up();
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() });
        res.writeHead(this.status, { 'content-type': 'text/plain' }).end(`ok ${this.received.length}`);
        for (const w of this.waiters.filter((w) => this.received.length >= w.count)) w.resolve();
        this.waiters = this.waiters.filter((w) => this.received.length < w.count);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once `count` requests in all have arrived. */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}
