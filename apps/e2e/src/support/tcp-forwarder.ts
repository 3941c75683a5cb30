import { once } from 'node:events';
import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

/** What the forwarder does with traffic: pass it, hold it (a stalled network), or reset it (a dead server). */
export type ForwarderMode = 'pass' | 'blackhole' | 'reset';

interface Pair {
  client: Socket;
  upstream: Socket | null;
}

/**
 * A TCP forwarder the test owns, between the servers and PostgreSQL, so a test can take "the
 * database" away without touching the shared server:
 * - `blackhole()`: bytes stop flowing both ways on every connection and new ones are accepted
 *   but never connected upstream (a stalled network: only timeouts notice);
 * - `reset()`: every connection is reset and new ones are reset on arrival (a dead server);
 * - `resume()`: traffic flows again; held bytes and held connections go through.
 */
export class TcpForwarder {
  private readonly server: Server;
  private readonly pairs = new Set<Pair>();
  private mode: ForwarderMode = 'pass';
  /** Connections accepted since start, for the test's figures. */
  accepted = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<TcpForwarder> {
    const forwarder = new TcpForwarder(target);
    forwarder.server.listen(0, '127.0.0.1');
    await once(forwarder.server, 'listening');
    return forwarder;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get current(): ForwarderMode {
    return this.mode;
  }

  /** The URL of `url`'s database through this forwarder. */
  urlFor(url: string): string {
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String(this.port);
    return through.toString();
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const pair of this.pairs) {
      // Unpiped as well as paused: a pipe resumes its source on the destination's 'drain'.
      if (pair.upstream) {
        pair.client.unpipe(pair.upstream);
        pair.upstream.unpipe(pair.client);
        pair.upstream.pause();
      }
      pair.client.pause();
    }
  }

  reset(): void {
    this.mode = 'reset';
    for (const pair of [...this.pairs]) this.drop(pair);
  }

  resume(): void {
    this.mode = 'pass';
    for (const pair of this.pairs) {
      if (!pair.upstream) this.connectUpstream(pair);
      else {
        pair.client.pipe(pair.upstream);
        pair.upstream.pipe(pair.client);
      }
    }
  }

  async close(): Promise<void> {
    for (const pair of [...this.pairs]) this.drop(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    client.on('error', () => undefined);
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: null };
    this.pairs.add(pair);
    client.once('close', () => this.drop(pair));
    if (this.mode === 'blackhole') client.pause();
    else this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    const upstream = connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.once('close', () => this.drop(pair));
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    if (pair.upstream && !pair.upstream.destroyed) pair.upstream.destroy();
  }
}
