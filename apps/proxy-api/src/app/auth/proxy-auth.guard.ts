import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { IncomingMessage } from 'node:http';
import { ProxyError } from '../errors/proxy-error';
import type { ProxyCaller } from './bearer.strategy';

/**
 * Runs the bearer strategy. With use_dashboard_tokens false and an empty api_key the proxy
 * is open (a warning is logged at start-up) and every request passes.
 */
@Injectable()
export class ProxyAuthGuard extends AuthGuard('bearer') {
  constructor(@InjectConfig() private readonly config: AppConfig) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const req = context.switchToHttp().getRequest<IncomingMessage & { user?: ProxyCaller }>();
    if (!this.config.use_dashboard_tokens && this.config.api_key === '') {
      req.user = { kind: 'open' };
      return true;
    }
    // passport-http-bearer also takes a token from an `access_token` body field or query
    // parameter. The contract is the Authorization header only: a token in the body would be
    // forwarded to the upstream with the other unknown fields, one in the URL ends up in logs.
    if (req.headers.authorization === undefined) {
      throw ProxyError.unauthorized('Missing API key: send "Authorization: Bearer <your sk-lmarena key>".');
    }
    return super.canActivate(context);
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw ProxyError.unauthorized('Missing API key: send "Authorization: Bearer <your sk-lmarena key>".');
    return user;
  }
}
