import { readAuthEpoch, sha256Hex, TokenVerification, TokenVerifier } from '@lmarena-bridge/auth';
import { databaseOutage } from '@lmarena-bridge/database';
import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** How often the auth epoch is read; with the read itself, revocation reaches us within 1 s. */
export const EPOCH_POLL_MS = 250;
const MAX_ENTRIES = 100_000;

/**
 * Token checks without a database round trip in the steady state. Verifications are cached
 * by the SHA-256 of the secret (never the secret itself). Every change that can invalidate a
 * token bumps the auth epoch in the same transaction (see libs/auth); this cache polls that
 * one row every 250 ms and drops everything when it moved. Expiry needs no poll: a cached
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

  constructor(
    private readonly verifier: TokenVerifier,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.epoch = await readAuthEpoch(this.dataSource);
    this.timer = setInterval(() => void this.poll(), EPOCH_POLL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  get size(): number {
    return this.entries.size;
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const epoch = await readAuthEpoch(this.dataSource);
      databaseOutage.recovered();
      if (epoch !== this.epoch) {
        this.epoch = epoch;
        this.entries.clear();
      }
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
