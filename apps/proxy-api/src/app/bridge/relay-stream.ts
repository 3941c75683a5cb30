/** Back-pressure marks of one relayed answer, in UTF-16 code units of unread text. */
export interface RelayLimits {
  /** Above this the browser's socket is paused until the reader catches up. */
  highWater: number;
  /** The socket resumes once the unread text is below this. */
  lowWater: number;
  /** Text that still arrives beyond this (frames already on the wire) fails the request. */
  hardLimit: number;
}

export const DEFAULT_RELAY_LIMITS: Readonly<RelayLimits> = {
  highWater: 1 << 20,
  lowWater: 256 << 10,
  hardLimit: 16 << 20,
};

export interface RelayHooks {
  /** The unread text crossed the high-water mark (true) or fell below the low one (false). */
  onPressure(full: boolean): void;
  /** The reader stopped iterating before the end. */
  onAbandon(): void;
}

type Waiter = {
  resolve: (r: IteratorResult<string>) => void;
  reject: (e: unknown) => void;
};

/**
 * The `data` of one bridge exchange: text pushed by the socket handler, read by one consumer.
 * A slow reader cannot make memory grow without bound: past the high-water mark the hub
 * pauses that browser's socket (TCP back-pressure to the browser), and the hard limit fails
 * the request rather than buffer more.
 */
export class RelayStream implements AsyncIterable<string> {
  private readonly chunks: string[] = [];
  private unread = 0;
  private full = false;
  private closed = false;
  private failure: unknown = null;
  private waiter: Waiter | null = null;
  private iterated = false;

  constructor(
    private readonly hooks: RelayHooks,
    private readonly limits: RelayLimits = DEFAULT_RELAY_LIMITS,
  ) {}

  /** Text the reader has not taken yet (a reader that is behind is not a silent browser). */
  get pending(): number {
    return this.unread;
  }

  get ended(): boolean {
    return this.closed;
  }

  /** Adds text; false when it would pass the hard limit (the caller fails the request). */
  push(text: string): boolean {
    if (this.closed) return true;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter.resolve({ value: text, done: false });
      return true;
    }
    if (this.unread + text.length > this.limits.hardLimit) return false;
    this.chunks.push(text);
    this.unread += text.length;
    if (!this.full && this.unread > this.limits.highWater) {
      this.full = true;
      this.hooks.onPressure(true);
    }
    return true;
  }

  /** Ends the stream after the text already pushed. */
  end(): void {
    this.settle(null);
  }

  /** Ends the stream with an error, after the text already pushed. */
  fail(err: unknown): void {
    this.settle(err);
  }

  private settle(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = err;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      if (err) waiter.reject(err);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  private take(): string {
    const text = this.chunks.shift() as string;
    this.unread -= text.length;
    if (this.full && this.unread < this.limits.lowWater) {
      this.full = false;
      this.hooks.onPressure(false);
    }
    return text;
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.iterated) throw new Error('a relayed answer can be read once');
    this.iterated = true;
    return {
      next: () => {
        if (this.chunks.length) return Promise.resolve({ value: this.take(), done: false });
        if (this.closed) {
          if (this.failure) {
            const err = this.failure;
            this.failure = null; // thrown once; later calls see the end
            return Promise.reject(err);
          }
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise<IteratorResult<string>>((resolve, reject) => (this.waiter = { resolve, reject }));
      },
      return: () => {
        if (!this.closed) {
          this.closed = true;
          this.chunks.length = 0;
          this.unread = 0;
          if (this.full) {
            this.full = false;
            this.hooks.onPressure(false);
          }
          this.hooks.onAbandon();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
