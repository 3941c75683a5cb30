import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { CreatedToken, NewToken, Token, TokenChanges, TokenList } from '@lmarena-bridge/contracts';
import { map, Observable } from 'rxjs';

/** The signed-in user's API tokens. */
@Injectable({ providedIn: 'root' })
export class TokensApi {
  private readonly http = inject(HttpClient);

  list(): Observable<Token[]> {
    return this.http.get<TokenList>('/api/tokens').pipe(map((r) => r.tokens));
  }

  /** The answer carries the secret (`token`): the only time it is ever shown. */
  create(token: NewToken): Observable<CreatedToken> {
    return this.http.post<CreatedToken>('/api/tokens', token);
  }

  /**
   * Renames a token or changes its limits (owner or admin). In `limits` a field left out stays
   * as it was and a field sent as null becomes unlimited.
   */
  update(id: number, changes: TokenChanges): Observable<Token> {
    return this.http.patch<Token>(`/api/tokens/${id}`, changes);
  }

  /** Admins may revoke any user's token. */
  revoke(id: number): Observable<void> {
    return this.http.delete<void>(`/api/tokens/${id}`);
  }
}
