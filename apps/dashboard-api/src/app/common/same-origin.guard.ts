import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { Request } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function hostOf(url: string): string | null {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * CSRF defence on top of SameSite=Strict cookies: a state-changing request that a browser
 * sends from another origin carries that origin in Origin (or Referer) and is refused.
 * Requests without either header are not browser cross-site requests (curl, SDKs) and pass.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(req.method)) return true;
    const host = (req.headers.host ?? '').toLowerCase();
    const origin = req.headers.origin;
    const referer = req.headers.referer;
    const source = origin !== undefined ? origin : referer;
    if (source === undefined) return true;
    if (source === 'null' || hostOf(source) !== host) {
      throw new ForbiddenException('Cross-origin request refused: use the dashboard itself.');
    }
    return true;
  }
}
