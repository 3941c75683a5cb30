import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ProxyError } from '../errors/proxy-error';
import type { ClientGone } from '../providers/chat-provider';
import { BridgeExchange, BridgeRelayError, BridgeTransport, SitePayload, SiteModel } from '../providers/lmarena/bridge-transport';
import { loadTokenCounter } from '../providers/lmarena/token-count';
import { BridgeBrowser, BridgeSocket, BrowserIdentity, RelayedRequest } from './bridge-browser';
import { BrowserFrame, CLOSE_GOING_AWAY, CLOSE_UNAUTHORIZED, parseBrowserFrame } from './bridge-frames';
import {
  AUTH_EPOCH_READER,
  AuthEpochReader,
  BRIDGE_KEY_STORE,
  BRIDGE_MODEL_STORE,
  BridgeKeyStore,
  BridgeModelStore,
  BROWSER_STATE_STORE,
  BrowserStateStore,
} from './bridge-stores';
import { BRIDGE_TIMINGS, BridgeTimings } from './bridge-timings';
import { BrowserStateSync } from './browser-state-sync';
import { RelayStream } from './relay-stream';
import { RevocationWatch } from './revocation-watch';

/** Distinct site models kept in memory; a browser reporting more cannot grow it further. */
const MAX_KNOWN_MODELS = 5_000;
const MAX_ERROR_CHARS = 500;

export const NO_BROWSER_MESSAGE =
  'No browser is connected to the LMArena bridge: open https://arena.ai in a browser with the userscript installed, then retry.';
export const DISCONNECTED_MESSAGE =
  'LMArena bridge: the browser relaying this request disconnected before the answer ended; retry (a reconnected or another arena.ai tab will serve it).';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The browsers connected over /ws and the requests they relay (the `BridgeTransport` the
 * LMArena provider uses). The gateway authenticates sockets and hands them over; from then on
 * the hub picks the least busy browser for each request, relays its frames, and fails only the
 * requests of a browser that goes away, falls silent, or loses its key.
 */
@Injectable()
export class BridgeHub implements BridgeTransport, OnApplicationShutdown {
  private readonly logger = new Logger(BridgeHub.name);
  /** This process; rows of browser state it wrote are removed at shutdown. */
  readonly instanceId = randomUUID();
  private readonly browsers = new Map<string, BridgeBrowser>();
  private readonly models = new Map<string, SiteModel>();
  private readonly sync: BrowserStateSync;
  private readonly revocation: RevocationWatch;
  private pingTimer: NodeJS.Timeout | null = null;
  private assignments = 0;
  private closing = false;
  /** The model list last saved, and the newest one waiting for the save in progress. */
  private savedModels = '';
  private queuedModels: { json: string; models: SiteModel[] } | null = null;
  private savingModels = false;
  private readonly timeoutMs: number;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @Inject(BRIDGE_TIMINGS) private readonly timings: BridgeTimings,
    @Inject(BRIDGE_KEY_STORE) private readonly keys: BridgeKeyStore,
    @Inject(BRIDGE_MODEL_STORE) private readonly modelStore: BridgeModelStore,
    @Inject(BROWSER_STATE_STORE) states: BrowserStateStore,
    @Inject(AUTH_EPOCH_READER) readEpoch: AuthEpochReader,
  ) {
    this.timeoutMs = Math.max(1, Math.round(config.bridge.timeout_seconds * 1000));
    this.sync = new BrowserStateSync(states, this.instanceId, timings, () => this.browsers.values());
    this.revocation = new RevocationWatch(
      readEpoch,
      keys,
      timings.epochPollMs,
      () => this.connectedKeyIds(),
      (ids) => this.closeKeys(ids),
    );
  }

  /** Connected, authenticated browsers (the dashboard and /metrics count these). */
  get size(): number {
    return this.browsers.size;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  // ---- browsers -------------------------------------------------------------------------

  /** Takes over an authenticated socket: welcome, registry, state row, revocation watch. */
  register(socket: BridgeSocket, identity: BrowserIdentity): BridgeBrowser {
    const browser = new BridgeBrowser(randomUUID(), socket, identity, Date.now());
    if (this.closing) {
      browser.close(CLOSE_GOING_AWAY, 'the proxy is shutting down');
      browser.gone = true;
      return browser;
    }
    this.browsers.set(browser.id, browser);
    browser.send({ type: 'welcome', browser_id: browser.id });
    this.logger.log(
      `browser ${browser.id} connected from ${identity.origin} (script ${identity.version || '?'}, ${identity.keyId === null ? 'shared secret' : `key ${identity.keyId}`})`,
    );
    this.sync.added(browser);
    this.startPings();
    // The tokenizer's tables block the event loop for ~0.3-1 s while they load: do it once a
    // browser is there to serve, not inside the first request (whose timers it would stall).
    void loadTokenCounter();
    if (identity.keyId !== null) {
      const keyId = identity.keyId;
      this.keys.touch(keyId, browser.connectedAt).catch((err: unknown) => this.logger.warn(`noting the use of bridge key ${keyId} failed: ${message(err)}`));
      this.revocation.update();
      // Revoked between the hello's check and now? The epoch poll only sees later changes.
      this.revocation.check([keyId]).catch((err: unknown) => this.logger.warn(`checking bridge key ${keyId} failed: ${message(err)}`));
    }
    return browser;
  }

  /** A text frame from an authenticated browser. */
  onFrame(browser: BridgeBrowser, text: string): void {
    browser.lastSeen = Date.now();
    const frame = parseBrowserFrame(text);
    if (frame) this.handle(browser, frame);
  }

  /** The socket closed (or the hub let go of it): fail its requests, forget it. */
  drop(browser: BridgeBrowser, reason: string, error: () => Error = () => ProxyError.unavailable(DISCONNECTED_MESSAGE)): void {
    if (browser.gone) return;
    browser.gone = true;
    this.browsers.delete(browser.id);
    for (const request of [...browser.requests.values()]) {
      request.stream.fail(error());
      this.finish(browser, request);
    }
    this.logger.log(`browser ${browser.id} left (${reason})`);
    this.sync.removed(browser, this.browsers.size === 0);
    this.revocation.update();
    if (this.browsers.size === 0) this.stopPings();
  }

  private handle(browser: BridgeBrowser, frame: BrowserFrame): void {
    switch (frame.kind) {
      case 'ping':
        browser.send({ type: 'pong' });
        return;
      case 'pong':
        return;
      case 'models':
        this.noteModels(frame.models);
        return;
    }
    const request = browser.requests.get(frame.requestId);
    if (!request) return; // finished, cancelled or never ours
    request.lastFrame = Date.now();
    request.timer?.refresh();
    switch (frame.kind) {
      case 'data':
        if (!request.stream.push(frame.text)) {
          request.stream.fail(ProxyError.upstream('The LMArena answer outgrew the bridge buffer while the client was not reading it.'));
          this.cancel(browser, request);
        }
        return;
      case 'done':
        request.stream.end();
        this.finish(browser, request);
        return;
      case 'failed':
        request.stream.fail(new BridgeRelayError(frame.status, frame.error));
        this.finish(browser, request);
        return;
    }
  }

  private noteModels(models: SiteModel[]): void {
    for (const model of models) {
      if (this.models.size >= MAX_KNOWN_MODELS && !this.models.has(model.id)) continue;
      this.models.set(model.id, model);
    }
    if (!models.length) return;
    // Every tab reports the same list at each load: save a list only when it changed, one
    // save at a time, the newest list waiting (a browser sending lists in a loop costs no DB).
    const json = JSON.stringify(models);
    if (json === this.savedModels || json === this.queuedModels?.json) return;
    this.queuedModels = { json, models };
    if (!this.savingModels) void this.saveModels();
  }

  private async saveModels(): Promise<void> {
    this.savingModels = true;
    while (this.queuedModels) {
      const { json, models } = this.queuedModels;
      this.queuedModels = null;
      try {
        await this.modelStore.saveReported(models, Date.now());
        this.savedModels = json;
      } catch (err) {
        this.logger.warn(`saving the reported LMArena models failed: ${message(err)}`);
      }
    }
    this.savingModels = false;
  }

  siteModel(id: string): SiteModel | undefined {
    return this.models.get(id);
  }

  // ---- requests -------------------------------------------------------------------------

  async open(payload: SitePayload, signal: ClientGone): Promise<BridgeExchange> {
    const browser = this.pick();
    const id = randomUUID();
    const request: RelayedRequest = {
      id,
      stream: new RelayStream({
        onPressure: (full) => browser.pressure(id, full),
        onAbandon: () => this.cancel(browser, request),
      }),
      timer: null,
      lastFrame: Date.now(),
      detach: () => undefined,
    };
    const exchange: BridgeExchange = {
      browserId: browser.id,
      data: request.stream,
      refresh: () => {
        browser.send({ command: 'refresh' });
      },
      noteError: (text: string) => {
        browser.lastError = text.slice(0, MAX_ERROR_CHARS);
        this.sync.changed(browser);
      },
    };
    if (signal.aborted) {
      request.stream.end(); // the client is gone: nothing is sent to any browser
      return exchange;
    }
    browser.lastAssigned = ++this.assignments;
    browser.requests.set(id, request);
    const onAbort = () => {
      request.stream.end();
      this.cancel(browser, request);
    };
    signal.once('abort', onAbort);
    request.detach = () => signal.off('abort', onAbort);
    request.timer = setTimeout(() => this.timedOut(browser, request), this.timeoutMs);
    browser.send({
      request_id: id,
      payload: {
        method: payload.method,
        path: payload.path,
        body: payload.body,
      },
    });
    this.sync.changed(browser);
    return exchange;
  }

  /** The least busy browser under its limit; among equals the one idle longest. */
  private pick(): BridgeBrowser {
    if (this.closing) throw ProxyError.unavailable('The proxy is shutting down; retry the request in a moment.');
    if (this.browsers.size === 0) throw ProxyError.unavailable(NO_BROWSER_MESSAGE);
    const limit = this.config.bridge.max_in_flight_per_browser;
    let best: BridgeBrowser | null = null;
    let total = 0;
    for (const browser of this.browsers.values()) {
      total += browser.inFlight;
      if (browser.inFlight >= limit) continue;
      if (!best || browser.inFlight < best.inFlight || (browser.inFlight === best.inFlight && browser.lastAssigned < best.lastAssigned)) best = browser;
    }
    if (!best) {
      throw ProxyError.unavailable(`Every connected LMArena browser is busy (${total} requests in flight); retry shortly or open another arena.ai tab.`);
    }
    return best;
  }

  private timedOut(browser: BridgeBrowser, request: RelayedRequest): void {
    // Decide after the next poll phase: when the event loop was blocked (a first request
    // loading the tokenizer on a busy machine), frames that arrived meanwhile are still unread
    // and would refresh the timer. Only a browser that really stayed silent times out.
    setImmediate(() => {
      if (!browser.requests.has(request.id)) return;
      const quiet = Date.now() - request.lastFrame;
      // A reader that is behind is not a silent browser either: wait until it has caught up.
      if (request.stream.pending > 0 || quiet < this.timeoutMs) {
        request.timer = setTimeout(() => this.timedOut(browser, request), request.stream.pending > 0 ? this.timeoutMs : this.timeoutMs - quiet);
        return;
      }
      request.stream.fail(
        ProxyError.timeout(`The LMArena browser sent nothing for ${this.config.bridge.timeout_seconds} s (bridge.timeout_seconds); the request was cancelled.`),
      );
      this.cancel(browser, request);
    });
  }

  /** Tells the browser to stop this request and forgets it. */
  private cancel(browser: BridgeBrowser, request: RelayedRequest): void {
    if (!browser.requests.has(request.id)) return;
    browser.send({ type: 'cancel', request_id: request.id });
    this.finish(browser, request);
  }

  private finish(browser: BridgeBrowser, request: RelayedRequest): void {
    if (!browser.requests.delete(request.id)) return;
    if (request.timer) clearTimeout(request.timer);
    request.timer = null;
    request.detach();
    browser.pressure(request.id, false);
    if (!browser.gone) this.sync.changed(browser);
  }

  // ---- liveness, revocation, shutdown ---------------------------------------------------

  private startPings(): void {
    if (this.pingTimer) return;
    this.pingTimer = setInterval(() => this.pingAll(), this.timings.pingMs);
    this.pingTimer.unref();
  }

  private stopPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private pingAll(): void {
    const now = Date.now();
    for (const browser of [...this.browsers.values()]) {
      if (now - browser.lastSeen > this.timings.silenceMs) {
        browser.terminate();
        this.drop(browser, `silent for ${Math.round((now - browser.lastSeen) / 1000)} s`);
      } else {
        browser.send({ type: 'ping' });
      }
    }
  }

  private connectedKeyIds(): number[] {
    const ids: number[] = [];
    for (const browser of this.browsers.values()) if (browser.keyId !== null) ids.push(browser.keyId);
    return ids;
  }

  private closeKeys(revoked: Set<number>): void {
    for (const browser of [...this.browsers.values()]) {
      if (browser.keyId === null || !revoked.has(browser.keyId)) continue;
      browser.close(CLOSE_UNAUTHORIZED, 'bridge key revoked');
      this.drop(browser, `bridge key ${browser.keyId} revoked`);
    }
  }

  /** Stops taking requests, fails the pending ones (503) and closes every socket (1001). */
  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopPings();
    this.revocation.stop();
    for (const browser of [...this.browsers.values()]) {
      browser.close(CLOSE_GOING_AWAY, 'the proxy is shutting down');
      this.drop(browser, 'proxy shutting down', () => ProxyError.unavailable('The proxy is shutting down; retry the request in a moment.'));
    }
    await this.sync.removeInstance();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.shutdown();
  }

  /** Resolves when the browser-state writes asked for so far are done (specs). */
  stateSettled(): Promise<void> {
    return this.sync.settled();
  }
}
