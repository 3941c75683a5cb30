import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { safeReturnUrl } from './auth.guard';
import { SessionStore } from './session.store';

/** 401s that answer a question about credentials, not "your session is gone". */
const CREDENTIAL_ROUTES = ['/api/auth/me', '/api/auth/login', '/api/auth/register', '/api/admin/init', '/api/auth/logout'];

export const SESSION_ENDED = 'Your session has ended. Please sign in again.';

/**
 * A 401 from any other API call means the session expired, was revoked or the account was
 * disabled: forget the user and go to `/` with a message (and the way back). The error is
 * still passed on, so the caller's own error handling runs.
 */
export const unauthorizedInterceptor: HttpInterceptorFn = (req, next) => {
  const session = inject(SessionStore);
  const router = inject(Router);
  return next(req).pipe(
    catchError((err: unknown) => {
      const path = req.url.split('?')[0];
      if (err instanceof HttpErrorResponse && err.status === 401 && !CREDENTIAL_ROUTES.includes(path)) {
        session.signedOut(SESSION_ENDED);
        const back = safeReturnUrl(router.url);
        void router.navigateByUrl(router.createUrlTree(['/'], { queryParams: { next: back ?? undefined } }));
      }
      return throwError(() => err);
    }),
  );
};
