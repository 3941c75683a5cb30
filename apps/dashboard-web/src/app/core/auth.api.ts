import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { NewAccount, User, UserResponse } from '@lmarena-bridge/contracts';
import { map, Observable } from 'rxjs';

/**
 * Accounts and sessions. The session is an HttpOnly cookie the browser keeps; nothing
 * secret is ever visible to, or stored by, the SPA. Writes are same-origin requests, which
 * is what the API's Origin check (its CSRF defence, with SameSite=Strict) requires.
 */
@Injectable({ providedIn: 'root' })
export class AuthApi {
  private readonly http = inject(HttpClient);

  /** The signed-in user, or a 401 error. */
  me(): Observable<User> {
    return this.http.get<User>('/api/auth/me');
  }

  /** `username` may also be the e-mail address. */
  login(username: string, password: string): Observable<User> {
    return this.http.post<UserResponse>('/api/auth/login', { username, password }).pipe(map((r) => r.user));
  }

  register(account: NewAccount): Observable<User> {
    return this.http.post<UserResponse>('/api/auth/register', account).pipe(map((r) => r.user));
  }

  /** Creates the first account, as admin; 409 once any user exists. */
  initAdmin(account: NewAccount): Observable<User> {
    return this.http.post<UserResponse>('/api/admin/init', account).pipe(map((r) => r.user));
  }

  logout(): Observable<void> {
    return this.http.post<void>('/api/auth/logout', null);
  }
}
