import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { SessionStore } from './session.store';

/** Only a relative in-app path may be a post-login destination (no open redirect). */
export function safeReturnUrl(url: string | null | undefined): string | null {
  return url && url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/\\') && url !== '/' ? url : null;
}

/** Pages that need a session: otherwise back to `/` with a message and the way back. */
export const authGuard: CanActivateFn = async (_route, state) => {
  const session = inject(SessionStore);
  const router = inject(Router);
  if (await session.load()) return true;
  if (!session.notice()) session.notice.set('Please sign in to continue.');
  return router.createUrlTree(['/'], { queryParams: { next: safeReturnUrl(state.url) ?? undefined } });
};

/** Admin pages: signed-out users go to `/`, ordinary users to their dashboard. */
export const adminGuard: CanActivateFn = async (route, state) => {
  const session = inject(SessionStore);
  const router = inject(Router);
  const user = await session.load();
  if (!user) {
    if (!session.notice()) session.notice.set('Please sign in to continue.');
    return router.createUrlTree(['/'], { queryParams: { next: safeReturnUrl(state.url) ?? undefined } });
  }
  return user.role === 'admin' ? true : router.createUrlTree(['/dashboard']);
};

/** The sign-in page: someone already signed in goes straight to the dashboard. */
export const guestGuard: CanActivateFn = async () => {
  const session = inject(SessionStore);
  const router = inject(Router);
  return (await session.load()) ? router.createUrlTree(['/dashboard']) : true;
};
