import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { firstValueFrom, tap } from 'rxjs';
import { AdminApi } from '../../core/admin.api';
import { describeHttpError } from '../../core/http-error';
import { Remote } from '../../core/remote';
import { DENYLIST_ENTRIES_MAX, ipList, limitErrorMessage, splitList } from '../../shared/limits-form';

/**
 * The admins' proxy-wide IP deny list: one address or CIDR range per line, refused for every
 * token. Saving replaces the list (PUT) and shows it back as the server stored it (canonical
 * ranges, duplicates dropped), so the admin sees what the proxy applies.
 */
@Component({
  selector: 'lmb-ip-denylist',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="card" aria-labelledby="denylist-title">
      <h2 id="denylist-title">IP deny list</h2>
      <p class="muted">Requests from these addresses are refused for every token (403 ip_not_allowed), on every proxy instance within a second.</p>
      @if (list.firstLoad()) {
        <p class="state" role="status">Loading the deny list…</p>
      } @else if (list.value() === undefined && list.error()) {
        <div class="alert alert-error" role="alert">
          The deny list could not be loaded: {{ list.error() }} <button type="button" class="btn btn-small" (click)="load()">Try again</button>
        </div>
      } @else {
        <form [formGroup]="form" (ngSubmit)="save()" novalidate data-testid="denylist-form">
          <div class="field">
            <label for="denylist-ranges">Denied addresses and ranges</label>
            <textarea
              id="denylist-ranges"
              formControlName="ranges"
              rows="8"
              spellcheck="false"
              placeholder="203.0.113.0/24&#10;2001:db8::/32"
              [attr.aria-invalid]="showsError()"
              aria-describedby="denylist-help"
            ></textarea>
            <span id="denylist-help" class="field-help" [class.field-error]="showsError()">
              {{ showsError() ? errorText() : 'One IPv4 or IPv6 address or CIDR range per line; empty: nobody is refused by address.' }}
            </span>
          </div>
          @if (saveError()) {
            <p class="alert alert-error" role="alert">{{ saveError() }}</p>
          }
          @if (savedNote()) {
            <p class="alert alert-info" role="status">{{ savedNote() }}</p>
          }
          <div class="dialog-actions">
            <button type="submit" class="btn btn-primary" [disabled]="busy()">{{ busy() ? 'Saving…' : 'Save deny list' }}</button>
          </div>
        </form>
      }
    </section>
  `,
})
export class IpDenylistComponent {
  private readonly api = inject(AdminApi);
  private readonly destroyRef = inject(DestroyRef);

  protected readonly list = new Remote<string[]>();
  protected readonly form = inject(NonNullableFormBuilder).group({ ranges: ['', ipList(DENYLIST_ENTRIES_MAX)] });
  private readonly ranges = this.form.controls.ranges;
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);
  protected readonly saveError = signal<string | null>(null);
  protected readonly savedNote = signal<string | null>(null);

  constructor() {
    this.load();
  }

  protected load(): void {
    this.list
      .run(this.api.ipDenylist().pipe(tap((ranges) => this.show(ranges))))
      .pipe(takeUntilDestroyed(this.destroyRef))
      .subscribe();
  }

  private show(ranges: readonly string[]): void {
    this.ranges.reset(ranges.join('\n'));
    this.submitted.set(false);
  }

  protected showsError(): boolean {
    return this.ranges.invalid && (this.ranges.touched || this.submitted());
  }

  protected errorText(): string | null {
    return limitErrorMessage(this.ranges.errors);
  }

  protected async save(): Promise<void> {
    this.submitted.set(true);
    this.savedNote.set(null);
    if (this.ranges.invalid || this.busy()) return;
    const sent = splitList(this.ranges.value);
    this.busy.set(true);
    this.saveError.set(null);
    try {
      const stored = await firstValueFrom(this.api.setIpDenylist(sent));
      this.show(stored);
      const same = stored.length === sent.length && stored.every((r, i) => r === sent[i]);
      const count = stored.length === 1 ? '1 entry' : `${stored.length} entries`;
      this.savedNote.set(stored.length === 0 ? 'Saved: the deny list is empty.' : `Saved ${count}${same ? '' : ', as the server normalised them'}.`);
    } catch (err) {
      this.saveError.set(describeHttpError(err));
    } finally {
      this.busy.set(false);
    }
  }
}
