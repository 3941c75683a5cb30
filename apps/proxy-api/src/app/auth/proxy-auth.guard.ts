import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
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
    if (!this.config.use_dashboard_tokens && this.config.api_key === '') {
      context.switchToHttp().getRequest<Request & { user?: ProxyCaller }>().user = { kind: 'open' };
      return true;
    }
    return super.canActivate(context);
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw ProxyError.unauthorized('Missing API key: send "Authorization: Bearer <your sk-lmarena key>".');
    return user;
  }
}
