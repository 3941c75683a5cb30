import { ChangeDetectionStrategy, Component, effect, inject, input, output, signal, untracked } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import type { AdminUser, User } from '@lmarena-bridge/contracts';
import { firstValueFrom } from 'rxjs';
import { AdminApi } from '../../core/admin.api';
import { describeHttpError } from '../../core/http-error';
import { DialogComponent } from '../../shared/dialog.component';
import { limitsChanges, limitsForm, limitsToForm } from '../../shared/limits-form';
import { LimitsFormComponent } from '../../shared/limits-form.component';

/**
 * An admin sets a user's caps: the same fields as a token's limits, applied to every token of
 * that user (the stricter of cap and token limit wins). Open while `user` is set; sends
 * PATCH /api/admin/users/:id {limits} with only the changed caps (a lifted one as null).
 */
@Component({
  selector: 'lmb-user-caps-dialog',
  imports: [ReactiveFormsModule, DialogComponent, LimitsFormComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <lmb-dialog [open]="!!user()" [heading]="'Caps of ' + (user()?.username ?? '')" [dismissible]="!busy()" (closed)="close()">
      <form [formGroup]="form" (ngSubmit)="save()" novalidate data-testid="user-caps-form">
        <lmb-limits-form
          [group]="form"
          idPrefix="caps"
          legend="Caps"
          [submitted]="submitted()"
          note="Every token of this user is held to these; a token’s own limit applies where it is stricter."
        />
        @if (error()) {
          <p class="alert alert-error" role="alert">{{ error() }}</p>
        }
        <div class="dialog-actions">
          <button type="button" class="btn" (click)="close()" [disabled]="busy()">Cancel</button>
          <button type="submit" class="btn btn-primary" [disabled]="busy()">{{ busy() ? 'Saving…' : 'Save caps' }}</button>
        </div>
      </form>
    </lmb-dialog>
  `,
})
export class UserCapsDialogComponent {
  /** The user whose caps are edited; null: closed. */
  readonly user = input<AdminUser | null>(null);
  readonly saved = output<User>();
  readonly closed = output<void>();

  private readonly api = inject(AdminApi);
  protected readonly form = limitsForm(inject(NonNullableFormBuilder));
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly submitted = signal(false);

  constructor() {
    effect(() => {
      const user = this.user();
      if (user) {
        untracked(() => {
          this.form.reset(limitsToForm(user.limits));
          this.error.set(null);
          this.submitted.set(false);
        });
      }
    });
  }

  protected close(): void {
    if (!this.busy()) this.closed.emit();
  }

  protected async save(): Promise<void> {
    const user = this.user();
    this.submitted.set(true);
    if (!user || this.form.invalid || this.busy()) return;
    const limits = limitsChanges(user.limits, this.form.getRawValue());
    if (!limits) {
      this.closed.emit();
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    try {
      this.saved.emit(await firstValueFrom(this.api.updateUser(user.id, { limits })));
    } catch (err) {
      this.error.set(describeHttpError(err));
    } finally {
      this.busy.set(false);
    }
  }
}
