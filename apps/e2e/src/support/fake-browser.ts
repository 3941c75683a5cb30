import WebSocket from 'ws';

/**
 * A `ws` client that plays the userscript in an arena.ai tab: it says hello, then answers each
 * request the proxy sends with the lines a scripted fake site would stream. The LMArena site
 * itself is the only thing faked; the proxy's /ws, hub and provider are the real ones.
 */

/** One step of a scripted site answer. */
export type Step =
  | { data: string }
  | { fail: { error: string; status: number } }
  /** Pause before the next step (between chunks). */
  | { wait: number }
  /** Send nothing more for this request (a stalled site). */
  | 'hang'
  /** Drop the socket (the tab closed). */
  | 'disconnect';

export interface RequestFrame {
  request_id: string;
  payload: { method: string; path: string; body: Record<string, unknown> };
}

export type Script = (request: RequestFrame) => Step[];

export interface FakeBrowserOptions {
  /** ws://127.0.0.1:<port>/ws */
  url: string;
  secret: string;
  origin?: string;
  version?: string;
  script?: Script;
}

/** Lines of a site answer with text deltas and a finish reason (the `a0`/`ad` lines). */
export function textAnswer(parts: string[], finishReason = 'stop'): Step[] {
  return [...parts.map((p) => ({ data: `a0:${JSON.stringify(p)}\n` })), { data: `ad:${JSON.stringify({ finishReason })}\n` }, { data: '[DONE]' }];
}

export class FakeBrowser {
  /** Every frame received, in order. */
  readonly frames: Array<Record<string, unknown>> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  browserId = '';
  private readonly ws: WebSocket;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly options: FakeBrowserOptions) {
    this.ws = new WebSocket(options.url, { headers: { origin: options.origin ?? 'https://arena.ai' } });
    this.ws.on('error', () => undefined); // a refused socket is an expected outcome here
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('open', () =>
      this.ws.send(
        JSON.stringify({ type: 'hello', secret: options.secret, version: options.version ?? '0.0.1-e2e', origin: options.origin ?? 'https://arena.ai' }),
      ),
    );
    this.ws.on('message', (raw) => this.receive(JSON.parse(raw.toString()) as Record<string, unknown>));
  }

  /** Connects and resolves once welcomed; rejects with the close code when refused. */
  static async connect(options: FakeBrowserOptions): Promise<FakeBrowser> {
    const browser = new FakeBrowser(options);
    const welcomed = browser.waitFor(() => browser.browserId !== '', 'the welcome', 5_000).then(() => null);
    const refused = browser.closed.then((c) => c);
    const outcome = await Promise.race([welcomed, refused]);
    if (outcome) throw new Error(`refused with close code ${outcome.code} (${outcome.reason})`);
    return browser;
  }

  /** Connects expecting a refusal: resolves with the close code and what was received. */
  static async refused(options: FakeBrowserOptions): Promise<{ code: number; frames: Array<Record<string, unknown>> }> {
    const browser = new FakeBrowser(options);
    const { code } = await browser.closed;
    return { code, frames: browser.frames };
  }

  /** The payload frames (requests) received. */
  requests(): RequestFrame[] {
    return this.frames.filter((f) => 'payload' in f) as unknown as RequestFrame[];
  }

  cancels(): string[] {
    return this.frames.filter((f) => f['type'] === 'cancel').map((f) => String(f['request_id']));
  }

  refreshes(): number {
    return this.frames.filter((f) => f['command'] === 'refresh').length;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendModels(models: unknown[]): void {
    this.send({ type: 'models', models });
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    await this.closed;
  }

  /** Resolves once `check` holds, re-checked at every frame received (bounded). */
  waitFor(check: () => boolean, what: string, limitMs = 5_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`fake browser: timed out waiting for ${what}`));
      }, limitMs);
      timer.unref(); // a wait that lost a race must not keep the test process alive
      const listener = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      this.listeners.add(listener);
    });
  }

  private receive(frame: Record<string, unknown>): void {
    this.frames.push(frame);
    if (frame['type'] === 'welcome') this.browserId = String(frame['browser_id']);
    if (frame['type'] === 'ping') this.send({ type: 'pong' });
    if ('payload' in frame && this.options.script) void this.play(frame as unknown as RequestFrame, this.options.script(frame as unknown as RequestFrame));
    for (const listener of [...this.listeners]) listener();
  }

  private async play(request: RequestFrame, steps: Step[]): Promise<void> {
    for (const step of steps) {
      if (this.cancels().includes(request.request_id)) return;
      if (step === 'hang') return;
      if (step === 'disconnect') {
        this.ws.terminate();
        return;
      }
      if ('wait' in step) await new Promise((resolve) => setTimeout(resolve, step.wait));
      else if ('data' in step) this.send({ request_id: request.request_id, data: step.data });
      else this.send({ request_id: request.request_id, data: step.fail });
    }
  }
}
