import type { ClientGone } from '../chat-provider';

/**
 * The seam between the LMArena provider (which owns every site fact: payload builder, stream
 * parser, error mapping) and the WebSocket hub (which owns the browsers: authentication,
 * choosing one, relaying frames, cancel, ping, timeouts). Neither knows the other's inside.
 */

/** A site request the server built; the userscript adds the reCAPTCHA token and performs it. */
export interface SitePayload {
  method: 'POST' | 'PUT';
  /** Same-origin path, e.g. `/nextjs-api/stream/create-evaluation`. */
  path: string;
  body: Record<string, unknown>;
}

/** A model as the site describes it (the userscript reports these). */
export interface SiteModel {
  id: string;
  publicName?: string;
  organization?: string;
  provider?: string;
  capabilities?: {
    inputCapabilities?: Record<string, unknown>;
    outputCapabilities?: Record<string, unknown>;
  };
}

/**
 * The browser reported a failure for this request (`data: {"error", "status"}`): the site's
 * HTTP status (0 when the fetch itself failed) and its message or body text.
 */
export class BridgeRelayError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'BridgeRelayError';
  }
}

/** One request relayed through one browser. */
export interface BridgeExchange {
  /** Id of the browser serving it (for logs and the dashboard). */
  readonly browserId: string;
  /**
   * The site's raw answer text as the browser relays it, in any chunking, ending at the
   * browser's `[DONE]`. Throws `BridgeRelayError` when the browser reports a failure, and a
   * `ProxyError` (503 `upstream_unavailable`) when the browser disconnects or (504
   * `upstream_timeout`) when it stays silent longer than `bridge.timeout_seconds`.
   */
  readonly data: AsyncIterable<string>;
  /** Asks this browser's tab to reload (after a Cloudflare page). */
  refresh(): void;
  /** Records the last error seen on this browser (shown in the dashboard). */
  noteError(message: string): void;
}

export interface BridgeTransport {
  /**
   * Sends the payload to the least-busy connected browser. Rejects with a `ProxyError` 503
   * `upstream_unavailable` when no browser is connected or every browser is at its in-flight
   * limit. When `signal` aborts, the browser is sent `cancel` and `data` ends.
   */
  open(payload: SitePayload, signal: ClientGone): Promise<BridgeExchange>;
  /** The latest model description the browsers reported for a site model id, if any. */
  siteModel(id: string): SiteModel | undefined;
}
