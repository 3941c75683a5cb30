import { BrowserFrame, DONE, SitePayload } from './protocol';

export interface RunnerDeps {
  /** The page's fetch: same origin, so the user's cookies go with it. */
  fetch: typeof fetch;
  /** A fresh reCAPTCHA v3 token for this request. */
  mintToken(): Promise<string>;
  /** Sends a frame to the proxy (dropped when the socket is not open). */
  send(frame: BrowserFrame): void;
}

/**
 * Performs the proxy's site requests in the page and relays the answers as they arrive.
 * A cancelled request is aborted and sends nothing more.
 */
export class RequestRunner {
  private readonly active = new Map<string, AbortController>();

  constructor(private readonly deps: RunnerDeps) {}

  get inFlight(): number {
    return this.active.size;
  }

  async run(requestId: string, payload: SitePayload): Promise<void> {
    if (this.active.has(requestId)) return; // a duplicate frame: the first one is already running
    const controller = new AbortController();
    this.active.set(requestId, controller);
    const live = () => this.active.get(requestId) === controller;
    const send = (data: BrowserFrame) => {
      if (live()) this.deps.send(data);
    };
    try {
      let token: string;
      try {
        token = await this.deps.mintToken();
      } catch (err) {
        send({ request_id: requestId, data: { error: `reCAPTCHA token: ${messageOf(err)}`, status: 0 } });
        return;
      }
      if (!live()) return;
      const res = await this.deps.fetch(payload.path, {
        method: payload.method,
        credentials: 'include',
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify({ ...payload.body, recaptchaV3Token: token }),
        signal: controller.signal,
      });
      if (!res.ok) {
        const text = (await res.text().catch(() => '')) || res.statusText || `HTTP ${res.status}`;
        // The protocol carries no headers: keep the site's wait time in the message, where the proxy reads it.
        const retryAfter = res.status === 429 ? res.headers.get('retry-after') : null;
        send({ request_id: requestId, data: { error: retryAfter ? `${text} (Retry-After: ${retryAfter})` : text, status: res.status } });
        return;
      }
      await this.relay(res, requestId, send);
    } catch (err) {
      send({ request_id: requestId, data: { error: messageOf(err), status: 0 } });
    } finally {
      if (live()) this.active.delete(requestId);
    }
  }

  /** Streams the body to the proxy piece by piece, decoded as UTF-8 across chunk boundaries. */
  private async relay(res: Response, requestId: string, send: (frame: BrowserFrame) => void): Promise<void> {
    if (res.body) {
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        if (text) send({ request_id: requestId, data: text });
      }
      const rest = decoder.decode();
      if (rest) send({ request_id: requestId, data: rest });
    } else {
      const text = await res.text();
      if (text) send({ request_id: requestId, data: text });
    }
    send({ request_id: requestId, data: DONE });
  }

  /** The proxy's client went away: abort the fetch; nothing more is sent for it. */
  cancel(requestId: string): void {
    const controller = this.active.get(requestId);
    if (!controller) return;
    this.active.delete(requestId);
    controller.abort();
  }

  /** The socket closed: the proxy has already failed these requests, so stop spending the site's quota. */
  cancelAll(): void {
    for (const id of Array.from(this.active.keys())) this.cancel(id);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
