import { backoffDelay, REFUSED_RETRY_MS } from './backoff';
import type { Logger } from './log';
import { BrowserFrame, parseServerFrame, ServerFrame } from './protocol';

/** Close codes of the proxy's /ws (docs/lmarena.md): the key or the page's origin was refused. */
export const CLOSE_BAD_SECRET = 4401;
export const CLOSE_BAD_ORIGIN = 4403;

/** The proxy pings every 20 s; this long without any frame means the connection is dead. */
export const SILENCE_LIMIT_MS = 65_000;

/** The part of the WebSocket API we use, so tests can pass the `ws` package's client. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string) => SocketLike;

const OPEN = 1;

export interface ConnectionOptions {
  url: string;
  secret: string;
  version: string;
  origin: string;
  openSocket: SocketFactory;
  log: Logger;
  /** Every frame except ping, which the connection answers itself. */
  onFrame(frame: Exclude<ServerFrame, { kind: 'ping' }>): void;
  /** The socket closed (pending requests are lost on the proxy side). */
  onDisconnect?(): void;
  random?: () => number;
}

/**
 * One WebSocket to the proxy, kept open: hello on open, pong on ping, reconnect with
 * exponential backoff on close (slowly after a refusal, which a retry cannot fix soon).
 */
export class BridgeConnection {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private welcomed = false;
  private opened = false;

  constructor(private readonly options: ConnectionOptions) {}

  get connected(): boolean {
    return this.welcomed && this.socket?.readyState === OPEN;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Closes for good (no reconnect). */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close(1000, 'stopped');
  }

  send(frame: BrowserFrame): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }

  private open(): void {
    const { url, log } = this.options;
    let socket: SocketLike;
    try {
      socket = this.options.openSocket(url);
    } catch (err) {
      log.error(`cannot open ${url}: ${err instanceof Error ? err.message : String(err)}`);
      this.scheduleReconnect(backoffDelay(this.attempt++, this.random()));
      return;
    }
    this.socket = socket;
    this.welcomed = this.opened = false;
    socket.onopen = () => {
      this.opened = true;
      this.send({ type: 'hello', secret: this.options.secret, version: this.options.version, origin: this.options.origin });
      this.heard();
    };
    socket.onmessage = (event) => {
      this.heard();
      const frame = typeof event.data === 'string' ? parseServerFrame(event.data) : null;
      if (!frame) return;
      if (frame.kind === 'ping') {
        this.send({ type: 'pong' });
        return;
      }
      if (frame.kind === 'welcome') {
        this.welcomed = true;
        this.attempt = 0;
        log.info(`connected to ${url} (browser ${frame.browserId})`);
      }
      this.options.onFrame(frame);
    };
    // Browsers fire error then close; the close handler does the work.
    socket.onerror = () => undefined;
    socket.onclose = (event) => this.closed(socket, event.code, event.reason);
  }

  private closed(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = null;
    const wasOpened = this.opened;
    this.welcomed = false;
    this.opened = false;
    this.clearTimers();
    this.options.onDisconnect?.();
    if (this.stopped) return;
    const { log, url } = this.options;
    if (code === CLOSE_BAD_SECRET || code === CLOSE_BAD_ORIGIN) {
      const why =
        code === CLOSE_BAD_SECRET
          ? "the proxy refused the bridge key (revoked or wrong): download the userscript again from the dashboard's Bridge page"
          : `the proxy does not allow this page's origin ${this.options.origin}: add it to bridge.allowed_origins in config.jsonc`;
      log.error(`${why} (close ${code}${reason ? `: ${reason}` : ''}); retrying in ${REFUSED_RETRY_MS / 1000} s`);
      this.scheduleReconnect(REFUSED_RETRY_MS);
      return;
    }
    const delay = backoffDelay(this.attempt++, this.random());
    // A socket that never opened: the proxy is down, or the browser blocked it (Chrome's
    // "access other apps and services on this device" / local network access permission).
    const hint = wasOpened ? '' : ' Is the proxy running? If the browser asked to let this site access devices on your local network, allow it.';
    log.warn(
      `${wasOpened ? 'disconnected from' : 'cannot reach'} ${url} (close ${code}${reason ? `: ${reason}` : ''}); reconnecting in ${(delay / 1000).toFixed(1)} s.${hint}`,
    );
    this.scheduleReconnect(delay);
  }

  private scheduleReconnect(delay: number): void {
    if (this.stopped) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.open();
    }, delay);
  }

  /** Any frame proves the connection alive; a half-open TCP connection would otherwise wait forever. */
  private heard(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      const socket = this.socket;
      if (!socket) return;
      this.options.log.warn(`no frame from the proxy for ${SILENCE_LIMIT_MS / 1000} s`);
      socket.close(4000, 'silent');
      // A dead connection may take long to report its close: move on now.
      this.closed(socket, 4000, 'silent');
    }, SILENCE_LIMIT_MS);
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.reconnectTimer = this.silenceTimer = null;
  }

  private random(): number {
    return (this.options.random ?? Math.random)();
  }
}
