import { AuthChangeNotifier } from '@lmarena-bridge/auth';
import { APP_CONFIG, AppConfig } from '@lmarena-bridge/config';
import { createLimitsRedis, NoAuthEvents, RedisAuthEvents, type AuthEvents } from '@lmarena-bridge/limits';
import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';

export const LIMITS_REDIS = Symbol('LIMITS_REDIS');
export const AUTH_EVENTS = Symbol('AUTH_EVENTS');

const logger = new Logger('Limits');

/**
 * Tells every proxy instance, over Redis pub/sub, that tokens, users, limits or the deny list
 * changed: they re-read the auth epoch at once instead of at their next 250 ms poll. Called by
 * libs/auth's services after commit; a lost message is carried by the poll.
 */
@Injectable()
export class AnnouncingAuthChangeNotifier extends AuthChangeNotifier {
  constructor(@Inject(AUTH_EVENTS) private readonly events: AuthEvents) {
    super();
  }

  changed(): Promise<void> {
    // publish() never throws and gives up within the client's command timeout (Redis away).
    return this.events.publish();
  }
}

@Injectable()
class LimitsConnections implements OnApplicationShutdown {
  constructor(
    @Inject(LIMITS_REDIS) private readonly redis: Redis | null,
    @Inject(AUTH_EVENTS) private readonly events: AuthEvents,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.events.close();
    this.redis?.disconnect();
  }
}

/**
 * The dashboard's side of the limits, global so that the services of libs/auth (which inject
 * AuthChangeNotifier as optional) and the token views find it: the announcement of changes, and
 * the Redis connection the live counters (`usage_now`) are read from. Without `redis.url` the
 * announcement does nothing and proxies see changes at their next auth_epoch poll.
 */
@Global()
@Module({
  providers: [
    {
      provide: LIMITS_REDIS,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): Redis | null => (config.redis.url ? createLimitsRedis(config.redis.url) : null),
    },
    {
      provide: AUTH_EVENTS,
      inject: [APP_CONFIG, LIMITS_REDIS],
      useFactory: (config: AppConfig, redis: Redis | null): AuthEvents =>
        redis ? new RedisAuthEvents({ redis, keyPrefix: config.redis.key_prefix, logger }) : new NoAuthEvents(),
    },
    { provide: AuthChangeNotifier, useClass: AnnouncingAuthChangeNotifier },
    LimitsConnections,
  ],
  exports: [AuthChangeNotifier, LIMITS_REDIS],
})
export class DashboardLimitsModule {}
