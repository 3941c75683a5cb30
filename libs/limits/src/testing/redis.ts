import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** TEST_REDIS_URL, or null with a line saying the Redis suites did not run (as the dashboard's sign-in suite does). */
export function testRedisUrl(suite: string): string | null {
  const url = process.env['TEST_REDIS_URL'];
  if (!url) process.stdout.write(`\n*** ${suite} skipped: set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) ***\n\n`);
  return url || null;
}

/**
 * describe when Redis is configured; otherwise one todo per suite, so the run's summary shows
 * what did not run (besides the line testRedisUrl printed), and a file of Redis suites only is
 * not an error for having no test.
 */
export function describeWithRedis(url: string | null): (name: string, fn: () => void) => void {
  return url ? describe : (name) => describe(name, () => it.todo('runs with TEST_REDIS_URL set'));
}

/** A key prefix of its own for one run of one suite. */
export function uniquePrefix(suite: string): string {
  return `lmb-test:${suite}:${Date.now()}:${randomBytes(4).toString('hex')}:`;
}

/** Removes every key under the prefix (SCAN, never KEYS or FLUSH on a shared server). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) removed += await redis.del(...keys);
  } while (cursor !== '0');
  return removed;
}

export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

/**
 * A TCP forwarder to the test Redis that the test owns: stop() cuts every connection (Redis
 * "goes away" without touching the shared server), start() listens again on the same port,
 * hang() keeps connections open but stops passing bytes (Redis "stops answering"), deafen()
 * passes the commands on but drops Redis's answers (Redis runs them; the client never hears).
 */
export class RedisForwarder {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private hung = false;
  private deaf = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  static forUrl(url: string): RedisForwarder {
    const u = new URL(url);
    return new RedisForwarder({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.hung = false;
    this.deaf = false;
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (chunk) => void (this.hung || upstream.write(chunk)));
      upstream.on('data', (chunk) => void (this.hung || this.deaf || client.write(chunk)));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  hang(): void {
    this.hung = true;
  }

  deafen(): void {
    this.deaf = true;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
