import { HttpClient, HttpParams } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type {
  AdminNewAccount,
  AdminToken,
  AdminTokenList,
  AdminUser,
  AdminUserChanges,
  AdminUserList,
  AuditPage,
  IpDenylist,
  User,
  UserResponse,
} from '@lmarena-bridge/contracts';
import { map, Observable } from 'rxjs';

export interface AuditQuery {
  limit: number;
  cursor?: string | null;
  action?: string;
  actor?: string;
}

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

  /** Works while registration is closed. */
  createUser(account: AdminNewAccount): Observable<User> {
    return this.http.post<UserResponse>('/api/admin/users', account).pipe(map((r) => r.user));
  }

  /** 204; every session of that user ends. */
  setPassword(id: number, newPassword: string): Observable<void> {
    return this.http.post<void>(`/api/admin/users/${id}/password`, { new_password: newPassword });
  }

  /** One page of the audit log, newest first. */
  audit(query: AuditQuery): Observable<AuditPage> {
    let params = new HttpParams().set('limit', query.limit);
    if (query.cursor) params = params.set('cursor', query.cursor);
    if (query.action) params = params.set('action', query.action);
    if (query.actor) params = params.set('actor', query.actor);
    return this.http.get<AuditPage>('/api/admin/audit', { params });
  }

  /** The proxy-wide deny list: addresses and ranges refused for every token. */
  ipDenylist(): Observable<string[]> {
    return this.http.get<IpDenylist>('/api/admin/ip-denylist').pipe(map((r) => r.ranges));
  }

  /** Replaces the deny list; the answer is the list as stored (canonical ranges, duplicates dropped). */
  setIpDenylist(ranges: readonly string[]): Observable<string[]> {
    const body: IpDenylist = { ranges: [...ranges] };
    return this.http.put<IpDenylist>('/api/admin/ip-denylist', body).pipe(map((r) => r.ranges));
  }

  tokens(): Observable<AdminToken[]> {
    return this.http.get<AdminTokenList>('/api/admin/tokens').pipe(map((r) => r.tokens));
  }

  /** Admins revoke any user's token through the ordinary token route. */
  revokeToken(id: number): Observable<void> {
    return this.http.delete<void>(`/api/tokens/${id}`);
  }
}
