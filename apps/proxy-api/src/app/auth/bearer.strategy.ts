import { REFUSAL_MESSAGES, safeEqual, VerifiedToken } from '@lmarena-bridge/auth';
import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { Injectable, Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { IncomingMessage } from 'node:http';
import { Strategy } from 'passport-http-bearer';
import { ProxyError } from '../errors/proxy-error';
import { TokenCache } from './token-cache.service';

/** Who is calling: a dashboard token (usage recorded against it) or the shared api_key. */
export type ProxyCaller = { kind: 'token'; token: VerifiedToken } | { kind: 'api_key' } | { kind: 'open' };

/**
 * The authentication order of the original design: dashboard tokens first (when
 * use_dashboard_tokens), then the shared api_key (constant-time compare), else 401 with the
 * reason. Logs name the token id or the reason, never the token. An accepted request is
 * logged at debug only: every request is in usage_logs already, and a line each at the
 * default info level cost the proxy a JSON log write per request (as the access log would,
 * which the hot path excludes for that reason).
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  private readonly logger = new Logger('ProxyAuth');

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly cache: TokenCache,
  ) {
    super({ passReqToCallback: true });
  }

  async validate(_req: Pick<IncomingMessage, 'headers'>, bearer: string): Promise<ProxyCaller> {
    const apiKey = this.config.api_key;
    if (this.config.use_dashboard_tokens) {
      const result = await this.cache.verify(bearer).catch((err: unknown) => {
        // The database is down: the shared key needs none, anything else is the filter's 503.
        if (apiKey !== '' && safeEqual(bearer, apiKey)) return null;
        throw err;
      });
      if (result === null) {
        this.logger.debug('accepted the shared api_key');
        return { kind: 'api_key' };
      }
      if (result.ok) {
        this.logger.debug(`accepted token ${result.token.id} of user ${result.token.userId}`);
        return { kind: 'token', token: result.token };
      }
      if (apiKey !== '' && safeEqual(bearer, apiKey)) {
        this.logger.debug('accepted the shared api_key');
        return { kind: 'api_key' };
      }
      this.logger.warn(`refused a bearer token: ${result.reason}`);
      throw ProxyError.unauthorized(result.reason === 'malformed' ? 'The API key is not recognised.' : REFUSAL_MESSAGES[result.reason]);
    }
    if (safeEqual(bearer, apiKey)) {
      this.logger.debug('accepted the shared api_key');
      return { kind: 'api_key' };
    }
    this.logger.warn('refused a bearer token: not the api_key');
    throw ProxyError.unauthorized('The API key is not recognised.');
  }
}
