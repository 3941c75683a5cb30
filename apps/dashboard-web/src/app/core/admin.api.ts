import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { AdminToken, AdminTokenList, AdminUser, AdminUserChanges, AdminUserList, User } from '@lmarena-bridge/contracts';
import { map, Observable } from 'rxjs';

/** Admin-only routes (403 for everybody else). */
@Injectable({ providedIn: 'root' })
export class AdminApi {
  private readonly http = inject(HttpClient);

  users(): Observable<AdminUser[]> {
    return this.http.get<AdminUserList>('/api/admin/users').pipe(map((r) => r.users));
  }

  /** Disabling ends the user's sessions and stops their tokens; 409 for the last admin. */
  updateUser(id: number, changes: AdminUserChanges): Observable<User> {
    return this.http.patch<User>(`/api/admin/users/${id}`, changes);
  }

  tokens(): Observable<AdminToken[]> {
    return this.http.get<AdminTokenList>('/api/admin/tokens').pipe(map((r) => r.tokens));
  }

  /** Admins revoke any user's token through the ordinary token route. */
  revokeToken(id: number): Observable<void> {
    return this.http.delete<void>(`/api/tokens/${id}`);
  }
}
