import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { AUDIT_ACTIONS, AuditEvent } from '@lmarena-bridge/contracts';
import { AdminApi } from '../../core/admin.api';
import { LocalDateTimePipe } from '../../core/format.pipes';
import { describeHttpError } from '../../core/http-error';

export const AUDIT_PAGE_SIZE = 50;

/** The audit log, newest first, filtered by action and actor, with "Show older" paging. */
@Component({
  selector: 'lmb-audit-log',
  imports: [ReactiveFormsModule, LocalDateTimePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="filters" [formGroup]="filters" (ngSubmit)="apply()" data-testid="audit-filters">
      <div class="field">
        <label for="audit-action">Action</label>
        <select id="audit-action" formControlName="action">
          <option value="">Any action</option>
          @for (a of actions; track a) {
            <option [value]="a">{{ a }}</option>
          }
        </select>
      </div>
      <div class="field">
        <label for="audit-actor">Actor (username)</label>
        <input id="audit-actor" formControlName="actor" autocomplete="off" maxlength="254" />
      </div>
      <button type="submit" class="btn btn-small" [disabled]="loading()">Apply filters</button>
    </form>

    @if (loading() && events().length === 0) {
      <p class="state" role="status">Loading the audit log…</p>
    } @else if (error() && events().length === 0) {
      <div class="alert alert-error" role="alert">
        The audit log could not be loaded: {{ error() }} <button type="button" class="btn btn-small" (click)="apply()">Try again</button>
      </div>
    } @else if (events().length === 0) {
      <p class="card state">No events match.</p>
    } @else {
      <div class="table-wrap">
        <table data-testid="audit-table">
          <caption class="visually-hidden">
            Audit events, newest first
          </caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Address</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            @for (e of events(); track e.id) {
              <tr [attr.data-action]="e.action">
                <td class="nowrap">{{ e.at | localDateTime }}</td>
                <td class="wrap-text">{{ e.actor ?? '—' }}</td>
                <td>
                  <code>{{ e.action }}</code>
                </td>
                <td class="wrap-text">{{ e.target ?? '—' }}</td>
                <td class="nowrap">{{ e.ip ?? '—' }}</td>
                <td class="wrap-text muted">{{ detailText(e) }}</td>
              </tr>
            }
          </tbody>
        </table>
      </div>
      @if (error()) {
        <p class="alert alert-error" role="alert">{{ error() }}</p>
      }
      @if (cursor()) {
        <button type="button" class="btn btn-small section" (click)="more()" [disabled]="loading()">{{ loading() ? 'Loading…' : 'Show older events' }}</button>
      }
    }
  `,
  styles: `
    .filters {
      display: flex;
      flex-wrap: wrap;
      gap: 0.75rem;
      align-items: flex-end;
      margin: 0.75rem 0;
    }
  `,
})
export class AuditLogComponent {
  private readonly api = inject(AdminApi);
  private readonly destroyRef = inject(DestroyRef);
  protected readonly actions = AUDIT_ACTIONS;
  protected readonly filters = inject(NonNullableFormBuilder).group({ action: '', actor: '' });

  protected readonly events = signal<AuditEvent[]>([]);
  protected readonly cursor = signal<string | null>(null);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);
  private applied = { action: '', actor: '' };

  constructor() {
    this.apply();
  }

  /** Reloads from the newest event with the filters as they are in the form. */
  apply(): void {
    const { action, actor } = this.filters.getRawValue();
    this.applied = { action, actor: actor.trim() };
    this.fetch(null);
  }

  protected more(): void {
    this.fetch(this.cursor());
  }

  protected detailText(e: AuditEvent): string {
    if (!e.detail) return '';
    return Object.entries(e.detail)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
  }

  private fetch(cursor: string | null): void {
    this.loading.set(true);
    this.error.set(null);
    this.api
      .audit({ limit: AUDIT_PAGE_SIZE, cursor, action: this.applied.action || undefined, actor: this.applied.actor || undefined })
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe({
        next: (page) => {
          this.events.set(cursor ? [...this.events(), ...page.events] : page.events);
          this.cursor.set(page.next_cursor);
          this.loading.set(false);
        },
        error: (err: unknown) => {
          if (!cursor) this.events.set([]);
          this.error.set(describeHttpError(err));
          this.loading.set(false);
        },
      });
  }
}
