import { Logger } from '@nestjs/common';
import type { BridgeBrowser } from './bridge-browser';
import type { BrowserStateRow, BrowserStateStore } from './bridge-stores';
import type { BridgeTimings } from './bridge-timings';

/** Writes waiting behind a database that does not answer; more are dropped, not queued. */
const MAX_QUEUED_WRITES = 200;
/** Longest the shutdown waits for the browser rows to be removed. */
const SHUTDOWN_WRITE_LIMIT_MS = 2_000;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Keeps the dashboard's rows of connected browsers current: a row on connect, changes of
 * in-flight or last error coalesced to one write per `stateCoalesceMs`, a heartbeat rewrite
 * (seen_at) every `heartbeatMs`, removal on disconnect. Writes run one after another so a
 * late upsert cannot bring back a removed row. A failing database is logged and otherwise
 * ignored: the bridge keeps relaying without it.
 */
export class BrowserStateSync {
  private readonly logger = new Logger('BridgeState');
  private readonly dirty = new Set<BridgeBrowser>();
  private flushTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private lastFailureLog = 0;

  constructor(
    private readonly store: BrowserStateStore,
    private readonly instanceId: string,
    private readonly timings: Pick<BridgeTimings, 'heartbeatMs' | 'stateCoalesceMs'>,
    private readonly browsers: () => Iterable<BridgeBrowser>,
  ) {}

  added(browser: BridgeBrowser): void {
    const row = this.row(browser); // the state of now, not of when the write gets its turn
    this.write(() => this.store.upsert(row));
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => {
        for (const b of this.browsers()) this.dirty.add(b);
        this.flush();
      }, this.timings.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  changed(browser: BridgeBrowser): void {
    this.dirty.add(browser);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), this.timings.stateCoalesceMs);
    this.flushTimer.unref();
  }

  removed(browser: BridgeBrowser, last: boolean): void {
    this.dirty.delete(browser);
    this.write(() => this.store.remove(browser.id));
    if (last) this.stopTimers();
  }

  /** Every row of this process, at shutdown; resolves when the writes before it are done. */
  async removeInstance(): Promise<void> {
    this.stopTimers();
    this.dirty.clear();
    this.write(() => this.store.removeInstance(this.instanceId));
    // A database that does not answer must not hold the shutdown: its rows go stale in 30 s
    // and the dashboard stops listing them anyway.
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WRITE_LIMIT_MS)));
    await Promise.race([this.chain, limit]);
    clearTimeout(timer);
  }

  /** Resolves when every write asked for so far has finished (specs). */
  settled(): Promise<void> {
    return this.chain;
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    for (const browser of this.dirty) {
      if (browser.gone) continue;
      const row = this.row(browser);
      this.write(() => this.store.upsert(row));
    }
    this.dirty.clear();
  }

  private stopTimers(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.flushTimer = null;
    this.heartbeat = null;
  }

  private row(browser: BridgeBrowser): BrowserStateRow {
    return {
      browserId: browser.id,
      instanceId: this.instanceId,
      keyId: browser.keyId,
      origin: browser.identity.origin,
      version: browser.identity.version,
      connectedAt: browser.connectedAt,
      inFlight: browser.inFlight,
      lastError: browser.lastError,
      // When this proxy last vouched for the socket: the dashboard drops rows not refreshed
      // for 30 s (a proxy that died), so this is the write time, not the browser's last frame
      // (an idle browser speaks only every ping, 20 s).
      seenAt: Date.now(),
    };
  }

  private write(op: () => Promise<unknown>): void {
    if (this.queued >= MAX_QUEUED_WRITES) return;
    this.queued++;
    this.chain = this.chain.then(async () => {
      try {
        await op();
      } catch (err) {
        // One line per 10 s at most: a database that is down must not flood the log.
        const now = Date.now();
        if (now - this.lastFailureLog > 10_000) {
          this.lastFailureLog = now;
          this.logger.warn(`saving the bridge browser state failed: ${message(err)}`);
        }
      } finally {
        this.queued--;
      }
    });
  }
}
