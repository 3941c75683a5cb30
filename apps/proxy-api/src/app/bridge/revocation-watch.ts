import { Logger } from '@nestjs/common';
import type { AuthEpochReader, BridgeKeyStore } from './bridge-stores';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Closes the browsers of a revoked bridge key within a second. Revoking a key bumps the auth
 * epoch (libs/auth) in the same transaction; while key-authenticated browsers are connected
 * this reads that one row every `pollMs` and, when it moved, asks which of the connected keys
 * are still active. When the watch (re)starts it has no baseline and checks at once, so a
 * revocation that happened while nobody watched is not missed.
 */
export class RevocationWatch {
  private readonly logger = new Logger('BridgeRevocation');
  private timer: NodeJS.Timeout | null = null;
  private epoch: number | null = null;
  private polling = false;
  private lastFailureLog = 0;

  constructor(
    private readonly readEpoch: AuthEpochReader,
    private readonly keys: Pick<BridgeKeyStore, 'activeIds'>,
    private readonly pollMs: number,
    /** The key ids of the connected browsers, read at each check. */
    private readonly connectedKeys: () => number[],
    /** Called with the ids that are no longer active. */
    private readonly revoked: (ids: Set<number>) => void,
  ) {}

  /** Starts or stops polling as key-authenticated browsers come and go. */
  update(): void {
    const needed = this.connectedKeys().length > 0;
    if (needed && !this.timer) {
      this.epoch = null;
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref();
      void this.poll();
    } else if (!needed) {
      this.stop();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.epoch = null;
  }

  /** One check of these key ids now (a browser that just authenticated). */
  async check(ids: number[]): Promise<void> {
    if (!ids.length) return;
    const active = await this.keys.activeIds(ids);
    const gone = new Set(ids.filter((id) => !active.has(id)));
    if (gone.size) this.revoked(gone);
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const epoch = await this.readEpoch();
      if (epoch === this.epoch) return;
      await this.check([...new Set(this.connectedKeys())]);
      // Only after a successful check: a failed one is retried at the next poll.
      this.epoch = epoch;
    } catch (err) {
      const now = Date.now();
      if (now - this.lastFailureLog > 10_000) {
        this.lastFailureLog = now;
        this.logger.warn(`checking bridge keys for revocation failed: ${message(err)}`);
      }
    } finally {
      this.polling = false;
    }
  }
}
