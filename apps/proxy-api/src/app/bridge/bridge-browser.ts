import type { RelayStream } from './relay-stream';

/** The part of a `ws` WebSocket the hub uses (specs may pass a fake). */
export interface BridgeSocket {
  readonly readyState: number;
  send(text: string): void;
  close(code: number, reason?: string): void;
  terminate(): void;
  pause(): void;
  resume(): void;
}

const OPEN = 1;

export interface BrowserIdentity {
  /** The bridge key it authenticated with; null for the configured shared secret. */
  keyId: number | null;
  /** The page origin (the checked `Origin` header). */
  origin: string;
  /** The userscript's version from its hello. */
  version: string;
}

/** One request relayed by one browser, until it ends one way or another. */
export interface RelayedRequest {
  readonly id: string;
  readonly stream: RelayStream;
  /** Silence timer: refreshed on every frame of this request. */
  timer: NodeJS.Timeout | null;
  /** When the browser last sent a frame for it (or when it was sent). */
  lastFrame: number;
  /** Removes the listener on the client's abort signal. */
  detach: () => void;
}

/** An authenticated browser tab and the requests it is relaying. */
export class BridgeBrowser {
  readonly requests = new Map<string, RelayedRequest>();
  lastSeen: number;
  /** Order of the last request given to it: among equally busy browsers the longest idle wins. */
  lastAssigned = 0;
  lastError: string | null = null;
  /** Set once the hub let go of it (closed, dropped): no request is given to it again. */
  gone = false;
  /** Requests whose reader is behind; while any, the socket is paused. */
  private readonly pressured = new Set<string>();

  constructor(
    readonly id: string,
    private readonly socket: BridgeSocket,
    readonly identity: BrowserIdentity,
    readonly connectedAt: number,
  ) {
    this.lastSeen = connectedAt;
  }

  get inFlight(): number {
    return this.requests.size;
  }

  get keyId(): number | null {
    return this.identity.keyId;
  }

  /** Sends one JSON frame; false when the socket is no longer open. */
  send(frame: object): boolean {
    if (this.socket.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === OPEN) this.socket.close(code, reason);
    else this.socket.terminate();
  }

  terminate(): void {
    this.socket.terminate();
  }

  /** Back-pressure of one request: the socket is paused while any reader is behind. */
  pressure(requestId: string, full: boolean): void {
    const before = this.pressured.size;
    if (full) this.pressured.add(requestId);
    else this.pressured.delete(requestId);
    if (before === 0 && this.pressured.size > 0) this.socket.pause();
    else if (before > 0 && this.pressured.size === 0) this.socket.resume();
  }
}
