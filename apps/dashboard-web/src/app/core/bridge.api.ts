import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { BridgeState, NewBridgeUserscript } from '@lmarena-bridge/contracts';
import { catchError, Observable, throwError } from 'rxjs';

/** The file name the dashboard serves the userscript under. */
export const USERSCRIPT_FILENAME = 'lmarena-bridge.user.js';

/**
 * A text answer's error body arrives as text too: parse the API's JSON error so
 * describeHttpError can show its message.
 */
function withJsonError(err: unknown): HttpErrorResponse | unknown {
  if (!(err instanceof HttpErrorResponse) || typeof err.error !== 'string') return err;
  try {
    const body: unknown = JSON.parse(err.error);
    return new HttpErrorResponse({ error: body, headers: err.headers, status: err.status, statusText: err.statusText, url: err.url ?? undefined });
  } catch {
    return err;
  }
}

/** The LMArena bridge (admins only; 403 for everybody else). */
@Injectable({ providedIn: 'root' })
export class BridgeApi {
  private readonly http = inject(HttpClient);

  /** Live browsers, bridge keys and the models the userscripts reported. */
  state(): Observable<BridgeState> {
    return this.http.get<BridgeState>('/api/bridge');
  }

  /**
   * Makes a bridge key and answers the userscript with it filled in: the text of the file to
   * save, and the only time the key exists outside the server (hashed there).
   */
  userscript(name: string): Observable<string> {
    const body: NewBridgeUserscript = { name };
    return this.http.post('/api/bridge/userscript', body, { responseType: 'text' }).pipe(catchError((err: unknown) => throwError(() => withJsonError(err))));
  }

  /** Proxies drop the key's browsers within a second. */
  revokeKey(id: number): Observable<void> {
    return this.http.delete<void>(`/api/bridge/keys/${id}`);
  }
}
