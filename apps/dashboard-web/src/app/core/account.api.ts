import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { PasswordChange, SessionInfo, SessionList } from '@lmarena-bridge/contracts';
import { map, Observable } from 'rxjs';

/** The signed-in user's own password and sessions. */
@Injectable({ providedIn: 'root' })
export class AccountApi {
  private readonly http = inject(HttpClient);

  /** 204; every other session of the user ends. A wrong current password: 400. */
  changePassword(change: PasswordChange): Observable<void> {
    return this.http.post<void>('/api/auth/password', change);
  }

  sessions(): Observable<SessionInfo[]> {
    return this.http.get<SessionList>('/api/auth/sessions').pipe(map((r) => r.sessions));
  }

  revokeSession(id: number): Observable<void> {
    return this.http.delete<void>(`/api/auth/sessions/${id}`);
  }

  /** Ends every session, this one included. */
  logoutAll(): Observable<void> {
    return this.http.post<void>('/api/auth/logout-all', null);
  }
}
