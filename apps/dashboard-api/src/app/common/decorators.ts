import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { UserEntity } from '@lmarena-bridge/auth';
import type { UserRole } from '@lmarena-bridge/contracts';
import type { AuthedRequest } from './authed-request';

export const IS_PUBLIC = 'lmb:public';
export const ROLES = 'lmb:roles';

/** Opts a route out of the deny-by-default session guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Restricts a route to users with one of the roles. */
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES, roles);

/** The signed-in user (the session guard guarantees one on non-public routes). */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): UserEntity => {
  const user = ctx.switchToHttp().getRequest<AuthedRequest>().user;
  if (!user) throw new Error('CurrentUser used on a route without a session');
  return user;
});
