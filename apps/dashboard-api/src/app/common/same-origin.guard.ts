import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { hostNameOf, isAllowedHost } from './allowed-hosts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The port of a URL or Host authority, with the scheme's default filled in. */
function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/**
 * CSRF defence on top of SameSite=Strict cookies: a state-changing request that a browser
 * sends from another origin carries that origin in Origin (or Referer) and is refused.
 * The origin is accepted when it is dashboard.public_url, or when its host name is one of
 * dashboard.allowed_hosts and its port is the one this request came in on: SameSite treats
 * every port of a host as the same site, so another local app (localhost:3000) must not pass.
 * The Host header alone proves nothing (a DNS-rebinding page chooses it). Requests without
 * either header are not browser cross-site requests (curl, SDKs) and pass.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  constructor(@InjectConfig() private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(req.method)) return true;
    const source = req.headers.origin !== undefined ? req.headers.origin : req.headers.referer;
    if (source === undefined) return true;
    if (!this.allowed(source, req)) throw new ForbiddenException('Cross-origin request refused: use the dashboard itself.');
    return true;
  }

  private allowed(source: string, req: Request): boolean {
    const url = source === 'null' ? null : parse(source);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
    const { public_url, allowed_hosts } = this.config.dashboard;
    if (public_url && url.origin === public_url) return true;
    if (!isAllowedHost(allowed_hosts, hostNameOf(url.host))) return false;
    const requestUrl = parse(`${req.protocol}://${req.headers.host ?? ''}`);
    return requestUrl !== null && portOf(requestUrl) === portOf(url);
  }
}
