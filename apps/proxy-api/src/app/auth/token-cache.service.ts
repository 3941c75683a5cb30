import { readAuthEpoch, sha256Hex, TokenVerification, TokenVerifier } from '@lmarena-bridge/auth';
import { databaseOutage } from '@lmarena-bridge/database';
import type { AuthEvents } from '@lmarena-bridge/limits';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AUTH_EVENTS } from '../limits/limits.module';

/** How often the auth epoch is read; with the read itself, revocation reaches us within 1 s (without Redis pub/sub). */
export const EPOCH_POLL_MS = 250;
const MAX_ENTRIES = 100_000;

/**
 * Token checks without a database round trip in the steady state. Verifications are cached
 * by the SHA-256 of the secret (never the secret itself). Every change that can invalidate a
 * token bumps the auth epoch in the same transaction (see libs/auth); this cache polls that
 * one row every 250 ms and drops everything when it moved. With Redis, the dashboard also
 * announces each change after commit (AuthEvents): the cache reads the epoch at once, so a
 * revocation or a limit change applies within a round trip instead of a poll interval. Expiry needs no poll: a cached
 * token is checked against its expires_at on every use. Unknown tokens are not cached, so a
 * token created a moment ago works at once.
 *
 * While the database is unavailable the entries are kept (a cached token goes on working; a
 * revocation made meanwhile takes effect at the first poll that reads the epoch again) and a
 * token not cached fails with the database error, which the filter answers 503.
 */
@Injectable()
export class TokenCache implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly entries = new Map<string, TokenVerification>();
  private epoch = -1;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  /** An announcement arrived during a poll: read the epoch again once it ends. */
  private pollAgain = false;
  private readonly listeners: Array<() => void> = [];
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly verifier: TokenVerifier,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUTH_EVENTS) private readonly events: AuthEvents,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.epoch = await readAuthEpoch(this.dataSource);
    this.timer = setInterval(() => void this.poll(), EPOCH_POLL_MS);
    this.timer.unref();
    this.unsubscribe = this.events.subscribe(() => void this.poll());
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Calls `listener` whenever the epoch moved and the entries were dropped (things cached beside tokens, such as the IP deny list, reload then). */
  onInvalidate(listener: () => void): void {
    this.listeners.push(listener);
  }

  get size(): number {
    return this.entries.size;
  }

  async poll(): Promise<void> {
    if (this.polling) {
      // The read in flight may have started before the change committed.
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    try {
      do {
        this.pollAgain = false;
        const epoch = await readAuthEpoch(this.dataSource);
        databaseOutage.recovered();
        if (epoch !== this.epoch) {
          this.epoch = epoch;
          this.entries.clear();
          for (const listener of this.listeners) listener();
        }
      } while (this.pollAgain);
    } catch (err) {
      // Every 250 ms while the database is down: logged once per outage, not per poll.
      databaseOutage.failed('reading the auth epoch', err);
    } finally {
      this.polling = false;
    }
  }

  async verify(secret: string, now = Date.now()): Promise<TokenVerification> {
    const key = sha256Hex(secret);
    const cached = this.entries.get(key);
    if (cached) {
      if (cached.ok && cached.token.expiresAt !== null && cached.token.expiresAt <= now) return { ok: false, reason: 'expired' };
      return cached;
    }
    const epochAtStart = this.epoch;
    const result = await this.verifier.verifyToken(secret, now);
    // Cache only if no invalidation happened while we read: an answer read before a
    // revocation committed must not outlive the poll that saw it.
    if (this.epoch === epochAtStart && (result.ok || (result.reason !== 'unknown' && result.reason !== 'malformed'))) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, result);
    }
    return result;
  }
}
