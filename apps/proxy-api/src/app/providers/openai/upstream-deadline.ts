import { EventEmitter } from 'node:events';

/** An abort signal as undici reads it: `aborted` and an 'abort' event (see ClientGone). */
interface AbortSource extends EventEmitter {
  aborted: boolean;
}

/**
 * The `timeout_ms` wait for an upstream answer's headers, to the millisecond. undici's own
 * headersTimeout runs on its coarse timer wheel (a tick every ~0.5 s: a 300 ms timeout fired
 * after ~1 s), so one Node timer per request does it, cleared when the headers arrive.
 *
 * It is the request's abort signal for undici: aborted when the client goes away (the
 * request's ClientGone) or when the headers do not arrive in time (`timedOut`).
 *
 * Pauses in the body are left to undici's bodyTimeout (same `timeout_ms`, coarse): aborting a
 * request in the middle of its body makes undici open a spare connection to the upstream
 * (it re-queues the aborted request before dropping it), while its own body timeout closes
 * the socket cleanly; the reliability suite counts those sockets.
 *
 * When the timer fires, the verdict waits for the I/O that is already due (one setImmediate:
 * Node runs timers before polling for I/O in each loop turn). Without that, an event loop held
 * up by other work for longer than the timeout would time out an upstream whose headers were
 * sitting unread in the socket.
 */
export class UpstreamDeadline extends EventEmitter {
  aborted = false;
  timedOut = false;
  private timer: NodeJS.Timeout | null;
  private verdict: NodeJS.Immediate | null = null;

  constructor(ms: number, client: AbortSource) {
    super();
    this.timer = setTimeout(() => this.fire(), ms);
    if (client.aborted) this.abort();
    else client.once('abort', () => this.abort());
  }

  /** The headers arrived (or the request failed): no timeout any more. */
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
    this.abort();
  }
}
