import { ClientGone } from '../app/providers/chat-provider';
import type { BridgeExchange, BridgeTransport, SiteModel, SitePayload } from '../app/providers/lmarena/bridge-transport';

type Item = { chunk: string } | { error: unknown } | { end: true };

/**
 * An in-memory bridge for tests: the test plays the browser (`send`, `finish`, `fail`); the
 * relay ends when the client aborts, as the real transport's does after sending `cancel`.
 */
export class FakeRelay implements AsyncIterable<string> {
  private readonly items: Item[] = [];
  private wake: (() => void) | null = null;
  /** How the provider left the relay: read to the end, got its error, or stopped early. */
  outcome: 'reading' | 'ended' | 'failed' | 'stopped' = 'reading';

  send(...chunks: string[]): this {
    for (const chunk of chunks) this.put({ chunk });
    return this;
  }

  finish(): this {
    this.put({ end: true });
    return this;
  }

  fail(error: unknown): this {
    this.put({ error });
    return this;
  }

  private put(item: Item): void {
    this.items.push(item);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    try {
      for (;;) {
        while (this.items.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
        const item = this.items.shift() as Item;
        if ('error' in item) {
          this.outcome = 'failed';
          throw item.error;
        }
        if ('end' in item) {
          this.outcome = 'ended';
          return;
        }
        yield item.chunk;
      }
    } finally {
      if (this.outcome === 'reading') this.outcome = 'stopped';
    }
  }
}

export class FakeExchange implements BridgeExchange {
  readonly browserId = 'browser-1';
  readonly errors: string[] = [];
  refreshes = 0;

  constructor(readonly data: FakeRelay) {}

  refresh(): void {
    this.refreshes++;
  }

  noteError(message: string): void {
    this.errors.push(message);
  }
}

export class FakeTransport implements BridgeTransport {
  readonly payloads: SitePayload[] = [];
  readonly relay = new FakeRelay();
  readonly exchange = new FakeExchange(this.relay);
  readonly models = new Map<string, SiteModel>();
  refuseWith: unknown = null;

  async open(payload: SitePayload, signal: ClientGone): Promise<BridgeExchange> {
    this.payloads.push(payload);
    if (this.refuseWith) throw this.refuseWith;
    signal.once('abort', () => this.relay.finish());
    return this.exchange;
  }

  siteModel(id: string): SiteModel | undefined {
    return this.models.get(id);
  }
}
