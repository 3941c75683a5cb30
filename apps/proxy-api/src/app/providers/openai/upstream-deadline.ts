import { EventEmitter } from 'node:events';

/** What the deadline cuts off once the answer's headers have arrived. */
export interface Destroyable {
  destroy(err?: Error): void;
}

/** An abort signal as undici reads it: `aborted` and an 'abort' event (see ClientGone). */
interface AbortSource extends EventEmitter {
  aborted: boolean;
}

/**
 * The `timeout_ms` of one upstream request, to the millisecond: first the wait for the
 * answer's headers, then every pause between body chunks. undici's own headersTimeout and
 * bodyTimeout run on its coarse timer wheel (a tick every ~0.5 s: a 300 ms timeout fired
 * after ~1 s), so one Node timer per request does it, re-armed (refresh) at the headers and
 * at each chunk.
 *
 * It is also the request's abort signal for undici: aborted when the client goes away (the
 * request's ClientGone) or when the headers do not arrive in time (`timedOut`). A pause in
 * the body destroys the body with `timeoutError()` instead, so reading it fails with that.
 *
 * When the timer fires, the verdict waits for the I/O that is already due (one setImmediate:
 * Node runs timers before polling for I/O in each loop turn). Without that, an event loop
 * held up by other work for longer than the timeout would time out an upstream whose answer
 * was sitting unread in the socket.
 */
export class UpstreamDeadline extends EventEmitter {
  aborted = false;
  timedOut = false;
  private timer: NodeJS.Timeout | null;
  private verdict: NodeJS.Immediate | null = null;
  private body: Destroyable | null = null;

  constructor(
    ms: number,
    client: AbortSource,
    private readonly timeoutError: () => Error,
  ) {
    super();
    this.timer = setTimeout(() => this.fire(), ms);
    if (client.aborted) this.abort();
    else client.once('abort', () => this.abort());
  }

  /** The headers arrived: from now on the timer measures pauses between chunks of `body`. */
  watchBody(body: Destroyable): void {
    this.body = body;
    this.touch();
  }

  /** A body chunk arrived. */
  touch(): void {
    if (this.verdict) {
      clearImmediate(this.verdict);
      this.verdict = null;
    }
    this.timer?.refresh();
  }

  /** The answer is complete (or abandoned): no timeout any more. */
  done(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.verdict) clearImmediate(this.verdict);
    this.timer = null;
    this.verdict = null;
  }

  private abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }

  private fire(): void {
    this.verdict = setImmediate(() => this.expire());
  }

  private expire(): void {
    this.verdict = null;
    this.timer = null;
    this.timedOut = true;
    if (this.body) this.body.destroy(this.timeoutError());
    else this.abort();
  }
}

/** `chunks` with `deadline.touch()` at each chunk (an iterator, not a generator: one `then` a chunk). */
export function touching<T>(chunks: AsyncIterable<T>, deadline: UpstreamDeadline): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => {
      const source = chunks[Symbol.asyncIterator]();
      return {
        next: () => source.next().then((next) => {
          if (!next.done) deadline.touch();
          return next;
        }),
        return: (value?: unknown) => (source.return ? source.return(value) : Promise.resolve({ done: true as const, value: undefined as T })),
      };
    },
  };
}
