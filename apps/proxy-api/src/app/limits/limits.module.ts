import { APP_CONFIG, AppConfig } from '@lmarena-bridge/config';
import {
  createLimitsRedis,
  MemoryLimitStore,
  NoAuthEvents,
  RedisAuthEvents,
  RedisLimitStore,
  ResilientLimitStore,
  type AuthEvents,
  type LimitStore,
} from '@lmarena-bridge/limits';
import { UsageCounters, UsageModule } from '@lmarena-bridge/usage';
import { Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ClientAddress } from './client-address';

/** Injection tokens of the limits' shared state. */
export const LIMIT_STORE = Symbol('LIMIT_STORE');
export const AUTH_EVENTS = Symbol('AUTH_EVENTS');
const LIMITS_REDIS = Symbol('LIMITS_REDIS');

/** How long start-up waits for Redis before the first requests are counted in the per-instance fallback. */
const REDIS_CONNECT_WAIT_MS = 3000;

/**
 * Waits for Redis at start-up (with the offline queue off, a command sent before the connection
 * is up fails and would begin in the fallback), and closes the connections when the proxy stops.
 */
@Injectable()
class LimitsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(LIMITS_REDIS) private readonly redis: Redis | null,
    @Inject(LIMIT_STORE) private readonly store: LimitStore,
    @Inject(AUTH_EVENTS) private readonly events: AuthEvents,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.redis) return;
    const ready = await new Promise<boolean>((resolve) => {
      if (this.redis?.status === 'ready') return resolve(true);
      const timer = setTimeout(() => resolve(false), REDIS_CONNECT_WAIT_MS);
      this.redis?.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (ready) logger.log('token limits are counted on Redis, shared by every instance');
    else logger.warn(`Redis did not answer within ${REDIS_CONNECT_WAIT_MS} ms: token limits are counted per instance until it does`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.store instanceof ResilientLimitStore) this.store.close();
    await this.events.close();
    this.redis?.disconnect();
  }
}

const logger = new Logger('Limits');

/**
 * The proxy's limits: the counters (on Redis when `redis.url` is set, so they are exact across
 * instances, with a per-instance fallback while Redis is unreachable; in memory otherwise), the
 * pub/sub that tells this instance at once that tokens, users, limits or the deny list changed,
 * and the client address the IP rules judge. Counters are seeded from the usage rollups.
 */
@Module({
  imports: [UsageModule],
  providers: [
    {
      provide: LIMITS_REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): Redis | null => (config.redis.url ? createLimitsRedis(config.redis.url) : null),
    },
    {
      provide: LIMIT_STORE,
      inject: [APP_CONFIG, LIMITS_REDIS, UsageCounters],
      useFactory: (config: AppConfig, redis: Redis | null, counters: UsageCounters): LimitStore => {
        if (!redis) {
          if (config.database.url.startsWith('postgres')) {
            logger.warn(
              'redis.url is not set: token limits are counted per proxy instance (set REDIS_URL to share them when several instances use this database)',
            );
          }
          return new MemoryLimitStore({ seed: counters });
        }
        const shared = new RedisLimitStore({ redis, keyPrefix: config.redis.key_prefix, seed: counters });
        return new ResilientLimitStore({ redis: shared, seed: counters, logger });
      },
    },
    {
      provide: AUTH_EVENTS,
      inject: [APP_CONFIG, LIMITS_REDIS],
      useFactory: (config: AppConfig, redis: Redis | null): AuthEvents =>
        redis ? new RedisAuthEvents({ redis, keyPrefix: config.redis.key_prefix, logger }) : new NoAuthEvents(),
    },
    {
      provide: ClientAddress,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new ClientAddress(config.proxy.trusted_proxies),
    },
    LimitsLifecycle,
  ],
  exports: [LIMIT_STORE, AUTH_EVENTS, ClientAddress],
})
export class LimitsModule {}
