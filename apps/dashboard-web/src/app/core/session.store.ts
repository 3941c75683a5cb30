import { HttpErrorResponse } from '@angular/common/http';
import { computed, inject, Injectable, signal } from '@angular/core';
import type { User } from '@lmarena-bridge/contracts';
import { firstValueFrom } from 'rxjs';
import { AuthApi } from './auth.api';
import { describeHttpError } from './http-error';

/**
 * Who is signed in, asked once from GET /api/auth/me and kept in a signal. The session
 * itself is the HttpOnly cookie: the store holds only the public User, never a secret, and
 * nothing goes to localStorage.
 */
@Injectable({ providedIn: 'root' })
export class SessionStore {
  private readonly auth = inject(AuthApi);
  /** `undefined`: not asked yet; `null`: signed out. */
  private readonly current = signal<User | null | undefined>(undefined);
  private pending: Promise<User | null> | null = null;

  readonly user = computed(() => this.current() ?? null);
  readonly signedIn = computed(() => !!this.current());
  readonly isAdmin = computed(() => this.current()?.role === 'admin');
  /** Why the sign-in page is showing (session ended, signed out, …); read once. */
  readonly notice = signal<string | null>(null);

  /** The signed-in user or null; asks the server only the first time (and after a failure). */
  load(): Promise<User | null> {
    const known = this.current();
    if (known !== undefined) return Promise.resolve(known);
    this.pending ??= firstValueFrom(this.auth.me()).then(
      (user) => {
        this.pending = null;
        this.current.set(user);
        return user;
      },
      (err: unknown) => {
        this.pending = null;
        if (err instanceof HttpErrorResponse && err.status === 401) {
          this.current.set(null);
        } else {
          // Not an answer about the session (server down): ask again next time.
          this.notice.set(`Could not check your session: ${describeHttpError(err)}`);
        }
        return null;
      },
    );
    return this.pending;
  }

  signedInAs(user: User): void {
    this.current.set(user);
    this.notice.set(null);
  }

  signedOut(notice: string | null = null): void {
    this.current.set(null);
    this.notice.set(notice);
  }
}
