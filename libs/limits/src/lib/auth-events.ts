import type { Redis } from 'ioredis';
import type { LimitsLogger } from './limit-store';

/**
 * "Tokens, users, limits or the deny list changed": the dashboard publishes after it commits
 * such a change, and every proxy instance reloads what it caches. Carries no detail on purpose:
 * the database is the truth, the event only says "look again now" (the auth_epoch poll stays the
 * fallback when the event is lost).
 */
export interface AuthEvents {
  /** Tells every subscriber. Never throws: a lost event is caught up by the auth_epoch poll. */
  publish(): Promise<void>;
  /** Calls onChange on every event (and once after a reconnect, since events may have been missed). Returns the unsubscribe. */
  subscribe(onChange: () => void): () => void;
  /** Resolves once the subscription is confirmed by Redis (immediately without Redis). */
  subscribed(): Promise<void>;
  close(): Promise<void>;
}

/** Without Redis: nothing to tell; the auth_epoch poll does the work. */
export class NoAuthEvents implements AuthEvents {
  async publish(): Promise<void> {
    return undefined;
  }
  subscribe(): () => void {
    return () => undefined;
  }
  async subscribed(): Promise<void> {
    return undefined;
  }
  async close(): Promise<void> {
    return undefined;
  }
}

export interface RedisAuthEventsOptions {
  /** The connection used to publish (shared with the limits is fine); subscribing uses a duplicate of it. */
  redis: Redis;
  /** `redis.key_prefix`: the channel is `<prefix>auth-changed`. */
  keyPrefix: string;
  logger: LimitsLogger;
}

/** AuthEvents over Redis pub/sub, on its own subscriber connection. */
export class RedisAuthEvents implements AuthEvents {
  readonly channel: string;
  private readonly redis: Redis;
  private readonly logger: LimitsLogger;
  private readonly listeners = new Set<() => void>();
  private subscriber: Redis | null = null;
  private confirmed: Promise<void> | null = null;
  private publishWarned = false;
  private disconnected = false;

  constructor(options: RedisAuthEventsOptions) {
    this.redis = options.redis;
    this.channel = `${options.keyPrefix}auth-changed`;
    this.logger = options.logger;
  }

  async publish(): Promise<void> {
    try {
      await this.redis.publish(this.channel, JSON.stringify({ at: Date.now() }));
      this.publishWarned = false;
    } catch (err) {
      if (!this.publishWarned) {
        this.logger.warn(
          `Could not publish ${this.channel} on Redis (${(err as Error).message}): other instances see the change at their next auth_epoch poll`,
        );
      }
      this.publishWarned = true;
    }
  }

  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    this.connect();
    return () => void this.listeners.delete(onChange);
  }

  subscribed(): Promise<void> {
    return this.confirmed ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const sub = this.subscriber;
    this.subscriber = null;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }

  private connect(): void {
    if (this.subscriber) return;
    // A subscriber waits for Redis rather than failing: queue the SUBSCRIBE while it is away,
    // retry for ever, no per-command timeout on a connection that only listens, and send a
    // SUBSCRIBE cut off before its answer again (idempotent, unlike the limits' commands).
    const sub = this.redis.duplicate({
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: true,
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
      lazyConnect: false,
    });
    this.subscriber = sub;
    sub.on('message', (channel: string) => {
      if (channel === this.channel) this.notify();
    });
    const lost = (reason: string): void => {
      if (!this.disconnected && this.subscriber === sub) {
        this.logger.warn(`Redis subscriber for ${this.channel} lost (${reason}): reconnecting; the auth_epoch poll covers the gap`);
      }
      this.disconnected = true;
    };
    sub.on('error', (err: Error) => lost(err.message));
    sub.on('close', () => lost('connection closed'));
    sub.on('ready', () => {
      if (!this.disconnected) return;
      this.disconnected = false;
      // ioredis re-subscribes by itself; subscribing again is harmless and tells us when it holds.
      sub.subscribe(this.channel).then(
        () => {
          this.logger.log(`Redis subscriber for ${this.channel} is back`);
          this.notify();
        },
        () => undefined,
      );
    });
    this.confirmed = sub.subscribe(this.channel).then(() => undefined);
    this.confirmed.catch(() => undefined);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        this.logger.warn(`An auth-changed listener failed: ${(err as Error).message}`);
      }
    }
  }
}
