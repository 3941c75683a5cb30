import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Response } from 'express';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyAttempts } from './too-many-attempts';

const WINDOW_SECONDS = 60;

/** A login name's bucket: the user id when it names an account, else a hash of the lower-cased name. */
export function accountKey(login: string, userId: number | null): string {
  if (userId !== null) return `u${userId}`;
  return `n${createHash('sha256').update(login.trim().toLowerCase()).digest('hex').slice(0, 32)}`;
}

/**
 * The credential throttles. Two fixed one-minute windows:
 * - per client address (auth_requests_per_minute): every login, register, admin-init and
 *   password-check request;
 * - per (account, client address) (login_attempts_per_minute): failed password checks.
 *   A stranger who hammers an account fills only the bucket of their own address, so the
 *   owner, from another address, still signs in. A success clears the owner's bucket.
 * With Redis configured the counts are shared by every dashboard instance; should Redis
 * fail, each instance falls back to counting in memory (insuranceLimiter) rather than
 * refusing or letting everything through.
 */
@Injectable()
export class SignInLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(SignInLimiter.name);
  private readonly redis: Redis | null;
  private readonly perAddress: RateLimiterAbstract;
  private readonly perAccount: RateLimiterAbstract;

  constructor(@InjectConfig() config: AppConfig) {
    const { auth_requests_per_minute: perAddress, login_attempts_per_minute: perAccount } = config.dashboard;
    this.redis = config.redis.url ? this.connect(config.redis.url) : null;
    const prefix = `${config.redis.key_prefix}dashboard:signin:`;
    this.perAddress = this.limiter(`${prefix}addr`, perAddress);
    this.perAccount = this.limiter(`${prefix}acct`, perAccount);
  }

  private connect(url: string): Redis {
    // No offline queue: while Redis is unreachable a count fails at once and the
    // in-memory insurance answers, instead of requests waiting for a reconnect.
    const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    let warned = false;
    client.on('error', (err: Error) => {
      if (!warned) this.logger.warn(`Redis unavailable for sign-in throttling, counting in memory: ${err.message}`);
      warned = true;
    });
    client.on('ready', () => (warned = false));
    return client;
  }

  private limiter(keyPrefix: string, points: number): RateLimiterAbstract {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS });
    if (!this.redis) return memory;
    return new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix,
      points,
      duration: WINDOW_SECONDS,
      insuranceLimiter: memory,
      rejectIfRedisNotReady: true,
    });
  }

  /** Counts one credential request from the address; throws 429 (with Retry-After) past the limit. */
  async hitAddress(ip: string, res: Response): Promise<void> {
    await this.consume(this.perAddress, ip, res);
  }

  /**
   * Counts one password check of the account from the address, before it is made (so
   * concurrent guesses cannot slip past the limit); throws 429 past it.
   */
  async hitAccount(account: string, ip: string, res: Response): Promise<void> {
    await this.consume(this.perAccount, `${account}:${ip}`, res);
  }

  /** The password was right: this address starts afresh for this account. */
  async clearAccount(account: string, ip: string): Promise<void> {
    await this.perAccount.delete(`${account}:${ip}`).catch(() => undefined);
  }

  private async consume(limiter: RateLimiterAbstract, key: string, res: Response): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw tooManyAttempts(res, rejection.msBeforeNext);
      throw rejection;
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.redis?.disconnect();
  }
}
