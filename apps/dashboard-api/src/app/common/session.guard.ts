import { SessionsService } from '@lmarena-bridge/auth';
import type { UserRole } from '@lmarena-bridge/contracts';
import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthedRequest } from './authed-request';
import { IS_PUBLIC, ROLES } from './decorators';
import { SESSION_COOKIE } from './session-cookie';

/**
 * Deny by default: every route needs a live session unless marked @Public(). Resolves the
 * session cookie to its user (unknown, revoked, expired or disabled: 401) and checks @Roles.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const sessionId: unknown = req.cookies?.[SESSION_COOKIE];
    const resolved = typeof sessionId === 'string' ? await this.sessions.resolveSession(sessionId) : null;
    if (!resolved) throw new UnauthorizedException('Not signed in, or the session has ended.');
    const { user } = resolved;
    req.user = user;
    req.sessionId = sessionId as string;
    req.sessionRowId = resolved.session.id;
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(user.role)) throw new ForbiddenException('This needs an admin account.');
    return true;
  }
}
