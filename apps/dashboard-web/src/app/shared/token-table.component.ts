import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import type { AdminToken, Token } from '@lmarena-bridge/contracts';
import { LocalDateTimePipe } from '../core/format.pipes';
import { StatusBadgeComponent } from './status-badge.component';
import { UsageBarsComponent } from './usage-bars.component';

/**
 * The token table of the tokens page and (with owners) of the admin page: name, hint, dates,
 * status badge, the limits with what was used against them, and a revoke button (plus an edit
 * button where `editable`) for tokens not yet revoked. Names are interpolated, so markup in a
 * token name is shown as text.
 */
@Component({
  selector: 'lmb-token-table',
  imports: [LocalDateTimePipe, StatusBadgeComponent, UsageBarsComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="table-wrap">
      <table [attr.data-testid]="testId()">
        <caption class="visually-hidden">
          {{
            caption()
          }}
        </caption>
        <thead>
          <tr>
            @if (withOwner()) {
              <th scope="col">Owner</th>
            }
            <th scope="col">Name</th>
            <th scope="col">Token</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">Status</th>
            <th scope="col">Limits</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          @for (t of tokens(); track t.id) {
            <tr [attr.data-token-id]="t.id">
              @if (withOwner()) {
                <td>{{ ownerOf(t) }}</td>
              }
              <td class="wrap-text">{{ t.name }}</td>
              <td class="nowrap">
                <code>{{ t.hint }}</code>
              </td>
              <td class="nowrap">{{ t.created_at | localDateTime }}</td>
              <td class="nowrap">{{ t.last_used_at ? (t.last_used_at | localDateTime) : 'Never' }}</td>
              <td class="nowrap">{{ t.expires_at ? (t.expires_at | localDateTime) : 'Never' }}</td>
              <td><lmb-status-badge [tokenStatus]="t.status" [text]="t.status" /></td>
              <td><lmb-usage-bars [limits]="t.limits" [usage]="t.usage_now" /></td>
              <td>
                @if (t.status !== 'revoked') {
                  <div class="actions">
                    @if (editable()) {
                      <button type="button" class="btn btn-small" (click)="edit.emit(t)" [attr.aria-label]="'Edit ' + t.name">Edit</button>
                    }
                    <button
                      type="button"
                      class="btn btn-small"
                      (click)="revoke.emit(t)"
                      [attr.aria-label]="withOwner() ? 'Revoke ' + t.name + ' of ' + ownerOf(t) : 'Revoke ' + t.name"
                    >
                      Revoke
                    </button>
                  </div>
                }
              </td>
            </tr>
          }
        </tbody>
      </table>
    </div>
  `,
})
export class TokenTableComponent<T extends Token | AdminToken> {
  readonly tokens = input.required<readonly T[]>();
  readonly caption = input.required<string>();
  readonly testId = input.required<string>();
  /** Adds the owner column (admin tokens carry a username). */
  readonly withOwner = input(false);
  /** Adds an Edit button (name and limits) to tokens not yet revoked. */
  readonly editable = input(false);
  readonly revoke = output<T>();
  readonly edit = output<T>();

  protected ownerOf(token: Token | AdminToken): string {
    return 'username' in token ? token.username : '';
  }
}
